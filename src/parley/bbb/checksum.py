"""BigBlueButton's request checksums: a hex digest of call name + query string + secret.

The query string is hashed exactly as the client sent it, less its `checksum` pair, so any
encoding a client library uses (`+` or `%20` for a space, upper- or lower-case escapes) is
checked as that library computed it. The algorithm is told by the digest's length.
"""

from __future__ import annotations

import hashlib
import hmac

# Hex digest length → algorithm, as BigBlueButton tells them apart.
ALGORITHMS = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


def split(query: str) -> tuple[str, str | None]:
    """The query string without its `checksum` pair, and that pair's value (None: absent)."""
    kept: list[str] = []
    checksum: str | None = None
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if name == "checksum":
            checksum = value
        else:
            kept.append(pair)
    return "&".join(kept), checksum


def digest(algorithm: str, call: str, query: str, secret: str) -> str:
    """The checksum a client computes for `call` with `query` (checksum pair removed)."""
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def valid(*, call: str, query: str, checksum: str | None, secret: str, refuse_sha1: bool) -> bool:
    """Whether `checksum` signs `call` and `query` with `secret`, compared in constant time."""
    if not checksum:
        return False
    algorithm = ALGORITHMS.get(len(checksum))
    if algorithm is None or (algorithm == "sha1" and refuse_sha1):
        return False
    expected = digest(algorithm, call, query, secret)
    return hmac.compare_digest(expected.encode(), checksum.lower().encode())
