"""User errors (shown with a message, 4xx) versus bugs (500)."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; the message is safe and translated."""

    status = 400
    code: str | None = None  # a stable machine-readable reason for API clients

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403


class Conflict(UserError):
    status = 409
