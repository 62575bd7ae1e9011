"""Secrets at rest: provider passwords and tokens, encrypted with a key derived from the app secret.

AES-256-GCM with a key derived from the app secret by HKDF-SHA256 (RFC 5869). The stored
form is versioned (`v1.` then URL-safe base64 of the nonce and the ciphertext with its tag),
so that another cipher can be added later and old values still read. The context (a
configuration and a field, e.g. `provider:3:secret`) is the authenticated associated data:
a ciphertext copied to another row or field does not read.

Changing `PARLEY_SECRET_KEY` makes every stored secret unreadable: administrators then enter
them again (the pages say so).
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16


class SecretUnreadable(Exception):
    """A stored secret that this key cannot read: altered, moved, or made with another key."""


def hkdf_sha256(key: bytes, *, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """Derive `length` bytes from `key` (RFC 5869, extract then expand)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretBox:
    """Encrypt and decrypt short strings with a key derived from the app secret."""

    def __init__(self, app_secret: str) -> None:
        key = hkdf_sha256(
            app_secret.encode(), salt=b"parley.providers.secrets", info=b"v1 aes-256-gcm"
        )
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt `plaintext` for the place named by `context` (e.g. `provider:3:secret`)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), f"{VERSION}\0{context}".encode())
        return f"{VERSION}.{_b64(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Return the plaintext of `token`, or raise SecretUnreadable."""
        version, _, body = token.partition(".")
        if version != VERSION:
            raise SecretUnreadable("unknown format")
        try:
            raw = _unb64(body)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise SecretUnreadable("not base64") from exc
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise SecretUnreadable("too short")
        try:
            plaintext = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"{VERSION}\0{context}".encode()
            )
        except InvalidTag as exc:
            raise SecretUnreadable("authentication failed") from exc
        try:
            return plaintext.decode()
        except UnicodeDecodeError as exc:  # pragma: no cover - the tag matched
            raise SecretUnreadable("not text") from exc
