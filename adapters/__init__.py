"""Chat platform adapters: each only translates between a platform and the chat port."""
