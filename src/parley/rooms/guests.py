"""Guest identities: issued by the server in a signed cookie, never chosen by the browser.

The `parley_guest` cookie holds a random secret key and its signature. The participant id
the others see is derived from the key by a keyed one-way hash, so knowing someone's id
tells nothing about their key; a cookie that is not one the server issued (forged, tampered
with, too long) earns a fresh identity, never someone else's.
"""

from __future__ import annotations

import re

from parley.security import constant_time_equal, new_token, sign

GUEST_COOKIE = "parley_guest"
# A guest who comes back within a year is the same guest (for polls, the waiting room…).
GUEST_COOKIE_SECONDS = 365 * 86400
# A key is 32 URL-safe characters and its signature 64 hex digits: anything longer is no
# cookie of ours, and is dropped unread.
COOKIE_MAX_CHARS = 120
_COOKIE = re.compile(r"^([A-Za-z0-9_-]{32})\.([0-9a-f]{64})$")
# Hex digits of the public id: 96 bits, unguessable and short enough for any id column.
PUBLIC_ID_CHARS = 24


def new_key() -> str:
    return new_token(nbytes=24)


def cookie_value(secret: str, key: str) -> str:
    return f"{key}.{sign(secret, 'guest-cookie', key)}"


def read_cookie(secret: str, value: str | None) -> str | None:
    """The guest key of a cookie the server issued, else None."""
    if not value or len(value) > COOKIE_MAX_CHARS:
        return None
    match = _COOKIE.match(value)
    if match is None:
        return None
    key, signature = match.groups()
    return key if constant_time_equal(signature, sign(secret, "guest-cookie", key)) else None


def public_id(secret: str, key: str) -> str:
    """The part of the guest's participant id that others see (after its leading `g`)."""
    return sign(secret, "guest-id", key)[:PUBLIC_ID_CHARS]
