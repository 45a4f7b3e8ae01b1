"""The case state machine, called directly: every (status, action, party) combination. Allowed
ones move to the expected status; refused ones raise and change nothing."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from factories import make_board, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake, service, units
from forum.cases.models import Case, CaseEvent, CaseRequest, Status
from forum.errors import Conflict, DomainError, Invalid, NotAuthenticated, NotPermitted
from forum.timeutil import utcnow

S = Status
PARTIES = ["staff", "volunteer", "unit", "poster", "resident", "visitor"]
ACTIONS = [
    "accept",
    "reject",
    "start",
    "resolve",
    "reopen",
    "merge",
    "rate",
    "rate_unsatisfied",
    "follow_up",
    "close",
    "archive",
    "assign",
    "set_deadline",
    "comment",
    "note",
    "support",
    "update",
    "request_return",
    "request_reassign",
    "request_extension",
    "approve_request",
    "refuse_request",
]
OPEN = {S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS}

# The rules of DOMAIN.md, written out independently of the implementation's table:
# (action) -> (statuses it may start from, who may take it, status it leads to; None = unchanged)
SPEC: dict[str, tuple[set[Status], set[str], Status | None]] = {
    "accept": ({S.SUBMITTED}, {"staff"}, S.ACCEPTED),
    "reject": ({S.SUBMITTED}, {"staff"}, S.REJECTED),
    "start": ({S.ACCEPTED}, {"staff", "unit"}, S.IN_PROGRESS),
    "resolve": ({S.ACCEPTED, S.IN_PROGRESS}, {"staff", "unit"}, S.RESOLVED),
    "reopen": ({S.RESOLVED}, {"staff", "poster"}, S.IN_PROGRESS),
    "merge": (OPEN, {"staff"}, S.DUPLICATE),
    "rate": ({S.RESOLVED}, {"poster"}, S.RATED),
    "rate_unsatisfied": ({S.RESOLVED}, {"poster"}, S.IN_PROGRESS),
    "follow_up": ({S.RESOLVED}, {"staff"}, S.FOLLOWED_UP),
    "close": ({S.RESOLVED}, {"staff"}, S.CLOSED),
    "archive": ({S.RATED, S.FOLLOWED_UP}, {"staff"}, S.CLOSED),
    "assign": (OPEN | {S.RESOLVED}, {"staff"}, None),
    "set_deadline": (OPEN, {"staff"}, None),
    "comment": (set(S), {"staff", "unit"}, None),
    "note": (set(S), {"staff", "volunteer"}, None),
    "support": (OPEN | {S.RESOLVED}, {"staff", "volunteer", "unit", "poster", "resident"}, None),
    # A resident's public update ("还没修好"): anyone logged in, while the case is live.
    "update": (OPEN | {S.RESOLVED}, {"staff", "volunteer", "unit", "poster", "resident"}, None),
    # Units push back while the case is open; staff decide.
    "request_return": (OPEN, {"unit"}, None),
    "request_reassign": (OPEN, {"unit"}, None),
    "request_extension": (OPEN, {"unit"}, None),
    "approve_request": (OPEN, {"staff"}, None),
    "refuse_request": (OPEN, {"staff"}, None),
}


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing", name="民情反映")
    poster = make_user(session, "七号楼老张")
    topic = make_topic(session, board=board, author=poster, title="7号楼院内乱停车", tags=["tingche"])
    users = {
        "staff": make_user(session, "社工小李", role=RoleName.STAFF),
        "volunteer": make_user(session, "信息员老王", role=RoleName.VOLUNTEER),
        "unit": make_unit_contact(session, "物业小刘"),
        "poster": poster,
        "resident": make_user(session, "jiayuan_mama"),
        "visitor": None,
    }
    other_topic = make_topic(session, board=board, author=users["resident"], title="8号楼也乱停车")
    return users, topic, other_topic


def _case_in(session, users, topic, status: Status) -> Case:  # type: ignore[no-untyped-def]
    case = intake.open_case(session, actor=users["staff"], post=boards.first_post(session, topic))
    case.status = status
    case.resolution_count = 2 if status == S.RESOLVED else 0
    session.commit()
    return case


def _args(action: str, session, other) -> dict:  # type: ignore[no-untyped-def]
    args: dict = {"note": "说明"}
    if action == "merge":
        args["into"] = other.id
    elif action in ("rate", "rate_unsatisfied"):
        args["rating"] = "satisfied" if action == "rate" else "unsatisfied"
        args["action"] = "rate"
    elif action == "assign":
        args["unit"] = "施工单位"
    elif action == "set_deadline":
        args["due_date"] = "2099-01-01"
    elif action == "request_reassign":
        args["unit"] = "施工单位"
    elif action == "request_extension":
        args["due_date"] = (date.today() + timedelta(days=30)).isoformat()
    return args


def _pending_request(session, case, unit_user) -> int:  # type: ignore[no-untyped-def]
    """A unit's 延期申请 waiting on the case, for the approve / refuse rows of the matrix."""
    request = CaseRequest(
        case_id=case.id,
        kind="extend",
        unit_id=case.unit_id,
        requested_by_id=unit_user.id,
        reason="材料还没到",
        proposed_due_at=utcnow() + timedelta(days=30),
    )
    session.add(request)
    session.commit()
    return request.id  # type: ignore[return-value]


@pytest.mark.parametrize(("status", "action"), list(itertools.product(list(S), ACTIONS)))
def test_every_status_action_and_party(session, people, status, action):  # type: ignore[no-untyped-def]
    users, topic, other_topic = people
    sources, allowed, target = SPEC[action]
    other = intake.open_case(session, actor=users["staff"], post=boards.first_post(session, other_topic))
    session.commit()
    for party in PARTIES:
        case = _case_in(session, users, topic, status)
        before = (case.status, case.version)
        events = session.exec(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
        ).one()
        args = _args(action, session, other)
        if action == "set_deadline" and status in OPEN:
            args["due_date"] = (date.today() + timedelta(days=30)).isoformat()
        if action in ("approve_request", "refuse_request"):
            args["request_id"] = _pending_request(session, case, users["unit"])
        kind = args.pop("action", action)
        should_pass = status in sources and party in allowed
        if should_pass:
            service.perform(session, actor=users[party], case=case, action=kind, **args)
            session.commit()
            session.refresh(case)
            assert case.status == (target or status), (party, status, action)
            if target is not None:
                assert case.version > before[1]
        else:
            with pytest.raises(DomainError) as exc:
                service.perform(session, actor=users[party], case=case, action=kind, **args)
            session.rollback()
            if party == "visitor":
                assert isinstance(exc.value, NotAuthenticated)
            elif party not in allowed:
                assert isinstance(exc.value, NotPermitted), (party, status, action, exc.value)
            else:
                assert isinstance(exc.value, Conflict), (party, status, action, exc.value)
            session.refresh(case)
            assert (case.status, case.version) == before
            after = session.exec(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
            ).one()
            assert after == events
        # Each party gets a fresh case: unlink the post so it can be flagged again.
        from forum.cases.models import CasePost

        for row in session.exec(select(CasePost)).all():
            session.delete(row)
        session.commit()


class TestRules:
    def test_reject_needs_a_reason(self, session, people):  # type: ignore[no-untyped-def]
        users, topic, _ = people
        case = _case_in(session, users, topic, S.SUBMITTED)
        with pytest.raises(Invalid, match="理由"):
            service.perform(session, actor=users["staff"], case=case, action="reject", note="  ")
        assert case.status == S.SUBMITTED

    def test_close_without_rating_only_after_second_resolution(self, session, people):  # type: ignore[no-untyped-def]
        users, topic, _ = people
        case = _case_in(session, users, topic, S.SUBMITTED)
        staff = users["staff"]
        for action in ("accept", "start", "resolve"):
            service.perform(session, actor=staff, case=case, action=action, note="已处理")
        with pytest.raises(Conflict, match="等待居民评价"):
            service.perform(session, actor=staff, case=case, action="close", note="直接归档")
        service.perform(
            session, actor=users["poster"], case=case, action="rate", rating="unsatisfied", note="车还是乱停"
        )
        assert case.status == S.IN_PROGRESS and case.rating == "unsatisfied"
        service.perform(session, actor=staff, case=case, action="resolve", note="划了停车位")
        service.perform(session, actor=staff, case=case, action="close", note="二次办结，居民未再评价")
        assert case.status == S.CLOSED and case.resolution_count == 2

    def test_muted_people_add_no_free_text_to_a_case(self, session, people):  # type: ignore[no-untyped-def]
        from datetime import datetime

        from forum.moderation.errors import Muted

        users, topic, _ = people
        case = _case_in(session, users, topic, S.RESOLVED)
        for party in ("poster", "unit"):
            users[party].muted_until = datetime.now(tz=case.created_at.tzinfo) + timedelta(days=1)
        with pytest.raises(Muted):
            service.perform(
                session, actor=users["poster"], case=case, action="rate", rating="unsatisfied", note="没修好"
            )
        with pytest.raises(Muted):
            service.perform(session, actor=users["unit"], case=case, action="comment", note="已处理")
        service.perform(session, actor=users["poster"], case=case, action="rate", rating="satisfied")
        assert case.status == S.RATED and case.rating_comment is None

    def test_stale_version_is_a_conflict(self, session, people):  # type: ignore[no-untyped-def]
        users, topic, _ = people
        case = _case_in(session, users, topic, S.SUBMITTED)
        seen = case.version
        service.perform(session, actor=users["staff"], case=case, action="accept", version=seen)
        with pytest.raises(Conflict, match="刚刚已被他人更新"):
            service.perform(
                session, actor=users["staff"], case=case, action="assign", unit="施工单位", version=seen
            )

    def test_flagging_prefills_category_unit_and_deadline(self, session, people):  # type: ignore[no-untyped-def]
        users, topic, _ = people
        case = intake.open_case(session, actor=users["volunteer"], post=boards.first_post(session, topic))
        unit = units.get_unit(session, case.unit_id)  # type: ignore[arg-type]
        assert unit.name == "物业公司" and case.poster_id == users["poster"].id
        assert case.due_at is not None and 6 <= (case.due_at - case.created_at).days <= 7
        with pytest.raises(Conflict, match="已在民情意见"):
            intake.open_case(session, actor=users["staff"], post=boards.first_post(session, topic))

    def test_residents_cannot_open_cases(self, session, people):  # type: ignore[no-untyped-def]
        users, topic, _ = people
        with pytest.raises(NotPermitted):
            intake.open_case(session, actor=users["resident"], post=boards.first_post(session, topic))

    def test_offline_case_needs_an_offline_source(self, session, people):  # type: ignore[no-untyped-def]
        users, *_ = people
        with pytest.raises(Invalid, match="线下来源"):
            intake.open_case(session, actor=users["staff"], title="楼道堆物", description="3单元楼道堆满纸箱")
        case = intake.open_case(
            session,
            actor=users["staff"],
            title="楼道堆物",
            description="3单元楼道堆满纸箱",
            source="visit",
            category="xiaofang",
            building="3",
        )
        assert case.source == "visit" and case.building == "3" and case.poster_id is None
