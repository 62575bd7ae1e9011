"""A fake Jitsi Meet, checking tokens as prosody's token authentication does.

From jitsi-meet's token documentation (lib-jitsi-meet doc/tokens.md, prosody's
mod_auth_token and token/util.lib.lua): a JWT signed with the application secret (HS256 for
shared-secret validation), whose `iss` is the application id, `aud` an accepted audience,
`sub` the domain (or `*`), `room` the room's name (or `*`), `exp` in the future, `nbf` past.
On a multi-tenant server (rooms at /<tenant>/<room>), `sub` is the tenant instead. The user's
details are in `context.user`, every one a string (prosody's presence identity module fails
on anything else); `moderator` is "true" or "false".

This verifier is written from those rules, independently of Parley's encoder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

CONFIG_JS = """var config = {
    hosts: { domain: 'meet.example.org', muc: 'conference.meet.example.org' },
    bosh: '//meet.example.org/http-bind',
};
"""


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeJitsi:
    app_id: str = ""
    app_secret: str = ""
    audiences: set[str] = field(default_factory=lambda: {"jitsi"})
    domain: str = "meet.example.org"
    mode: str | None = None
    joins: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.app_id, self.app_secret, self.mode = "", "", None
        self.audiences, self.domain = {"jitsi"}, "meet.example.org"
        self.joins.clear()

    def verify(
        self, token: str, room: str, tenant: str | None = None
    ) -> tuple[dict[str, Any] | None, str]:
        """The token's claims, or None and why it is refused."""
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_segment(header_b64))
            claims = json.loads(_segment(payload_b64))
            signature = _segment(signature_b64)
        except ValueError:
            return None, "malformed token"
        if header.get("alg") != "HS256":
            return None, "unsupported algorithm"
        expected = hmac.new(
            self.app_secret.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(expected, signature):
            return None, "bad signature"
        now = time.time()
        if claims.get("iss") != self.app_id:
            return None, "issuer not accepted"
        if claims.get("aud") not in self.audiences:
            return None, "audience not accepted"
        if claims.get("sub") not in {tenant or self.domain, "*"}:
            return None, "subject does not match the domain"
        if claims.get("room") not in {room, "*"}:
            return None, "token is for another room"
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            return None, "token expired"
        if isinstance(claims.get("nbf"), int) and claims["nbf"] > now:
            return None, "token not valid yet"
        user = claims.get("context", {}).get("user", {})
        if not isinstance(user.get("name"), str):
            return None, "no user in the context"
        for key, value in user.items():
            if not isinstance(value, str):
                return None, f"user field {key} is not a string"
        return claims, ""

    async def config_js(self, request: Request) -> Response:
        if self.mode == "garbage":
            return HTMLResponse("<html>Welcome to nginx!</html>")
        if self.mode == "error500":
            return PlainTextResponse("Bad gateway", status_code=502)
        return Response(CONFIG_JS, media_type="application/javascript")

    async def room(self, request: Request) -> Response:
        room, tenant = request.path_params["room"], request.path_params.get("tenant")
        if not self.app_id:
            self.joins.append({"room": room, "tenant": tenant, "claims": None})
            return HTMLResponse(f"<title>{room}</title>")
        token = request.query_params.get("jwt", "")
        claims, reason = self.verify(token, room, tenant)
        if claims is None:
            return PlainTextResponse(f"not allowed: {reason}", status_code=401)
        self.joins.append({"room": room, "tenant": tenant, "claims": claims})
        user = claims["context"]["user"]
        role = "moderator" if user.get("moderator") == "true" else "participant"
        return HTMLResponse(f"<title>{room}</title><p>{user['name']} ({role})</p>")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/config.js", self.config_js),
                Route("/{room}", self.room),
                Route("/{tenant}/{room}", self.room),
            ]
        )
