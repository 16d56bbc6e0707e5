"""The simulator's refusal type: a business-rule failure that becomes an HTTP error answer."""

from __future__ import annotations


class SimError(Exception):
    """A refused request: becomes HTTP `status` with body {"error": code, "message": message}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_body(self) -> dict[str, str]:
        """The wire error body."""
        return {"error": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"SimError({self.status}, {self.code!r}, {self.message!r})"
