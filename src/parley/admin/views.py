"""REST API of the administration: members and site settings."""

from __future__ import annotations

from fastapi import APIRouter, status

from parley.accounts import service as accounts
from parley.accounts.schemas import UserAdminUpdate, UserCreate, UserOut
from parley.csrf import CsrfProtected
from parley.deps import AdminUser, DbSession, Id
from parley.errors import N_, NotFound

router = APIRouter(prefix="/api/v1/users", tags=["administration"])


@router.get("", response_model=list[UserOut])
async def list_users(_admin: AdminUser, db: DbSession) -> list[UserOut]:
    """Every account (administrators only)."""
    return [UserOut.model_validate(u) for u in await accounts.list_users(db=db)]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, _admin: AdminUser, db: DbSession, _csrf: CsrfProtected
) -> UserOut:
    """Create an account (administrators only)."""
    user = await accounts.create(
        db=db,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        is_admin=body.is_admin,
    )
    return UserOut.model_validate(user)


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: Id, body: UserAdminUpdate, admin: AdminUser, db: DbSession, _csrf: CsrfProtected
) -> UserOut:
    """Promote, demote, disable or enable an account (administrators only)."""
    user = await accounts.get(db=db, user_id=user_id)
    if user is None:
        raise NotFound(N_("No such account."))
    await accounts.set_roles(
        db=db, actor=admin, user=user, is_admin=body.is_admin, is_active=body.is_active
    )
    return UserOut.model_validate(user)
