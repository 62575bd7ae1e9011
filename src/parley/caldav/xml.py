"""WebDAV and CalDAV XML: reading request bodies safely and writing multistatus answers."""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
ICAL = "http://apple.com/ns/ical/"

ET.register_namespace("d", DAV)
ET.register_namespace("cal", CALDAV)
ET.register_namespace("cs", CS)
ET.register_namespace("ical", ICAL)


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


class BadXml(ValueError):
    """The body is not well-formed XML (or tries entity tricks)."""


def parse(body: bytes) -> ET.Element | None:
    """The root element of a request body; None for an empty body."""
    if not body.strip():
        return None
    try:
        root: ET.Element = SafeET.fromstring(body)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadXml(str(exc)) from exc
    return root


def element(name: str, text: str | None = None, children: Iterable[ET.Element] = ()) -> ET.Element:
    node = ET.Element(name)
    if text is not None:
        node.text = text
    node.extend(children)
    return node


def href(path: str) -> ET.Element:
    return element(tag(DAV, "href"), path)


def propstat(props: Iterable[ET.Element], status: str) -> ET.Element:
    return element(
        tag(DAV, "propstat"),
        children=[
            element(tag(DAV, "prop"), children=props),
            element(tag(DAV, "status"), f"HTTP/1.1 {status}"),
        ],
    )


def response(path: str, found: list[ET.Element], missing: list[str]) -> ET.Element:
    """One `response` of a multistatus: the properties found (200) and not found (404)."""
    node = element(tag(DAV, "response"), children=[href(path)])
    if found:
        node.append(propstat(found, "200 OK"))
    if missing:
        node.append(propstat([ET.Element(name) for name in missing], "404 Not Found"))
    return node


def gone(path: str) -> ET.Element:
    """A member removed since the client's sync token."""
    return element(
        tag(DAV, "response"),
        children=[href(path), element(tag(DAV, "status"), "HTTP/1.1 404 Not Found")],
    )


def multistatus(responses: Iterable[ET.Element], sync_token: str | None = None) -> bytes:
    root = element(tag(DAV, "multistatus"), children=responses)
    if sync_token is not None:
        root.append(element(tag(DAV, "sync-token"), sync_token))
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def error(namespace: str, condition: str, text: str = "") -> bytes:
    """A DAV:error body naming the precondition a request failed (RFC 4918 section 16)."""
    root = element(tag(DAV, "error"), children=[ET.Element(tag(namespace, condition))])
    if text:
        root.append(element(tag(DAV, "responsedescription"), text))
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
