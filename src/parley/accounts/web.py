"""What the accounts pages and API share: logging in with rate limits, the session cookie."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service
from parley.accounts.models import User
from parley.csrf import SESSION_COOKIE
from parley.errors import N_, NotAuthenticated, TooManyRequests
from parley.ratelimit import RateLimiter
from parley.runtime import runtime_of
from parley.settings import Settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _take_password_attempt(request: Request, email: str) -> tuple[str, ...]:
    """Count one password check for this address and account before it is made; return the keys.

    Counting first is what holds the limit when many checks arrive at once. Logging in and
    confirming the current password share one count: both tell whether a password is right.
    """
    limiter: RateLimiter = runtime_of(request).limiters.login
    keys = (f"ip:{client_address(request)}", f"email:{email.strip().lower()}")
    if not await limiter.take(*keys):
        raise TooManyRequests(
            N_("Too many failed attempts. Wait a minute, then try again."), code="rate_limited"
        )
    return keys


async def attempt_login(
    *, request: Request, db: AsyncSession, email: str, password: str
) -> tuple[User, str]:
    """Check credentials under the login rate limit; return the user and a session token."""
    keys = await _take_password_attempt(request, email)
    user = await service.authenticate(db=db, email=email, password=password)
    if user is None:
        raise NotAuthenticated(N_("Wrong email or password."), code="bad_credentials")
    # Only failures count against the limit.
    await runtime_of(request).limiters.login.give_back(*keys)
    settings: Settings = runtime_of(request).settings
    token = await service.start_session(
        db=db,
        user=user,
        days=settings.session_days,
        user_agent=request.headers.get("user-agent", ""),
    )
    return user, token


async def attempt_password_change(
    *, request: Request, db: AsyncSession, user: User, current: str, new: str
) -> None:
    """Change `user`'s password under the login rate limit; only this browser stays logged in."""
    keys = await _take_password_attempt(request, user.email)
    await service.change_password(
        db=db,
        user=user,
        current=current,
        new=new,
        keep_session=request.cookies.get(SESSION_COOKIE),
    )
    await runtime_of(request).limiters.login.give_back(*keys)


def set_session_cookie(response: Response, *, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, *, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def safe_next(target: str | None) -> str:
    """Keep `target` only if it is a path on this site; never redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in target):
        return "/"
    return target
