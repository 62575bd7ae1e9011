"""A client that signs BigBlueButton API calls as its clients do, and reads the answers."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode
from xml.etree import ElementTree

import httpx

from tests.browser.server import ParleyServer


class Api:
    """Signs calls as BigBlueButton's clients do and reads the XML answers."""

    def __init__(self, server: ParleyServer, secret: str) -> None:
        self.server = server
        self.secret = secret
        self.base = f"{server.url}/bigbluebutton/api/"

    def url(
        self,
        call: str,
        params: list[tuple[str, str]],
        *,
        algorithm: str = "sha256",
        quote_via: Callable[..., str] = quote_plus,
        secret: str | None = None,
    ) -> str:
        query = urlencode(params, quote_via=quote_via)
        text = f"{call}{query}{secret if secret is not None else self.secret}"
        checksum = hashlib.new(algorithm, text.encode()).hexdigest()
        return f"{self.base}{call}?{query}{'&' if query else ''}checksum={checksum}"

    def call(self, call: str, params: list[tuple[str, str]], **kwargs: Any) -> ElementTree.Element:
        return self.call_url(self.url(call, params, **kwargs))

    def call_url(self, url: str) -> ElementTree.Element:
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        return ElementTree.fromstring(response.content)  # noqa: S314 - our own server's answer


def fields(answer: ElementTree.Element) -> dict[str, str]:
    """The answer's direct children with text, by tag."""
    return {child.tag: (child.text or "") for child in answer}


def failed(answer: ElementTree.Element, key: str) -> None:
    found = fields(answer)
    assert found["returncode"] == "FAILED", found
    assert found["messageKey"] == key, found
    assert found["message"], found


def new_id() -> str:
    return f"meeting-{secrets.token_hex(4)}"


def start(workdir: Path, **env: str) -> ParleyServer:
    return ParleyServer(workdir, extra_env=env).start()
