"""Use cases shared by every front end; they talk to the broker and storage."""
