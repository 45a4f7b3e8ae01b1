"""Accounts: registration, login sessions and API tokens, household verification, roles."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from forum import security
from forum.accounts.models import (
    USERNAME_PATTERN,
    Household,
    HouseholdStatus,
    LoginSession,
    Role,
    RoleName,
    User,
)
from forum.errors import Conflict, Invalid, NotAuthenticated, NotFound
from forum.guards import ratelimit
from forum.guards import service as guards
from forum.labels import ROLE_LABELS
from forum.moderation import audit
from forum.policy import Action, require
from forum.timeutil import utcnow

_USERNAME_RE = re.compile(USERNAME_PATTERN)
PASSWORD_MIN = 8
PASSWORD_MAX = 128
# The most guessed passwords of 8+ characters (English and Chinese lists): refused outright.
COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password123", "passw0rd", "12345678", "123456789", "1234567890",
        "87654321", "12341234", "123123123", "123456abc", "abc12345", "abcd1234", "a1234567",
        "aa123456", "qwertyui", "qwerty123", "1qaz2wsx", "1q2w3e4r", "qwe123456", "zxcvbnm1",
        "asdfghjk", "iloveyou", "woaini1314", "woaini520", "5201314a", "1314520a", "qq123456",
        "admin123", "admin1234", "welcome1", "sunshine", "princess", "football", "baseball",
        "dragon123", "letmein1", "trustno1", "abc123456", "123qweasd", "q1w2e3r4", "1a2b3c4d",
    }
)  # fmt: skip


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip()


def check_password_rules(password: str, username: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"密码至少需要 {PASSWORD_MIN} 个字符", field="password")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"密码不能超过 {PASSWORD_MAX} 个字符", field="password")
    if len(set(password)) < 4:
        raise Invalid("密码太简单，请混合使用不同的字符", field="password")
    if password.lower() == username.lower():
        raise Invalid("密码不能与用户名相同", field="password")
    if password.lower() in COMMON_PASSWORDS:
        raise Invalid("这个密码太常见，很容易被猜到，请换一个", field="password")


def register(
    session: Session,
    *,
    username: str,
    password: str,
    role: str = RoleName.RESIDENT,
    confirm: str | None = None,
) -> User:
    """Create an account; raise Invalid for a bad name or password (or a confirmation that differs),
    Conflict if the name is taken."""
    if confirm is not None and confirm != password:
        raise Invalid("两次输入的密码不一致", field="password2")
    username = normalize_username(username)
    if not _USERNAME_RE.match(username):
        raise Invalid("用户名须为 2–20 个汉字、字母、数字或下划线", field="username")
    check_password_rules(password, username)
    guards.screen(session, {"username": username}, allow_hold=False)
    key = username.lower()
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise Conflict("该用户名已被注册", field="username")
    ratelimit.hit(session, action="register")
    user = User(
        username=username, username_key=key, password_hash=security.hash_password(password), role=role
    )
    session.add(user)
    try:
        # A savepoint, so a lost race on the unique name is a Conflict, not a broken transaction.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("该用户名已被注册", field="username") from None
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    key = normalize_username(username).lower()
    ratelimit.check_login(session, username_key=key)
    user = session.exec(select(User).where(User.username_key == key)).first()
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        ratelimit.record_login_failure(session, username_key=key)
        raise NotAuthenticated("用户名或密码错误")
    ratelimit.clear_login_failures(session, username_key=key)
    if not user.is_active:
        raise NotAuthenticated("该账号已被停用")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def start_session(session: Session, *, user: User, kind: str, days: int) -> tuple[str, LoginSession]:
    """A new opaque token for a browser ("web") or an API client ("api"). Returns (token, row)."""
    token = security.new_token()
    row = LoginSession(
        id=security.token_id(token),
        user_id=user.id,  # type: ignore[arg-type]
        kind=kind,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return token, row


def user_for_token(session: Session, *, token: str, kind: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.get(LoginSession, security.token_id(token))
    if row is None or row.kind != kind or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(LoginSession).where(LoginSession.id == security.token_id(token)))  # type: ignore[call-overload]


def change_password(
    session: Session, *, user: User | None, current: str, new: str, confirm: str | None = None, keep: str = ""
) -> User:
    """Set a new password after checking the current one; every other browser session and API
    token of the user ends (`keep`: the token of the session making the change)."""
    if user is None:
        raise NotAuthenticated()
    # Guessing the current password from a borrowed session counts as guessing at the login.
    ratelimit.check_login(session, username_key=user.username_key)
    if not security.verify_password(user.password_hash, current):
        ratelimit.record_login_failure(session, username_key=user.username_key)
        raise Invalid("当前密码不正确", field="current")
    if confirm is not None and confirm != new:
        raise Invalid("两次输入的新密码不一致", field="password2")
    check_password_rules(new, user.username)
    if new == current:
        raise Invalid("新密码不能与当前密码相同", field="password")
    user.password_hash = security.hash_password(new)
    kept = security.token_id(keep) if keep else ""
    session.exec(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != kept))  # type: ignore[call-overload]
    session.flush()
    return user


def get_user_by_name(session: Session, username: str) -> User:
    key = normalize_username(username).lower()
    user = session.exec(select(User).where(User.username_key == key)).first()
    if user is None:
        raise NotFound("用户不存在")
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def household_of(session: Session, user: User) -> Household | None:
    return session.exec(select(Household).where(Household.user_id == user.id)).first()


def _clean_household_field(value: str, label: str) -> str:
    value = normalize_username(value)
    if not value or len(value) > 10:
        raise Invalid(f"请填写{label}（不超过 10 个字符）", field=label)
    if not re.fullmatch(r"[0-9A-Za-z\u4e00-\u9fff\-]+", value):
        raise Invalid(f"{label}只能包含数字、字母或汉字", field=label)
    return value


def request_household(
    session: Session,
    *,
    actor: User | None,
    building: str,
    unit: str,
    room: str,
    real_name: str | None = None,
    phone: str | None = None,
) -> Household:
    """A resident states 楼号/单元/门牌 (and optionally real name and phone) for staff review."""
    user = require(actor, Action.REQUEST_HOUSEHOLD)
    fields = {
        "building": _clean_household_field(building, "楼号"),
        "unit": _clean_household_field(unit, "单元"),
        "room": _clean_household_field(room, "门牌"),
    }
    if real_name is not None and real_name.strip():
        if len(real_name.strip()) > 40:
            raise Invalid("姓名不能超过 40 个字符", field="real_name")
        user.real_name = real_name.strip()
    if phone is not None and phone.strip():
        if not re.fullmatch(r"[0-9+\- ]{5,20}", phone.strip()):
            raise Invalid("请填写有效的电话号码", field="phone")
        user.phone = phone.strip()
    household = household_of(session, user)
    if household is None:
        household = Household(user_id=user.id, **fields)  # type: ignore[arg-type]
        session.add(household)
    else:
        for name, value in fields.items():
            setattr(household, name, value)
        household.status = HouseholdStatus.PENDING
        household.submitted_at = utcnow()
        household.reviewed_at = None
        household.reviewed_by_id = None
        household.review_note = None
    # A changed address needs a fresh review.
    user.verified_at = None
    session.flush()
    return household


def review_household(
    session: Session, *, actor: User | None, household_id: int, approve: bool, note: str | None = None
) -> Household:
    """Staff approve or reject a household claim; approval gives the 已认证住户 badge."""
    staff = require(actor, Action.REVIEW_HOUSEHOLD)
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound("认证申请不存在")
    if household.status != HouseholdStatus.PENDING:
        raise Conflict("该申请已经审核过了")
    if note is not None and len(note) > 200:
        raise Invalid("备注不能超过 200 个字符", field="note")
    now = utcnow()
    household.status = HouseholdStatus.APPROVED if approve else HouseholdStatus.REJECTED
    household.reviewed_at = now
    household.reviewed_by_id = staff.id
    household.review_note = (note or "").strip() or None
    user = session.get(User, household.user_id)
    assert user is not None
    user.verified_at = now if approve else None
    audit.record(
        session,
        actor=staff,
        action="approve_household" if approve else "reject_household",
        target_user_id=user.id,
        reason=household.review_note or "",
        details=f"{household.building}号楼 {household.unit}单元 {household.room}",
    )
    session.flush()
    return household


def pending_households(session: Session, *, actor: User | None) -> list[tuple[Household, User]]:
    require(actor, Action.REVIEW_HOUSEHOLD)
    rows = session.exec(
        select(Household, User)
        .join(User, User.id == Household.user_id)  # type: ignore[arg-type]
        .where(Household.status == HouseholdStatus.PENDING)
        .order_by(Household.submitted_at)  # type: ignore[arg-type]
        .limit(200)
    ).all()
    return [(h, u) for h, u in rows]


def roles(session: Session) -> list[Role]:
    return list(session.exec(select(Role).order_by(Role.position)).all())  # type: ignore[arg-type]


def set_role(session: Session, *, actor: User | None, user_id: int, role: str) -> User:
    require(actor, Action.MANAGE_ROLES)
    if role == RoleName.VISITOR or session.get(Role, role) is None:
        raise Invalid("未知的角色", field="role")
    user = get_user(session, user_id)
    if user.id == actor.id and role != RoleName.ADMIN:  # type: ignore[union-attr]
        raise Conflict("不能取消自己的管理员身份")
    if user.role != role:
        names = ROLE_LABELS.get(user.role, user.role), ROLE_LABELS.get(role, role)
        audit.record(
            session, actor=actor, action="set_role", target_user_id=user.id, details=" → ".join(names)
        )
    user.role = role
    session.flush()
    return user


def list_users(session: Session, *, actor: User | None, limit: int = 200) -> list[User]:
    require(actor, Action.MANAGE_ROLES)
    return list(session.exec(select(User).order_by(User.id).limit(limit)).all())  # type: ignore[arg-type]
