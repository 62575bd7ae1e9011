"""Reading HTML forms through the same Pydantic schemas as the API, with translated errors."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from parley import i18n
from parley.errors import N_

Model = TypeVar("Model", bound=BaseModel)

_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "value_error": N_("Enter a valid email address."),
    "literal_error": N_("Choose one of the options."),
}


def _message(error: Any) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "string_too_short" and context.get("min_length", 1) > 1:
        return i18n.gettext(N_("At least %(count)s characters."), count=context["min_length"])
    if kind == "string_too_long":
        return i18n.gettext(N_("At most %(count)s characters."), count=context["max_length"])
    if kind == "value_error" and "control characters" in str(error.get("msg", "")):
        return i18n.gettext(N_("This text contains characters that are not allowed."))
    return i18n.gettext(_MESSAGES.get(kind, N_("This value is not valid.")))


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def parse(model: type[Model], data: dict[str, Any]) -> tuple[Model | None, dict[str, str]]:
    """Validate `data`; return the model, or the first error message of each field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            errors.setdefault(field, _message(error))
        return None, errors
