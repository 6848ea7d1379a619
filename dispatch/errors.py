"""Domain errors. The API maps each to one HTTP status; the CLI prints the message."""

from __future__ import annotations


class DispatchError(Exception):
    """Base of every domain error. ``field`` names the input at fault, when there is one."""

    status_hint = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DispatchError):
    """The request is well-formed but its content is not acceptable (HTTP 422)."""

    status_hint = 422


class NotFound(DispatchError):
    status_hint = 404


class Conflict(DispatchError):
    status_hint = 409


class Infeasible(DispatchError):
    """No plan can satisfy the hard constraints; the message explains which ones clash."""

    status_hint = 422


class Unavailable(DispatchError):
    """A service the request needs (the address server, the address index) cannot answer now (HTTP 503)."""

    status_hint = 503
