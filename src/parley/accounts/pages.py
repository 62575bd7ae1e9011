"""Pages of accounts: first-run setup, log in and out, sign-up, home, profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from parley import i18n, site
from parley.accounts import app_passwords, service, verification
from parley.accounts.models import User
from parley.accounts.schemas import DisplayName, Email, Password, ProfileUpdate, TokenCreate
from parley.accounts.web import (
    attempt_login,
    attempt_password_change,
    clear_session_cookie,
    safe_next,
    set_session_cookie,
)
from parley.csrf import SESSION_COOKIE, check_csrf
from parley.deps import AppSettings, CurrentUser, DbSession, Id, Viewer
from parley.errors import N_, Conflict, Forbidden, NotAuthenticated, TooManyRequests
from parley.forms import form_data, parse
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


class AccountForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email
    display_name: DisplayName
    password: Password


class PasswordForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    current_password: str
    new_password: Password


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _signed_in(request: Request, *, token: str, target: str) -> Response:
    response = _redirect(target)
    set_session_cookie(response, token=token, settings=runtime_of(request).settings)
    return response


async def _start_session(
    request: Request, db: DbSession, user: User, settings: AppSettings
) -> Response:
    """Log a newly created account in, and take them home."""
    token = await service.start_session(
        db=db,
        user=user,
        days=settings.session_days,
        user_agent=request.headers.get("user-agent", ""),
    )
    return _signed_in(request, token=token, target="/")


@router.get("/")
async def home(request: Request, viewer: Viewer, db: DbSession) -> Response:
    if viewer is None:
        if await service.count_admins(db=db) == 0:
            return _redirect("/setup")
        return _redirect("/login")
    return render(request, "home.html")


@router.get("/setup")
async def setup_form(request: Request, db: DbSession) -> Response:
    if await service.count_admins(db=db) > 0:
        return _redirect("/login")
    return render(request, "accounts/setup.html", {"values": {}, "errors": {}})


@router.post("/setup")
async def setup(request: Request, db: DbSession, settings: AppSettings) -> Response:
    if await service.count_admins(db=db) > 0:
        return _redirect("/login")
    data = await form_data(request)
    form, errors = parse(AccountForm, data)
    if form is None:
        return render(
            request, "accounts/setup.html", {"values": data, "errors": errors}, status_code=422
        )
    try:
        user = await service.create_first_admin(
            db=db,
            email=form.email,
            display_name=form.display_name,
            password=form.password,
            language=i18n.get_language(),
        )
    except Conflict:
        return _redirect("/login")
    return await _start_session(request, db, user, settings)


@router.get("/login")
async def login_form(
    request: Request,
    viewer: Viewer,
    db: DbSession,
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    target = safe_next(next_)
    if viewer is not None:
        return _redirect(target)
    if await service.count_admins(db=db) == 0:
        return _redirect("/setup")
    return render(
        request,
        "accounts/login.html",
        {
            "next": target,
            "email": "",
            "error": None,
            "signup_enabled": (await site.load(db, site.Signup)).enabled,
        },
    )


@router.post("/login")
async def login(request: Request, db: DbSession) -> Response:
    data = await form_data(request)
    target = safe_next(data.get("next"))
    email = data.get("email", "")[:254]
    try:
        _user, token = await attempt_login(
            request=request, db=db, email=email, password=data.get("password", "")[:1024]
        )
    except (NotAuthenticated, TooManyRequests) as exc:
        return render(
            request,
            "accounts/login.html",
            {
                "next": target,
                "email": email,
                "error": i18n.gettext(exc.message),
                "signup_enabled": (await site.load(db, site.Signup)).enabled,
            },
            status_code=exc.status_code,
        )
    return _signed_in(request, token=token, target=target)


@router.post("/logout")
async def logout(request: Request, db: DbSession, settings: AppSettings) -> Response:
    if token := request.cookies.get(SESSION_COOKIE):
        await service.end_session(db=db, token=token)
    response = _redirect("/login")
    clear_session_cookie(response, settings=settings)
    return response


@router.get("/signup")
async def signup_form(request: Request, db: DbSession) -> Response:
    if not (await site.load(db, site.Signup)).enabled:
        raise Forbidden(N_("Sign-up is turned off. Ask an administrator for an account."))
    return render(request, "accounts/signup.html", {"values": {}, "errors": {}})


@router.post("/signup")
async def signup(request: Request, db: DbSession, settings: AppSettings) -> Response:
    if not (await site.load(db, site.Signup)).enabled:
        raise Forbidden(N_("Sign-up is turned off. Ask an administrator for an account."))
    data = await form_data(request)
    form, errors = parse(AccountForm, data)
    if form is None:
        return render(
            request, "accounts/signup.html", {"values": data, "errors": errors}, status_code=422
        )
    # The same answer whether the address had an account or not (its owner is told by mail),
    # and no login yet: a session here would tell the two apart.
    await verification.sign_up(
        db=db,
        settings=settings,
        secret=runtime_of(request).secret,
        limiter=runtime_of(request).limiters.verification,
        email=form.email,
        display_name=form.display_name,
        password=form.password,
        language=i18n.get_language(),
    )
    return _check_mailbox(request, form.email)


def _check_mailbox(request: Request, email: str) -> Response:
    context = {"email": email.strip().lower(), "hours": verification.LINK_HOURS}
    return render(request, "accounts/check_mailbox.html", context)


@router.get("/verify-email/{token}")
async def verify_email(token: str, request: Request, db: DbSession, viewer: Viewer) -> Response:
    """Confirm the address the link was sent to; say clearly when the link is bad or old."""
    try:
        user = await verification.user_for_link(
            db=db, secret=runtime_of(request).secret, token=token[:200]
        )
    except verification.ExpiredLink:
        return _link_page(request, "expired", status_code=410)
    except verification.BadLink:
        return _link_page(request, "invalid", status_code=400)
    await service.mark_verified(db=db, user=user)
    return _link_page(request, "verified", email=user.email)


def _link_page(
    request: Request, state: str, *, email: str = "", status_code: int = 200
) -> Response:
    context = {"state": state, "email": email, "hours": verification.LINK_HOURS}
    return render(request, "accounts/verify_email.html", context, status_code=status_code)


@router.post("/verify-email/resend")
async def resend_verification(
    request: Request, user: CurrentUser, db: DbSession, settings: AppSettings
) -> Response:
    sent = await verification.send_again(
        db=db,
        settings=settings,
        secret=runtime_of(request).secret,
        limiter=runtime_of(request).limiters.verification,
        user=user,
        language=i18n.get_language(),
    )
    if not sent:
        raise TooManyRequests(
            N_("Several emails went to this address a short while ago. Wait a little."),
            code="too_many_emails",
        )
    if user.email_verified:
        return _redirect("/")
    return _check_mailbox(request, user.email)


async def _profile_page(
    request: Request,
    user: CurrentUser,
    db: DbSession,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    new_token: str | None = None,
    new_app_password: str | None = None,
    status_code: int = 200,
) -> Response:
    tokens = await service.list_api_tokens(db=db, user=user)
    programs = await app_passwords.list_for(db=db, user=user)
    return render(
        request,
        "accounts/profile.html",
        {
            "errors": errors or {},
            "notice": notice,
            "tokens": tokens,
            "new_token": new_token,
            "app_passwords": programs,
            "new_app_password": new_app_password,
            "dav_url": f"{runtime_of(request).settings.effective_public_url}/.well-known/caldav",
        },
        status_code=status_code,
    )


@router.get("/profile")
async def profile(request: Request, user: CurrentUser, db: DbSession) -> Response:
    return await _profile_page(request, user, db)


@router.post("/profile")
async def update_profile(request: Request, user: CurrentUser, db: DbSession) -> Response:
    form, errors = parse(ProfileUpdate, await form_data(request))
    if form is None:
        return await _profile_page(request, user, db, errors=errors, status_code=422)
    await service.update_profile(
        db=db, user=user, display_name=form.display_name, language=form.language
    )
    i18n.set_language(user.language or i18n.negotiate(request.headers.get("accept-language")))
    return await _profile_page(request, user, db, notice=i18n.gettext(N_("Profile saved.")))


@router.post("/profile/password")
async def change_password(request: Request, user: CurrentUser, db: DbSession) -> Response:
    form, errors = parse(PasswordForm, await form_data(request))
    if form is not None:
        try:
            await attempt_password_change(
                request=request,
                db=db,
                user=user,
                current=form.current_password,
                new=form.new_password,
            )
        except (Forbidden, TooManyRequests) as exc:
            errors = {"current_password": i18n.gettext(exc.message)}
            status_code = exc.status_code if isinstance(exc, TooManyRequests) else 422
            return await _profile_page(request, user, db, errors=errors, status_code=status_code)
        notice = i18n.gettext(N_("Password changed. You are logged out everywhere else."))
        return await _profile_page(request, user, db, notice=notice)
    return await _profile_page(request, user, db, errors=errors, status_code=422)


@router.post("/profile/tokens")
async def create_token(request: Request, user: CurrentUser, db: DbSession) -> Response:
    form, errors = parse(TokenCreate, await form_data(request))
    if form is None:
        return await _profile_page(
            request, user, db, errors={"token_name": errors.get("name", "")}, status_code=422
        )
    _row, token = await service.create_api_token(db=db, user=user, name=form.name)
    return await _profile_page(request, user, db, new_token=token)


@router.post("/profile/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, token_id: Id, user: CurrentUser, db: DbSession
) -> Response:
    await service.revoke_api_token(db=db, user=user, token_id=token_id)
    return _redirect("/profile#tokens")


@router.post("/profile/app-passwords")
async def create_app_password(request: Request, user: CurrentUser, db: DbSession) -> Response:
    form, errors = parse(TokenCreate, await form_data(request))
    if form is None:
        return await _profile_page(
            request, user, db, errors={"app_password": errors.get("name", "")}, status_code=422
        )
    _row, password = await app_passwords.create(db=db, user=user, label=form.name)
    return await _profile_page(request, user, db, new_app_password=password)


@router.post("/profile/app-passwords/{password_id}/revoke")
async def revoke_app_password(
    request: Request, password_id: Id, user: CurrentUser, db: DbSession
) -> Response:
    await app_passwords.revoke(db=db, user=user, password_id=password_id)
    return _redirect("/profile#app-passwords")
