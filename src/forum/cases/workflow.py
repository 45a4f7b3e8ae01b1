"""The case state machine: every action, the states it may start from, where it leads, and who may
take it — one table, enforced by `check()`, which services and routes both go through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from forum.accounts.models import RoleName, User
from forum.cases.models import Case, Status
from forum.errors import Conflict, Invalid, NotAuthenticated, NotPermitted


class Party(StrEnum):
    """Who someone is with respect to one case."""

    STAFF = "staff"  # 社工 / 居委会 / 服务站, 网格员, 管理员
    VOLUNTEER = "volunteer"  # 民情信息员
    UNIT = "unit"  # a contact of the case's responsible unit
    POSTER = "poster"  # the resident whose concern it is
    MEMBER = "member"  # any logged-in user
    SYSTEM = "system"  # scheduled jobs (archiving)


class CaseAction(StrEnum):
    ACCEPT = "accept"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    REOPEN = "reopen"
    MERGE = "merge"
    RATE = "rate"  # the resident answers the 回访: 满意 / 基本满意 -> 已评价
    RATE_UNSATISFIED = "rate_unsatisfied"  # 不满意: resolved -> in progress again
    FOLLOW_UP = "follow_up"  # staff record a 回访 (phone, visit) themselves -> 已回访
    NO_RATING = "no_rating"  # nobody answered the 回访 in time: 未评价, closed
    CLOSE = "close"  # staff close a case resolved a second time without waiting for a rating
    ARCHIVE = "archive"  # 已评价 / 已回访 -> 已归档
    # Actions that leave the status as it is.
    ASSIGN = "assign"
    SET_DEADLINE = "set_deadline"
    COMMENT = "comment"  # a public note on the timeline (staff, or the unit's answer)
    NOTE = "note"  # a staff-only note
    LINK_POST = "link_post"
    SUPPORT = "support"  # 我也遇到
    UPDATE = "update"  # a resident adds to the record: "还没修好", a photo
    # A unit pushing back, and staff deciding.
    REQUEST_RETURN = "request_return"  # 退单: not our responsibility
    REQUEST_REASSIGN = "request_reassign"  # 改派申请: another unit should take it
    REQUEST_EXTENSION = "request_extension"  # 延期申请: a new date, and why
    APPROVE_REQUEST = "approve_request"
    REFUSE_REQUEST = "refuse_request"


S, P = Status, Party
OPEN = frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS})
LIVE = OPEN | {S.RESOLVED}
ANY = frozenset(Status)


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change
    parties: frozenset[Party]
    note_required: bool = False


RULES: dict[CaseAction, Rule] = {
    CaseAction.ACCEPT: Rule(frozenset({S.SUBMITTED}), S.ACCEPTED, frozenset({P.STAFF})),
    CaseAction.REJECT: Rule(frozenset({S.SUBMITTED}), S.REJECTED, frozenset({P.STAFF}), note_required=True),
    CaseAction.START: Rule(frozenset({S.ACCEPTED}), S.IN_PROGRESS, frozenset({P.STAFF, P.UNIT})),
    CaseAction.RESOLVE: Rule(
        frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.RESOLVED, frozenset({P.STAFF, P.UNIT}), note_required=True
    ),
    CaseAction.REOPEN: Rule(
        frozenset({S.RESOLVED}), S.IN_PROGRESS, frozenset({P.STAFF, P.POSTER}), note_required=True
    ),
    CaseAction.MERGE: Rule(OPEN, S.DUPLICATE, frozenset({P.STAFF})),
    CaseAction.RATE: Rule(frozenset({S.RESOLVED}), S.RATED, frozenset({P.POSTER})),
    CaseAction.RATE_UNSATISFIED: Rule(
        frozenset({S.RESOLVED}), S.IN_PROGRESS, frozenset({P.POSTER}), note_required=True
    ),
    CaseAction.FOLLOW_UP: Rule(
        frozenset({S.RESOLVED}), S.FOLLOWED_UP, frozenset({P.STAFF}), note_required=True
    ),
    CaseAction.NO_RATING: Rule(frozenset({S.RESOLVED}), S.CLOSED, frozenset({P.SYSTEM})),
    CaseAction.CLOSE: Rule(frozenset({S.RESOLVED}), S.CLOSED, frozenset({P.STAFF}), note_required=True),
    CaseAction.ARCHIVE: Rule(frozenset({S.RATED, S.FOLLOWED_UP}), S.CLOSED, frozenset({P.STAFF, P.SYSTEM})),
    CaseAction.ASSIGN: Rule(LIVE, None, frozenset({P.STAFF})),
    CaseAction.SET_DEADLINE: Rule(OPEN, None, frozenset({P.STAFF}), note_required=True),
    CaseAction.COMMENT: Rule(ANY, None, frozenset({P.STAFF, P.UNIT}), note_required=True),
    CaseAction.NOTE: Rule(ANY, None, frozenset({P.STAFF, P.VOLUNTEER}), note_required=True),
    CaseAction.LINK_POST: Rule(LIVE, None, frozenset({P.STAFF, P.VOLUNTEER})),
    CaseAction.SUPPORT: Rule(LIVE, None, frozenset({P.MEMBER})),
    CaseAction.UPDATE: Rule(LIVE, None, frozenset({P.POSTER, P.MEMBER}), note_required=True),
    CaseAction.REQUEST_RETURN: Rule(OPEN, None, frozenset({P.UNIT}), note_required=True),
    CaseAction.REQUEST_REASSIGN: Rule(OPEN, None, frozenset({P.UNIT}), note_required=True),
    CaseAction.REQUEST_EXTENSION: Rule(OPEN, None, frozenset({P.UNIT}), note_required=True),
    CaseAction.APPROVE_REQUEST: Rule(OPEN, None, frozenset({P.STAFF})),
    CaseAction.REFUSE_REQUEST: Rule(OPEN, None, frozenset({P.STAFF}), note_required=True),
}

# Actions a unit's request stands for, and the request kind each files.
REQUESTS = {
    CaseAction.REQUEST_RETURN: "return",
    CaseAction.REQUEST_REASSIGN: "reassign",
    CaseAction.REQUEST_EXTENSION: "extend",
}

STAFF_ROLES = frozenset({RoleName.STAFF, RoleName.ADMIN, RoleName.GRID_WORKER})

_REFUSALS = {
    CaseAction.ACCEPT: "只有新提交的民情意见可以受理",
    CaseAction.REJECT: "只有新提交的民情意见可以不予受理",
    CaseAction.START: "需要先受理，才能开始处理",
    CaseAction.RESOLVE: "只有已受理或处理中的民情意见可以办结",
    CaseAction.REOPEN: "只有已解决的民情意见可以重新打开",
    CaseAction.MERGE: "已办结的民情意见不能再合并",
    CaseAction.RATE: "只有已解决的民情意见可以评价",
    CaseAction.RATE_UNSATISFIED: "只有已解决的民情意见可以评价",
    CaseAction.FOLLOW_UP: "只有已解决的民情意见可以登记回访",
    CaseAction.CLOSE: "只有已解决的民情意见可以归档",
    CaseAction.ARCHIVE: "只有已评价或已回访的民情意见可以归档",
    CaseAction.NO_RATING: "只有已解决的民情意见可以记为未评价",
    CaseAction.ASSIGN: "该民情意见已办结，不能再转办",
    CaseAction.SET_DEADLINE: "该民情意见已办结，不能再修改期限",
    CaseAction.LINK_POST: "该民情意见已办结，不能再关联帖子",
    CaseAction.SUPPORT: "该民情意见已办结",
    CaseAction.UPDATE: "该民情意见已办结，不能再补充",
    CaseAction.REQUEST_RETURN: "只有办理中的民情意见可以退单",
    CaseAction.REQUEST_REASSIGN: "只有办理中的民情意见可以申请改派",
    CaseAction.REQUEST_EXTENSION: "只有办理中的民情意见可以申请延期",
    CaseAction.APPROVE_REQUEST: "该民情意见已办结，申请无需再处理",
    CaseAction.REFUSE_REQUEST: "该民情意见已办结，申请无需再处理",
}


def parties(user: User | None, case: Case, unit_ids: frozenset[int]) -> frozenset[Party]:
    """Everything `user` is with respect to `case`; unit_ids are the units the user answers for."""
    if user is None or not user.is_active:
        return frozenset()
    found = {Party.MEMBER}
    if user.role in STAFF_ROLES:
        found.add(Party.STAFF)
    if user.role == RoleName.VOLUNTEER:
        found.add(Party.VOLUNTEER)
    if case.unit_id is not None and case.unit_id in unit_ids:
        found.add(Party.UNIT)
    if case.poster_id is not None and case.poster_id == user.id:
        found.add(Party.POSTER)
    return frozenset(found)


def check(action: CaseAction, case: Case, who: frozenset[Party], *, note: str = "") -> Status | None:
    """The status `action` leads to (None: unchanged). Raises NotAuthenticated or NotPermitted if
    `who` may not take it, Conflict if the case's status does not allow it now."""
    rule = RULES[action]
    if not who & rule.parties:
        if not who:
            raise NotAuthenticated()
        raise NotPermitted("您没有权限对该民情意见执行此操作")
    if case.status not in rule.sources:
        raise Conflict(_REFUSALS.get(action, "当前状态下不能执行此操作"))
    if rule.note_required and not note.strip():
        raise _note_missing(action)
    return rule.target


def _note_missing(action: CaseAction) -> Exception:
    messages = {
        CaseAction.REJECT: "不予受理需要填写理由",
        CaseAction.RATE_UNSATISFIED: "请说明不满意的原因",
        CaseAction.SET_DEADLINE: "修改期限需要填写原因",
        CaseAction.RESOLVE: "请填写处理结果",
        CaseAction.UPDATE: "请写下要补充的情况",
        CaseAction.REQUEST_RETURN: "退单需要说明理由",
        CaseAction.REQUEST_REASSIGN: "申请改派需要说明理由",
        CaseAction.REQUEST_EXTENSION: "申请延期需要说明理由",
        CaseAction.REFUSE_REQUEST: "驳回申请需要说明理由",
    }
    return Invalid(messages.get(action, "请填写说明"), field="note")


def allowed_actions(case: Case, who: frozenset[Party]) -> list[CaseAction]:
    """What the page should offer this person now."""
    return [a for a, rule in RULES.items() if who & rule.parties and case.status in rule.sources]


# Status changes that the resident answers through the rating form, not as buttons.
_RATINGS = frozenset({CaseAction.RATE, CaseAction.RATE_UNSATISFIED})


def transitions(actions: list[CaseAction]) -> list[CaseAction]:
    """Of the allowed actions, those that move the status and are taken with a button and a note."""
    return [a for a in actions if RULES[a].target is not None and a not in _RATINGS and a != CaseAction.MERGE]
