"""What the accounts API reads and writes."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from parley.accounts.models import NAME_MAX
from parley.mail.models import EMAIL_MAX

PASSWORD_MIN = 8
PASSWORD_MAX = 1024


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in value):
        raise ValueError("must not contain control characters")
    return value


def _lower(value: str) -> str:
    return value.lower()


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    AfterValidator(_no_control_characters),
]
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX), AfterValidator(_lower)]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Language = Literal["en", "fr"]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=1, max_length=EMAIL_MAX)]
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    display_name: DisplayName
    password: Password
    is_admin: bool = False


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    # An empty value means: follow the browser.
    language: Language | Literal[""] | None = None


class UserAdminUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_admin: bool | None = None
    is_active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    is_admin: bool
    is_active: bool
    # Whether the person opened the link mailed to `email`; invitations by address need it.
    email_verified: bool
    language: str | None
    created_at: datetime


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself; shown this once only.")
