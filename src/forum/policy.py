"""Who may do what: one table of role × action, checked here and nowhere else."""

from __future__ import annotations

from enum import StrEnum

from forum.accounts.models import RoleName, User
from forum.errors import NotAuthenticated, NotPermitted

R = RoleName
MEMBERS = frozenset({R.RESIDENT, R.VOLUNTEER, R.GRID_WORKER, R.STAFF, R.UNIT_CONTACT, R.ADMIN})
STAFF = frozenset({R.GRID_WORKER, R.STAFF, R.ADMIN})


class Action(StrEnum):
    READ = "read"
    POST_TOPIC = "post_topic"
    POST_STAFF_BOARD = "post_staff_board"  # open topics on 居务公开
    REPLY = "reply"
    LIKE = "like"
    FOLLOW = "follow"
    UPLOAD = "upload"
    EDIT_OWN = "edit_own"
    DELETE_OWN = "delete_own"
    REQUEST_HOUSEHOLD = "request_household"
    MODERATE = "moderate"  # pin, 精品, lock, move, hide/restore, delete any post
    SEE_PRIVATE = "see_private"  # real name, phone, household, deleted or hidden text
    REVIEW_HOUSEHOLD = "review_household"
    MANAGE_BOARDS = "manage_boards"
    MANAGE_CATEGORIES = "manage_categories"
    MANAGE_ROLES = "manage_roles"
    OPEN_CASE = "open_case"  # flag a post as 民情意见, record a concern heard offline
    VIEW_CASE_QUEUE = "view_case_queue"  # the staff queue, CSV export, private cases
    RECORD_MEETING = "record_meeting"
    MANAGE_UNITS = "manage_units"  # units, their contacts, category routing


PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.READ: MEMBERS | {R.VISITOR},
    Action.POST_TOPIC: MEMBERS,
    Action.POST_STAFF_BOARD: STAFF,
    Action.REPLY: MEMBERS,
    Action.LIKE: MEMBERS,
    Action.FOLLOW: MEMBERS,
    Action.UPLOAD: MEMBERS,
    Action.EDIT_OWN: MEMBERS,
    Action.DELETE_OWN: MEMBERS,
    Action.REQUEST_HOUSEHOLD: frozenset({R.RESIDENT, R.VOLUNTEER}),
    Action.MODERATE: frozenset({R.STAFF, R.ADMIN}),
    Action.SEE_PRIVATE: STAFF,
    Action.REVIEW_HOUSEHOLD: STAFF,
    Action.MANAGE_BOARDS: frozenset({R.ADMIN}),
    Action.MANAGE_CATEGORIES: frozenset({R.ADMIN}),
    Action.MANAGE_ROLES: frozenset({R.ADMIN}),
    Action.OPEN_CASE: STAFF | {R.VOLUNTEER},
    Action.VIEW_CASE_QUEUE: STAFF,
    Action.RECORD_MEETING: STAFF,
    Action.MANAGE_UNITS: frozenset({R.ADMIN}),
}


def role_of(user: User | None) -> str:
    return user.role if user is not None and user.is_active else R.VISITOR


def can(user: User | None, action: Action) -> bool:
    return role_of(user) in PERMISSIONS[action]


def require(user: User | None, action: Action) -> User:
    """Return the user if they may act; raise NotAuthenticated or NotPermitted otherwise."""
    if not can(user, action):
        if user is None:
            raise NotAuthenticated()
        raise NotPermitted()
    assert user is not None
    return user


def can_edit_post(user: User | None, author_id: int) -> bool:
    if user is None:
        return False
    if can(user, Action.MODERATE):
        return True
    return user.id == author_id and can(user, Action.EDIT_OWN)


def require_author_or_moderator(user: User | None, author_id: int, own: Action) -> User:
    user = require(user, own)
    if user.id != author_id and not can(user, Action.MODERATE):
        raise NotPermitted("只能修改自己发布的内容")
    return user
