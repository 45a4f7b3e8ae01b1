"""Who may do what: one table of role × action, checked here and nowhere else."""

from __future__ import annotations

from enum import StrEnum

from forum.accounts.models import RoleName, User
from forum.errors import NotAuthenticated, NotPermitted
from forum.moderation.errors import Muted
from forum.timeutil import utcnow

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
    REPORT_CONCERN = "report_concern"  # 我要反映, 提交给社区, add an update to a case
    VIEW_CASE_QUEUE = "view_case_queue"  # the staff queue, CSV export, private cases
    RECORD_MEETING = "record_meeting"
    MANAGE_UNITS = "manage_units"  # units, their contacts, category routing
    PUBLISH_NOTICE = "publish_notice"  # 居务公开: write, edit, pin, withdraw notices; close comments
    MANAGE_WORDS = "manage_words"  # the sensitive-word list
    MANAGE_CONSULTATIONS = "manage_consultations"  # 征求意见 / 民主评议: publish, close, export
    ANSWER_CONSULTATION = "answer_consultation"
    REPORT = "report"  # 举报 a post
    SANCTION = "sanction"  # warn, mute and ban users (and lift mutes and bans)
    VIEW_AUDIT = "view_audit"  # the log of every moderator action
    RECEIVE_MAIL = "receive_mail"  # add an e-mail address and choose what to receive by mail


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
    Action.REPORT_CONCERN: MEMBERS,
    Action.VIEW_CASE_QUEUE: STAFF,
    Action.RECORD_MEETING: STAFF,
    Action.MANAGE_UNITS: frozenset({R.ADMIN}),
    Action.PUBLISH_NOTICE: STAFF,
    Action.MANAGE_WORDS: frozenset({R.ADMIN}),
    Action.MANAGE_CONSULTATIONS: STAFF,
    Action.ANSWER_CONSULTATION: MEMBERS,
    Action.REPORT: MEMBERS,
    Action.SANCTION: frozenset({R.STAFF, R.ADMIN}),
    Action.VIEW_AUDIT: frozenset({R.ADMIN}),
    Action.RECEIVE_MAIL: MEMBERS,
}

# What a muted user may not do until the mute ends: everything that writes content others see.
# PUBLISH_NOTICE and MANAGE_CONSULTATIONS also write text, but they double as the staff's read
# check (drafts, results, exports), so they are not here: a staff member who must not publish
# loses the role (only an admin may mute staff anyway).
MUTED_CANNOT = frozenset(
    {
        Action.POST_TOPIC,
        Action.POST_STAFF_BOARD,
        Action.REPLY,
        Action.LIKE,
        Action.UPLOAD,
        Action.EDIT_OWN,
        Action.REPORT,
        Action.OPEN_CASE,  # a public case's title and description are shown on the 公示 list
        Action.REPORT_CONCERN,  # 我要反映 posts on the 民情反映 board; updates go on the timeline
        Action.ANSWER_CONSULTATION,  # free-text answers are published with the results
        Action.RECORD_MEETING,  # the title and decisions go on the linked cases' timelines
    }
)


def role_of(user: User | None) -> str:
    return user.role if user is not None and user.is_active else R.VISITOR


def is_muted(user: User | None) -> bool:
    return user is not None and user.muted_until is not None and user.muted_until > utcnow()


def can(user: User | None, action: Action) -> bool:
    if action in MUTED_CANNOT and is_muted(user):
        return False
    return role_of(user) in PERMISSIONS[action]


def require(user: User | None, action: Action) -> User:
    """Return the user if they may act; raise NotAuthenticated, NotPermitted or Muted otherwise."""
    if not can(user, action):
        if user is None:
            raise NotAuthenticated()
        if is_muted(user) and action in MUTED_CANNOT and role_of(user) in PERMISSIONS[action]:
            raise Muted(user.muted_until)  # type: ignore[arg-type]
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
