"""Domain errors: raised by services, turned into a clear message by the web layer.

Messages are catalogue entries (marked with `N_`) translated when shown.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


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


class FieldError(BaseModel):
    """One field the request got wrong: where it is, what is wrong, and a code for programs."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every refusal of the API has this body: `code` for programs, `detail` for people.

    A request whose data does not fit the schema (422 `invalid`) lists its faults in
    `errors`; some refusals add fields of their own (a waiting room's `waiting_ticket`).
    """

    model_config = ConfigDict(extra="allow")

    code: str
    detail: str
    errors: list[FieldError] | None = None


ERROR_DESCRIPTIONS = {
    400: "The request cannot be done as it is.",
    401: "Not logged in, or the API token is not valid.",
    403: "Not allowed to do this.",
    404: "Not found, or not visible to the caller.",
    409: "The request conflicts with the current state.",
    413: "The body is larger than allowed.",
    415: "This kind of file is not accepted.",
    422: "The data sent is not valid.",
    429: "Too many attempts: wait, then try again.",
}
# What any operation of the API may answer besides its success.
API_ERRORS = (400, 401, 403, 404, 409, 422, 429)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation (or a router) for these refusals, with their body."""
    return {
        status: {"model": ErrorOut, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }
