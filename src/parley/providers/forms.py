"""A provider's configuration model as an administration form, and the form back as a model.

Field labels and hints come from the model (`Field(title=N_(…), description=N_(…))`).
`SecretStr` fields are password inputs that never show what is stored: left empty, the
stored value stays. Validators raise `PydanticCustomError("parley", N_(message))` so the
form can show their message translated.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, SecretStr, ValidationError
from pydantic_core import PydanticCustomError

from parley import i18n
from parley.errors import N_

Widget = Literal["text", "url", "password", "checkbox", "select", "number"]
# Validators of provider configurations raise this error type with a catalogue message.
ERROR_TYPE = "parley"


def _service_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise PydanticCustomError(
            ERROR_TYPE, N_("Enter a web address that starts with https:// (or http://).")
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise PydanticCustomError(
            ERROR_TYPE, N_("Enter the address alone, without a password, ? or #.")
        )
    return value


# The address of a service: http(s), no trailing slash, no query.
ServiceUrl = Annotated[str, AfterValidator(_service_url)]


def invalid(message: str) -> PydanticCustomError:
    """An error a configuration validator raises; `message` is a catalogue entry."""
    return PydanticCustomError(ERROR_TYPE, message)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    hint: str | None
    widget: Widget
    required: bool
    value: Any
    choices: tuple[tuple[str, str], ...] = ()
    # For a secret: whether one is stored (the form says "unchanged" rather than show it).
    stored: bool = False


def _widget(annotation: Any, extra: Mapping[str, Any]) -> Widget:
    if "widget" in extra:
        widget: Widget = extra["widget"]
        return widget
    if annotation is SecretStr:
        return "password"
    if annotation is bool:
        return "checkbox"
    if annotation is int:
        return "number"
    if typing.get_origin(annotation) is Literal:
        return "select"
    return "text"


def secret_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.annotation is SecretStr]


def fields_of(
    model: type[BaseModel], *, values: Mapping[str, Any], stored_secrets: set[str]
) -> list[FormField]:
    """The form of `model`, filled with `values` (never with secrets)."""
    result = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        widget = _widget(info.annotation, extra)
        labels: Mapping[str, str] = extra.get("choices", {})  # type: ignore[assignment]
        choices = tuple(
            (str(value), labels.get(str(value), str(value)))
            for value in typing.get_args(info.annotation)
        )
        value = values.get(name, info.get_default(call_default_factory=True))
        if widget == "password":
            value = ""
        result.append(
            FormField(
                name=name,
                label=info.title or name,
                hint=info.description,
                widget=widget,
                required=info.is_required() and name not in stored_secrets,
                value=value,
                choices=choices,
                stored=name in stored_secrets,
            )
        )
    return result


def _message(error: Any) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == ERROR_TYPE:
        return i18n.gettext(str(error["msg"]))
    if kind in {"missing", "string_too_short"} and context.get("min_length", 1) <= 1:
        return i18n.gettext(N_("This field is required."))
    if kind == "string_too_long":
        return i18n.gettext(N_("At most %(count)s characters."), count=context["max_length"])
    if kind in {"greater_than_equal", "less_than_equal", "int_parsing", "int_from_float"}:
        return i18n.gettext(N_("Enter a whole number in the allowed range."))
    if kind == "literal_error":
        return i18n.gettext(N_("Choose one of the options."))
    if kind == "string_pattern_mismatch":
        return i18n.gettext(N_("Use lowercase letters and digits only."))
    return i18n.gettext(N_("This value is not valid."))


def parse_config(
    model: type[BaseModel], data: Mapping[str, str], *, current: BaseModel | None
) -> tuple[BaseModel | None, dict[str, str]]:
    """Read the submitted form; an empty secret keeps the one in `current`."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        widget = _widget(
            info.annotation,
            info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {},
        )
        if widget == "checkbox":
            values[name] = data.get(name) == "on"
        elif widget == "password":
            submitted = data.get(name, "")
            if submitted:
                values[name] = submitted
            elif current is not None:
                values[name] = getattr(current, name)
        elif name in data:
            values[name] = data[name].strip()
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            errors.setdefault(field, _message(error))
        return None, errors
