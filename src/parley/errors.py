"""Domain errors: raised by services, turned into a clear message by the web layer.

Messages are catalogue entries (marked with `N_`) translated when shown.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark `message` for the translation catalogue without translating it now."""
    return message


class ParleyError(Exception):
    """A refusal a person or client can understand: a code for programs, a message for people."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        # Extra fields for the API's answer, beside `code` and `detail`.
        self.extra: dict[str, Any] = {}
        if code is not None:
            self.code = code


class NotFound(ParleyError):
    status_code = 404
    code = "not_found"


class Forbidden(ParleyError):
    status_code = 403
    code = "forbidden"


class Conflict(ParleyError):
    status_code = 409
    code = "conflict"


class Invalid(ParleyError):
    status_code = 422
    code = "invalid"


class TooManyRequests(ParleyError):
    status_code = 429
    code = "rate_limited"


class NotAuthenticated(ParleyError):
    status_code = 401
    code = "not_authenticated"
