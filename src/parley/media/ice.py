"""ICE servers for browsers, with short-lived TURN credentials.

TURN credentials follow coturn's `use-auth-secret` scheme (the "TURN REST API"): the user
name is `<expiry as a Unix time>:<who>` and the password is base64(HMAC-SHA1(secret, user
name)). coturn checks both with the same secret and refuses the name once the time has
passed, so a password copied out of a page is worth nothing a few hours later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from parley.settings import Settings


def turn_credential(secret: str, who: str, expires_at: int) -> tuple[str, str]:
    """The user name and password coturn accepts until `expires_at` (Unix time)."""
    username = f"{expires_at}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def turn_credential_valid(secret: str, username: str, password: str, now: float) -> bool:
    """What coturn checks: the password matches the name and the name has not expired."""
    expiry, _, who = username.partition(":")
    if not expiry.isdigit() or not who:
        return False
    expected = turn_credential(secret, who, int(expiry))[1]
    return hmac.compare_digest(expected, password) and int(expiry) > now


def ice_servers(settings: Settings, who: str, now: float | None = None) -> dict[str, Any]:
    """The `iceServers` of an RTCPeerConnection for this person, and when they expire."""
    now = time.time() if now is None else now
    expires_at = int(now) + settings.turn_ttl_seconds
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        secret = settings.turn_secret.get_secret_value()
        username, credential = turn_credential(secret, who, expires_at)
        servers.append(
            {"urls": list(settings.turn_urls), "username": username, "credential": credential}
        )
    return {"ice_servers": servers, "expires_at": expires_at}
