"""Talking to Janus: signed tokens, the VideoRoom plugin's rooms, and the Admin API.

Janus runs with `token_auth` and a `token_auth_secret`: every request carries a token
`<expiry>,janus,<plugin>[,<more>]:<base64(HMAC-SHA1(secret, everything before the colon))>`
that Janus checks (signature and expiry) on each request, keepalives included. Parley signs
short-lived ones for browsers, naming the VideoRoom plugin and, as an extra entry Janus keeps
with each handle, the room and participant they were made for: the Admin API shows it back
(`handle_info`), which is how Parley finds and cuts a removed person's sessions.

A room's own rules are enforced by VideoRoom: it is created with the `admin_key`, a secret of
its own and an `allowed` list; a browser joins with a per-participant join token on that list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

PLUGIN = "janus.plugin.videoroom"


class JanusError(Exception):
    """Janus refused a request, or could not be reached."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class JanusUnreachable(JanusError):
    pass


def sign_token(
    secret: str, *, ttl_seconds: int, extra: tuple[str, ...] = (), now: float | None = None
) -> str:
    """A token Janus accepts for the VideoRoom plugin until `ttl_seconds` from now."""
    expiry = int(time.time() if now is None else now) + ttl_seconds
    data = ",".join([str(expiry), "janus", PLUGIN, *extra])
    signature = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


@dataclass(frozen=True)
class Node:
    """One Janus server: its HTTP API and Admin API for Parley, its WebSocket for browsers."""

    name: str
    api_url: str
    admin_url: str
    public_url: str


class JanusClient:
    """Parley's own requests to one Janus node, over its HTTP API (loopback or a private net)."""

    def __init__(
        self, node: Node, *, http: httpx.AsyncClient, token_secret: str, admin_secret: str
    ) -> None:
        self.node = node
        self.http = http
        self.token_secret = token_secret
        self.admin_secret = admin_secret
        self._handle: tuple[int, int] | None = None

    # Transport

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": secrets.token_hex(6), **body}
        try:
            response = await self.http.post(url, json=body)
            answer: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnreachable(f"{self.node.name}: {exc.__class__.__name__}: {exc}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(f"{self.node.name}: {error.get('reason')}", error.get("code"))
        return answer

    def _token(self) -> str:
        return sign_token(self.token_secret, ttl_seconds=120, extra=("parley.server",))

    async def _admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._post(
            self.node.admin_url + path, {**body, "admin_secret": self.admin_secret}
        )

    # The Admin API

    async def ping(self) -> bool:
        try:
            return (await self._admin("", {"janus": "ping"})).get("janus") == "pong"
        except JanusError:
            return False

    async def sessions_of(self, marker: str) -> list[int]:
        """The Janus sessions whose handles were opened with a token naming `marker`."""
        found: list[int] = []
        listed = await self._admin("", {"janus": "list_sessions"})
        for session in listed.get("sessions") or []:
            try:
                handles = await self._admin(f"/{session}", {"janus": "list_handles"})
                for handle in handles.get("handles") or []:
                    info = await self._admin(f"/{session}/{handle}", {"janus": "handle_info"})
                    token = str((info.get("info") or {}).get("token") or "")
                    if marker in token.partition(":")[0].split(","):
                        found.append(int(session))
                        break
            except JanusUnreachable:
                raise
            except JanusError:
                continue  # the session ended while we looked
        return found

    async def destroy_session(self, session: int) -> None:
        try:
            await self._admin("", {"janus": "destroy_session", "session_id": session})
        except JanusUnreachable:
            raise
        except JanusError:
            pass  # already gone

    # The VideoRoom plugin

    async def _attach(self) -> tuple[int, int]:
        token = self._token()
        created = await self._post(self.node.api_url, {"janus": "create", "token": token})
        session = int(created["data"]["id"])
        attached = await self._post(
            f"{self.node.api_url}/{session}", {"janus": "attach", "plugin": PLUGIN, "token": token}
        )
        return session, int(attached["data"]["id"])

    async def room_request(self, body: dict[str, Any]) -> dict[str, Any]:
        """One synchronous VideoRoom request (create, exists, allowed, kick, destroy…)."""
        for attempt in (1, 2):
            if self._handle is None:
                self._handle = await self._attach()
            session, handle = self._handle
            try:
                answer = await self._post(
                    f"{self.node.api_url}/{session}/{handle}",
                    {"janus": "message", "body": body, "token": self._token()},
                )
            except JanusError as exc:
                # Our session timed out, or Janus restarted: attach again, once.
                self._handle = None
                if attempt == 2 or isinstance(exc, JanusUnreachable):
                    raise
                continue
            data: dict[str, Any] = (answer.get("plugindata") or {}).get("data") or {}
            if "error_code" in data:
                raise JanusError(f"{self.node.name}: {data.get('error')}", int(data["error_code"]))
            return data
        raise AssertionError("unreachable")

    async def room_exists(self, room: int) -> bool:
        return bool((await self.room_request({"request": "exists", "room": room})).get("exists"))

    async def create_room(
        self,
        room: int,
        *,
        secret: str,
        admin_key: str,
        allowed: list[str],
        publishers: int,
        description: str,
    ) -> bool:
        """Make the room unless it exists; True when it was made now."""
        try:
            await self.room_request(
                {
                    "request": "create",
                    "room": room,
                    "admin_key": admin_key,
                    "secret": secret,
                    "description": description,
                    "is_private": True,
                    "allowed": allowed,
                    "publishers": publishers,
                    "bitrate": 0,
                    "fir_freq": 10,
                    "audiocodec": "opus",
                    "videocodec": "vp8",
                    "notify_joining": True,
                    "audiolevel_event": False,
                }
            )
        except JanusError as exc:
            if exc.code == 427:  # "Room … already exists"
                return False
            raise
        return True

    async def allow(
        self, room: int, *, secret: str, tokens: list[str], action: str = "add"
    ) -> None:
        await self.room_request(
            {
                "request": "allowed",
                "room": room,
                "secret": secret,
                "action": action,
                "allowed": tokens,
            }
        )

    async def participants(self, room: int) -> list[dict[str, Any]]:
        data = await self.room_request({"request": "listparticipants", "room": room})
        return list(data.get("participants") or [])

    async def kick(self, room: int, *, secret: str, publisher: int) -> None:
        await self.room_request(
            {"request": "kick", "room": room, "secret": secret, "id": publisher}
        )

    async def destroy_room(self, room: int, *, secret: str) -> None:
        try:
            await self.room_request({"request": "destroy", "room": room, "secret": secret})
        except JanusError as exc:
            if exc.code != 426:  # "No such room"
                raise

    async def rooms(self, *, admin_key: str) -> list[int]:
        data = await self.room_request({"request": "list", "admin_key": admin_key})
        return [int(r["room"]) for r in data.get("list") or []]
