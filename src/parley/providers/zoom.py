"""Zoom: an account connected with OAuth (authorization code and PKCE), and its meetings.

- "Connect Zoom" sends the administrator to Zoom's consent page with a `state` and a PKCE
  challenge (S256); Zoom sends them back with a code, which Parley trades for tokens with
  the code verifier and the app's client credentials (HTTP Basic).
- Access tokens last an hour. Parley refreshes them a minute before they expire, or when Zoom
  says one is no longer valid. Refresh tokens rotate: each refresh answers a new one, which
  Parley stores at once; the old one no longer works. When another process refreshed first,
  Parley finds the newer tokens in the database and uses them.
- "Disconnect" revokes the token at Zoom; Parley forgets the tokens whatever Zoom answers.
- Zoom calls the webhook when someone removes the app (`app_deauthorized`) and every few
  days to validate the address (`endpoint.url_validation`). Each call is signed:
  `x-zm-signature` is `v0=` and the hex HMAC-SHA256, keyed with the app's secret token, of
  `v0:{x-zm-request-timestamp}:{body}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from parley.db import utcnow
from parley.errors import N_
from parley.providers.base import (
    Check,
    MeetingSpec,
    OAuthProvider,
    OAuthTokens,
    Person,
    ProviderError,
    ProviderMeeting,
    WebhookAnswer,
)
from parley.providers.forms import ServiceUrl
from parley.providers.http import bad_answer, send

log = logging.getLogger(__name__)

# Refresh this long before the access token expires, so no request carries a dying token.
REFRESH_MARGIN = timedelta(seconds=60)
# A webhook call older (or newer) than this is refused: it may be a replay.
WEBHOOK_TOLERANCE_SECONDS = 300
# Zoom meeting types: 2 is scheduled, 3 recurring with no fixed time (a room's lasting link).
SCHEDULED, NO_FIXED_TIME = 2, 3


class ZoomConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(
        min_length=1,
        max_length=200,
        title=N_("Client ID"),
        description=N_("From your Zoom app's App Credentials page (a General app, user-managed)."),
    )
    client_secret: SecretStr = Field(
        title=N_("Client secret"), description=N_("From the same page as the client ID.")
    )
    webhook_secret: SecretStr = Field(
        SecretStr(""),
        title=N_("Secret token"),
        description=N_(
            "From your app's Access page: lets Parley check that a webhook call comes from Zoom."
        ),
    )
    oauth_url: ServiceUrl = Field(
        "https://zoom.us",
        title=N_("Zoom sign-in address"),
        description=N_("Keep https://zoom.us unless you use another Zoom cloud."),
        json_schema_extra={"widget": "url"},
    )
    api_url: ServiceUrl = Field(
        "https://api.zoom.us/v2",
        title=N_("Zoom API address"),
        description=N_("Keep https://api.zoom.us/v2 unless you use another Zoom cloud."),
        json_schema_extra={"widget": "url"},
    )


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class ZoomProvider(OAuthProvider[ZoomConfig]):
    kind = "zoom"
    label = N_("Zoom")
    description = N_("Meetings made in the Zoom account an administrator connects.")
    config_model = ZoomConfig

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # One refresh at a time in this process (a refresh token works once).
        self._refreshing = asyncio.Lock()

    # OAuth

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.config.oauth_url}/oauth/authorize?{query}"

    def _not_connected(self) -> ProviderError:
        return self.error(
            N_("%(provider)s is not connected to a Zoom account: press Connect Zoom."),
            code="provider_not_connected",
        )

    async def _token_request(self, form: dict[str, str]) -> OAuthTokens:
        response = await send(
            self.context.http,
            "POST",
            f"{self.config.oauth_url}/oauth/token",
            provider=self.name,
            data=form,
            auth=(self.config.client_id, self.config.client_secret.get_secret_value()),
        )
        body = self._json(response)
        if response.status_code == 401 or body.get("error") == "invalid_client":
            raise self.error(
                N_("Zoom refused the client ID or the client secret of %(provider)s."),
                code="provider_refused",
            )
        if response.status_code != 200:
            raise self.error(
                N_("Zoom no longer accepts the connection of %(provider)s: connect Zoom again."),
                code="provider_not_connected",
            )
        try:
            return OAuthTokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=utcnow() + timedelta(seconds=int(body["expires_in"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_answer(self.name) from exc

    async def connect(self, *, code: str, code_verifier: str, redirect_uri: str) -> tuple[str, str]:
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        await self.context.tokens.save(self.config_id, tokens)
        return await self.account()

    async def _refresh(self, used: OAuthTokens) -> OAuthTokens:
        async with self._refreshing:
            stored = await self.context.tokens.load(self.config_id)
            if stored is None:
                raise self._not_connected()
            if stored.refresh_token != used.refresh_token:
                # Refreshed meanwhile (by this process or another): the stored ones are newer.
                return stored
            try:
                fresh = await self._token_request(
                    {"grant_type": "refresh_token", "refresh_token": stored.refresh_token}
                )
            except ProviderError as exc:
                if exc.code != "provider_not_connected":
                    raise
                # Another process may have rotated the refresh token in between.
                latest = await self.context.tokens.load(self.config_id)
                if latest is not None and latest.refresh_token != stored.refresh_token:
                    return latest
                raise
            await self.context.tokens.save(self.config_id, fresh)
            log.info("zoom tokens refreshed", extra={"provider_config": self.config_id})
            return fresh

    async def _tokens(self) -> OAuthTokens:
        tokens = await self.context.tokens.load(self.config_id)
        if tokens is None:
            raise self._not_connected()
        if tokens.expires_at - REFRESH_MARGIN <= utcnow():
            tokens = await self._refresh(tokens)
        return tokens

    async def disconnect(self) -> None:
        tokens = await self.context.tokens.load(self.config_id)
        if tokens is None:
            return
        response = await send(
            self.context.http,
            "POST",
            f"{self.config.oauth_url}/oauth/revoke",
            provider=self.name,
            data={"token": tokens.access_token},
            auth=(self.config.client_id, self.config.client_secret.get_secret_value()),
        )
        # An expired or already revoked token (400) is as good as revoked; a refused client
        # (401) or a failing Zoom is not.
        if response.status_code == 401 or response.status_code >= 500:
            raise self.error(
                N_("%(provider)s answered with the error %(status)s. Check its address."),
                code="provider_refused",
                status=response.status_code,
            )

    # The REST API

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise bad_answer(self.name) from exc
        if not isinstance(body, dict):
            raise bad_answer(self.name)
        return body

    async def _api(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        tokens = await self._tokens()
        for attempt in range(2):
            response = await send(
                self.context.http,
                method,
                f"{self.config.api_url}{path}",
                provider=self.name,
                json=body,
                headers={"authorization": f"Bearer {tokens.access_token}"},
            )
            if response.status_code == 401 and attempt == 0:
                # Expired early or revoked: refresh once, then give up.
                tokens = await self._refresh(tokens)
                continue
            break
        answer = self._json(response)
        if response.status_code == 404:
            raise self.error(
                N_("%(provider)s does not know this meeting (any more)."),
                code="provider_not_found",
            )
        if response.status_code == 401:
            raise self._not_connected()
        if response.status_code >= 300:
            detail = str(answer.get("message") or response.status_code)[:300]
            raise self.error(
                N_("%(provider)s refused: %(detail)s"), code="provider_refused", detail=detail
            )
        return answer

    async def account(self) -> tuple[str, str]:
        me = await self._api("GET", "/users/me")
        if not isinstance(me.get("id"), str) or not isinstance(me.get("email"), str):
            raise bad_answer(self.name)
        return me["id"], me["email"]

    def _meeting_body(self, spec: MeetingSpec) -> dict[str, Any]:
        policy = spec.settings.guest_policy
        body: dict[str, Any] = {
            "topic": spec.title[:200],
            "agenda": spec.description[:2000],
            "type": NO_FIXED_TIME if spec.start is None else SCHEDULED,
            "settings": {
                "mute_upon_entry": spec.settings.mute_on_start,
                "waiting_room": policy == "ask_moderator",
                "join_before_host": policy == "open",
                "meeting_authentication": policy == "members_only",
            },
        }
        if spec.start is not None:
            body["start_time"] = spec.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            body["duration"] = spec.duration_minutes
            body["timezone"] = spec.timezone
        return body

    def _meeting(self, answer: Mapping[str, Any]) -> ProviderMeeting:
        try:
            meeting_id, join_url = answer["id"], answer["join_url"]
        except KeyError as exc:
            raise bad_answer(self.name) from exc
        if not isinstance(join_url, str) or not isinstance(meeting_id, int | str):
            raise bad_answer(self.name)
        # The start_url carries the host's credential and expires: it is fetched per join.
        return ProviderMeeting(
            external_id=str(meeting_id), join_url=join_url, data={"uuid": answer.get("uuid")}
        )

    async def create_meeting(self, spec: MeetingSpec) -> ProviderMeeting:
        return self._meeting(
            await self._api("POST", "/users/me/meetings", self._meeting_body(spec))
        )

    async def update_meeting(self, meeting: ProviderMeeting, spec: MeetingSpec) -> ProviderMeeting:
        try:
            await self._api("PATCH", f"/meetings/{meeting.external_id}", self._meeting_body(spec))
        except ProviderError as exc:
            if exc.code != "provider_not_found":
                raise
            # Deleted in Zoom meanwhile: the event still needs a meeting.
            return await self.create_meeting(spec)
        return meeting

    async def delete_meeting(self, meeting: ProviderMeeting) -> None:
        try:
            await self._api("DELETE", f"/meetings/{meeting.external_id}")
        except ProviderError as exc:
            if exc.code != "provider_not_found":
                raise

    async def join_url(self, meeting: ProviderMeeting, person: Person) -> str:
        if person.role != "moderator":
            if meeting.join_url is None:
                raise bad_answer(self.name)
            return meeting.join_url
        # Moderators start the meeting as the connected account, with a fresh start_url.
        details = await self._api("GET", f"/meetings/{meeting.external_id}")
        start_url = details.get("start_url")
        if not isinstance(start_url, str):
            raise bad_answer(self.name)
        return start_url

    async def is_running(self, meeting: ProviderMeeting) -> bool | None:
        details = await self._api("GET", f"/meetings/{meeting.external_id}")
        return bool(details.get("status") == "started")

    async def end_meeting(self, meeting: ProviderMeeting) -> None:
        await self._api("PUT", f"/meetings/{meeting.external_id}/status", {"action": "end"})

    async def test_connection(self) -> Check:
        if await self.context.tokens.load(self.config_id) is None:
            raise self._not_connected()
        _id, email = await self.account()
        return Check(N_("Zoom answered; connected as %(email)s."), {"email": email})

    # Webhooks

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        secret = self.config.webhook_secret.get_secret_value()
        timestamp = headers.get("x-zm-request-timestamp", "")
        signature = headers.get("x-zm-signature", "")
        refused = WebhookAnswer(status_code=401, body={"code": "bad_signature"})
        if not secret or not timestamp.isdigit():
            return refused
        if abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
            return refused
        if not hmac.compare_digest(signature, webhook_signature(secret, timestamp, body)):
            return refused
        try:
            event = json.loads(body)
            name, payload = event["event"], event.get("payload") or {}
        except (ValueError, KeyError, TypeError):
            return WebhookAnswer(status_code=400, body={"code": "bad_request"})
        if name == "endpoint.url_validation":
            plain = str(payload.get("plainToken", ""))
            encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
            return WebhookAnswer(body={"plainToken": plain, "encryptedToken": encrypted})
        if name == "app_deauthorized" and payload.get("client_id") in {None, self.config.client_id}:
            return WebhookAnswer(deauthorized_account=str(payload.get("user_id") or ""))
        return WebhookAnswer()
