"""REST API of accounts: login, logout, the current person, personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from parley.accounts import service
from parley.accounts.schemas import (
    LoginIn,
    LoginOut,
    ProfileUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
)
from parley.accounts.web import attempt_login, clear_session_cookie, set_session_cookie
from parley.csrf import SESSION_COOKIE, CsrfProtected
from parley.deps import AppSettings, CurrentUser, DbSession, Id

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/login", response_model=LoginOut)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    _csrf: CsrfProtected,
) -> LoginOut:
    """Log in with email and password; sets the session cookie."""
    user, token = await attempt_login(
        request=request, db=db, email=body.email, password=body.password
    )
    set_session_cookie(response, token=token, settings=settings)
    return LoginOut(user=UserOut.model_validate(user), csrf_token=request.state.csrf_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    _csrf: CsrfProtected,
) -> None:
    """End this browser's session."""
    if token := request.cookies.get(SESSION_COOKIE):
        await service.end_session(db=db, token=token)
    clear_session_cookie(response, settings=settings)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    """Who is authenticated."""
    return UserOut.model_validate(user)


@router.patch("/me", response_model=UserOut)
async def update_me(
    body: ProfileUpdate, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> UserOut:
    """Change my display name or language."""
    await service.update_profile(
        db=db, user=user, display_name=body.display_name, language=body.language
    )
    return UserOut.model_validate(user)


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(user: CurrentUser, db: DbSession) -> list[TokenOut]:
    """My personal API tokens (never the tokens themselves)."""
    return [TokenOut.model_validate(t) for t in await service.list_api_tokens(db=db, user=user)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> TokenCreated:
    """Create a personal API token; the response holds it this once."""
    row, token = await service.create_api_token(db=db, user=user, name=body.name)
    return TokenCreated.model_validate(
        {**TokenOut.model_validate(row).model_dump(), "token": token}
    )


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: Id, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> None:
    """Revoke one of my tokens; it stops working at once."""
    await service.revoke_api_token(db=db, user=user, token_id=token_id)
