"""BigBlueButton's XML answers (shaped like 2.7's), built as element trees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

XML = "text/xml;charset=utf-8"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def fill(parent: ElementTree.Element, fields: Mapping[str, Any]) -> ElementTree.Element:
    """Add one child per field: text, a nested mapping, or a list of (tag, mapping)."""
    for tag, value in fields.items():
        child = ElementTree.SubElement(parent, tag)
        if isinstance(value, Mapping):
            fill(child, value)
        elif isinstance(value, list):
            for item_tag, item in value:
                fill(ElementTree.SubElement(child, item_tag), item)
        else:
            child.text = _text(value)
    return parent


def xml_response(fields: Mapping[str, Any]) -> Response:
    root = fill(ElementTree.Element("response"), fields)
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=XML)


def success(**fields: Any) -> Response:
    return xml_response({"returncode": "SUCCESS", **fields})


class ApiFailure(Exception):
    """A refusal answered as BigBlueButton does: returncode FAILED, messageKey, message."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message

    def response(self) -> Response:
        return xml_response(
            {"returncode": "FAILED", "messageKey": self.key, "message": self.message}
        )


def checksum_error() -> ApiFailure:
    return ApiFailure("checksumError", "Checksums do not match")


def not_found() -> ApiFailure:
    return ApiFailure("notFound", "We could not find a meeting with that meeting ID")


def missing(param: str, message: str) -> ApiFailure:
    return ApiFailure(f"missingParam{param[0].upper()}{param[1:]}", message)


def missing_meeting_id() -> ApiFailure:
    return missing("meetingID", "You must specify a meeting ID for the meeting.")


def invalid_password() -> ApiFailure:
    return ApiFailure(
        "invalidPassword",
        "You either did not supply a password or the password supplied is neither the "
        "attendee or moderator password for this conference.",
    )
