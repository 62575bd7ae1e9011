"""A fake Zoom: OAuth (authorization code, PKCE, rotating refresh tokens, revoke) and meetings.

From Zoom's developer documentation ("OAuth for user authorized apps", "Using PKCE",
"Meetings" API, "Using webhooks"):

- GET /oauth/authorize?response_type=code&client_id&redirect_uri&state&code_challenge
  &code_challenge_method=S256 shows the consent page; allowing redirects to
  `redirect_uri?code=…&state=…`.
- POST /oauth/token with HTTP Basic client_id:client_secret; `authorization_code` needs the
  code once, the same redirect_uri and the code_verifier whose S256 is the challenge;
  `refresh_token` answers a new refresh token and the used one stops working.
- POST /oauth/revoke?token=… (Basic auth) revokes the authorization.
- The API (`/v2`) wants `Authorization: Bearer <access token>`; 401 with code 124 otherwise.
- POST /v2/users/me/meetings (201), GET/PATCH/DELETE /v2/meetings/{id} (200/204/204),
  PUT /v2/meetings/{id}/status {"action": "end"} (204); 404 with code 3001 for an unknown id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

START_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def sign_webhook(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Zoom sends with a webhook call."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": f"v0={digest.hexdigest()}",
        "content-type": "application/json",
    }


@dataclass
class Grant:
    refresh_token: str
    access_tokens: dict[str, float] = field(default_factory=dict)  # token: expires at
    revoked: bool = False


@dataclass
class FakeZoom:
    client_id: str = "zoom-client-id"
    client_secret: str = "zoom-client-secret"
    user: dict[str, str] = field(
        default_factory=lambda: {"id": "KDcuGIm1QgePTO8WbOqwIQ", "email": "host@zoom.example"}
    )
    expires_in: int = 3599
    mode: str | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    used_refresh_tokens: list[str] = field(default_factory=list)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(85746065432))

    def reset(self) -> None:
        self.client_id, self.client_secret = "zoom-client-id", "zoom-client-secret"
        self.expires_in, self.mode = 3599, None
        for store in (self.codes, self.meetings):
            store.clear()
        for log in (self.grants, self.used_refresh_tokens, self.token_requests):
            log.clear()

    def expire_access_tokens(self) -> None:
        for grant in self.grants:
            for token in grant.access_tokens:
                grant.access_tokens[token] = 0.0

    @property
    def base(self) -> str:
        return "https://zoom.example"

    # OAuth

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type must be code")
        if q.get("client_id") != self.client_id:
            problems.append("unknown client_id")
        if not q.get("redirect_uri") or not q.get("state"):
            problems.append("redirect_uri and state are required")
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            problems.append("a S256 code_challenge is required")
        if problems:
            return HTMLResponse(f"<h1>Invalid request</h1><p>{'; '.join(problems)}</p>", 400)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{v}">'
            for k, v in q.items()
            if k in {"client_id", "redirect_uri", "state", "code_challenge"}
        )
        return HTMLResponse(
            "<!doctype html><title>Zoom</title><h1>Parley would like to access your Zoom "
            f"account</h1><p>Signed in as {self.user['email']}</p>"
            f'<form method="post" action="consent">{hidden}'
            '<button type="submit">Allow</button></form>'
        )

    async def consent(self, request: Request) -> Response:
        form = await request.form()
        code = secrets.token_urlsafe(24)
        self.codes[code] = {k: str(v) for k, v in form.items()}
        query = urlencode({"code": code, "state": str(form["state"])})
        return RedirectResponse(f"{form['redirect_uri']}?{query}", status_code=302)

    def _client_ok(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
        except ValueError:
            return False
        return client_id == self.client_id and hmac.compare_digest(secret, self.client_secret)

    def _issue(self, grant: Grant | None) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(32)
        access = secrets.token_urlsafe(32)
        if grant is None:
            grant = Grant(refresh_token=refresh)
            self.grants.append(grant)
        grant.refresh_token = refresh
        grant.access_tokens[access] = time.time() + self.expires_in
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": self.expires_in,
            "scope": "meeting:write:meeting user:read:user",
        }

    async def token(self, request: Request) -> Response:
        if self.mode == "timeout":
            await anyio.sleep(5)
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        if not self._client_ok(request):
            return JSONResponse(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        if form.get("grant_type") == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
                return JSONResponse(
                    {"reason": "Invalid authorization code", "error": "invalid_request"}, 400
                )
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if challenge.rstrip(b"=").decode() != pending["code_challenge"]:
                return JSONResponse(
                    {"reason": "Invalid code_verifier", "error": "invalid_request"}, 400
                )
            return JSONResponse(self._issue(None))
        if form.get("grant_type") == "refresh_token":
            used = form.get("refresh_token", "")
            for grant in self.grants:
                if grant.refresh_token == used and not grant.revoked:
                    self.used_refresh_tokens.append(used)
                    return JSONResponse(self._issue(grant))
            return JSONResponse({"reason": "Invalid Token!", "error": "invalid_request"}, 400)
        return JSONResponse({"reason": "Unsupported grant type", "error": "unsupported"}, 400)

    async def revoke(self, request: Request) -> Response:
        if self.mode == "timeout":
            await anyio.sleep(5)
        if not self._client_ok(request):
            return JSONResponse({"reason": "Invalid client", "error": "invalid_client"}, 401)
        form = await request.form()
        token = request.query_params.get("token") or str(form.get("token", ""))
        for grant in self.grants:
            if token in grant.access_tokens or token == grant.refresh_token:
                grant.revoked = True
        return JSONResponse({"status": "success"})

    def connected(self) -> bool:
        return any(not grant.revoked for grant in self.grants)

    # The API

    def _bearer(self, request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        for grant in self.grants:
            if scheme.lower() == "bearer" and token in grant.access_tokens and not grant.revoked:
                if grant.access_tokens[token] <= time.time():
                    return JSONResponse({"code": 124, "message": "Access token is expired."}, 401)
                return None
        return JSONResponse({"code": 124, "message": "Invalid access token."}, 401)

    def _meeting_answer(self, meeting: dict[str, Any]) -> dict[str, Any]:
        zak = secrets.token_urlsafe(12)
        return {**meeting, "start_url": f"{self.base}/s/{meeting['id']}?zak={zak}"}

    def _check_body(self, body: Any, *, partial: bool) -> str | None:
        if not isinstance(body, dict):
            return "Request body is not JSON"
        if not partial and not isinstance(body.get("topic"), str):
            return "topic is required"
        if len(body.get("topic", "")) > 200:
            return "topic is too long"
        if body.get("type", 2) not in {1, 2, 3, 8}:
            return "Invalid field: type"
        if body.get("type") == 2 and not START_TIME.fullmatch(str(body.get("start_time", ""))):
            return "Invalid field: start_time"
        if "duration" in body and not isinstance(body["duration"], int):
            return "Invalid field: duration"
        return None

    async def api(self, request: Request) -> Response:
        if self.mode == "timeout":
            await anyio.sleep(5)
        if self.mode == "garbage":
            return Response("<html>Service Unavailable</html>", 200, media_type="text/html")
        if self.mode == "error500":
            return JSONResponse({"code": 500, "message": "Internal error"}, 500)
        refused = self._bearer(request)
        if refused is not None:
            return refused
        path, method = request.path_params["path"], request.method
        if path == "users/me" and method == "GET":
            return JSONResponse({**self.user, "first_name": "Host", "type": 2})
        if path == "users/me/meetings" and method == "POST":
            body = await request.json()
            if (problem := self._check_body(body, partial=False)) is not None:
                return JSONResponse({"code": 300, "message": problem}, 400)
            meeting_id = next(self._ids)
            meeting = {
                "id": meeting_id,
                "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
                "host_email": self.user["email"],
                "join_url": f"{self.base}/j/{meeting_id}?pwd={secrets.token_urlsafe(16)}",
                "password": secrets.token_hex(4),
                "status": "waiting",
                **body,
            }
            self.meetings[meeting_id] = meeting
            return JSONResponse(self._meeting_answer(meeting), 201)
        match = re.fullmatch(r"meetings/(\d+)(/status)?", path)
        if match is None:
            return JSONResponse({"code": 404, "message": "Not found"}, 404)
        meeting_id = int(match.group(1))
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return JSONResponse(
                {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."}, 404
            )
        if match.group(2):
            body = await request.json()
            if method != "PUT" or body != {"action": "end"}:
                return JSONResponse({"code": 300, "message": "Invalid action"}, 400)
            meeting["status"] = "finished"
            return Response(status_code=204)
        if method == "GET":
            return JSONResponse(self._meeting_answer(meeting))
        if method == "PATCH":
            body = await request.json()
            if (problem := self._check_body(body, partial=True)) is not None:
                return JSONResponse({"code": 300, "message": problem}, 400)
            meeting.update({k: v for k, v in body.items() if k not in {"id", "uuid"}})
            return Response(status_code=204)
        if method == "DELETE":
            del self.meetings[meeting_id]
            return Response(status_code=204)
        return JSONResponse({"code": 405, "message": "Method not allowed"}, 405)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/authorize", self.authorize),
                Route("/oauth/consent", self.consent, methods=["POST"]),
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/oauth/revoke", self.revoke, methods=["POST"]),
                Route(
                    "/v2/{path:path}", self.api, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
                ),
            ]
        )
