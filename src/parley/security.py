"""Secrets and hashes shared by the domains: passwords, random tokens, CSRF tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_hasher = PasswordHasher()
# Verified when an account does not exist, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("parley-dummy-password")

# An argon2 hash keeps a core busy for tens to hundreds of milliseconds. Hashes run in threads
# of their own, at most half the cores at once: a burst of logins waits behind itself, while
# the event loop and the shared worker threads (files, uploads) keep the other cores.
_password_threads = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="parley-password"
)


async def _in_password_thread(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_password_threads, work)


async def hash_password(password: str) -> str:
    return await _in_password_thread(lambda: _hasher.hash(password))


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await _in_password_thread(verify)


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Hash a high-entropy token for storage (a fast hash is right: it cannot be guessed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(f"{secret}:{purpose}".encode(), value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
