"""People: users, their roles, login sessions and household verification."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow


class RoleName(StrEnum):
    # "visitor" is nobody logged in; it has a row so the policy table can name it like the rest.
    VISITOR = "visitor"
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    STAFF = "staff"
    UNIT_CONTACT = "unit_contact"
    ADMIN = "admin"


class Role(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=32)
    position: int = 0


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=20)
    # Lower-cased username: uniqueness and @mentions ignore case.
    username_key: str = Field(max_length=20, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=RoleName.RESIDENT, foreign_key="role.name", max_length=32)
    real_name: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=20)
    is_active: bool = True  # False: banned (see forum.moderation); every session and token refused
    verified_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    # Muted until then: may read, may not write what others see (policy.MUTED_CANNOT).
    muted_until: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class LoginSession(SQLModel, table=True):
    """A browser session or an API token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "login_session"
    __table_args__ = (Index("ix_login_session_user", "user_id"),)

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=8)  # "web" or "api"
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))


class HouseholdStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Household(SQLModel, table=True):
    """A resident's claim to live at 楼号/单元/门牌, reviewed by staff."""

    __table_args__ = (Index("ix_household_status", "status", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True, ondelete="CASCADE")
    building: str = Field(max_length=10)
    unit: str = Field(max_length=10)
    room: str = Field(max_length=10)
    status: str = Field(default=HouseholdStatus.PENDING, max_length=10)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    review_note: str | None = Field(default=None, max_length=200)


# --- API schemas -----------------------------------------------------------------------------

USERNAME_PATTERN = r"^[A-Za-z0-9_\u4e00-\u9fff]{2,20}$"


class UserCreate(BaseModel):
    username: str = PField(min_length=2, max_length=20)
    password: str = PField(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: int
    username: str
    role: str
    is_verified: bool
    created_at: datetime


class TokenRequest(BaseModel):
    username: str = PField(max_length=64)
    password: str = PField(max_length=256)


class PasswordChange(BaseModel):
    current_password: str = PField(max_length=256)
    new_password: str = PField(max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class HouseholdCreate(BaseModel):
    building: str = PField(min_length=1, max_length=10)
    unit: str = PField(min_length=1, max_length=10)
    room: str = PField(min_length=1, max_length=10)
    real_name: str | None = PField(default=None, max_length=40)
    phone: str | None = PField(default=None, max_length=20)
