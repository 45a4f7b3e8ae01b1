"""Coordination meetings (协调会) and the 四会: recorded once, shown on each linked case's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from forum import labels
from forum.accounts.models import User
from forum.boards.service import clean_text, clean_title
from forum.cases import events
from forum.cases.models import Case, Meeting, MeetingCase, MeetingKind
from forum.errors import Invalid, NotFound
from forum.policy import Action, require
from forum.timeutil import SHANGHAI


def record_meeting(
    session: Session,
    *,
    actor: User | None,
    kind: MeetingKind | str,
    title: str,
    starts_at: datetime,
    place: str,
    ends_at: datetime | None = None,
    attendees: str = "",
    minutes: str = "",
    decisions: str = "",
    case_ids: Sequence[int] = (),
) -> Meeting:
    """Record a 协调会 or one of the 四会; it appears on each linked case's timeline."""
    user = require(actor, Action.RECORD_MEETING)
    try:
        kind = MeetingKind(kind)
    except ValueError:
        raise Invalid("未知的会议类型", field="kind") from None
    title, place = clean_title(title), clean_text(place)
    if not place or len(place) > 60:
        raise Invalid("请填写会议地点（不超过 60 字）", field="place")
    if not 2000 <= starts_at.year <= 2100 or (ends_at is not None and not 2000 <= ends_at.year <= 2100):
        raise Invalid("会议时间须在 2000 年到 2100 年之间", field="starts_at")
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=SHANGHAI)
    if ends_at is not None:
        if ends_at.tzinfo is None:
            ends_at = ends_at.replace(tzinfo=SHANGHAI)
        if ends_at <= starts_at:
            raise Invalid("结束时间须晚于开始时间", field="ends_at")
    for value, limit, label in (
        (attendees, 1000, "参会人员"),
        (minutes, 10000, "会议纪要"),
        (decisions, 5000, "会议决定"),
    ):
        if len(value) > limit:
            raise Invalid(f"{label}不能超过 {limit} 字", field="minutes")
    cases = [_linked_case(session, cid) for cid in dict.fromkeys(case_ids)]
    meeting = Meeting(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        attendees=clean_text(attendees),
        minutes=clean_text(minutes),
        decisions=clean_text(decisions),
        created_by_id=user.id,  # type: ignore[arg-type]
    )
    session.add(meeting)
    session.flush()
    when = starts_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    word = labels.MEETING_KIND[kind]
    for case in cases:
        session.add(MeetingCase(meeting_id=meeting.id, case_id=case.id))  # type: ignore[arg-type]
        events.record(
            session,
            case,
            user,
            "meeting",
            detail=f"{word}：{title}（{when}，{place}）",
            note=clean_text(decisions)[:2000],
            meeting_id=meeting.id,
        )
        events.notify_followers(session, case, user, word)
    session.flush()
    return meeting


def _linked_case(session: Session, case_id: int) -> Case:
    """A case a meeting is linked to, named in a form: unknown is a mistake in the form, not a 404."""
    case = session.get(Case, case_id) if 1 <= case_id <= 2**62 else None
    if case is None:
        raise Invalid(f"没有编号为 #{case_id} 的民情意见", field="case_ids")
    return case


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("会议不存在")
    return meeting
