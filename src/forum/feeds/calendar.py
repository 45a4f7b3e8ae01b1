"""The community calendar (.ics): upcoming meetings and the deadlines of open consultations."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Event
from sqlmodel import Session, col, select

from forum.cases.ics import meeting_event, new_calendar
from forum.cases.models import Meeting
from forum.consultations.queries import upcoming_deadlines
from forum.feeds.atom import UrlFor
from forum.timeutil import utcnow

# Meetings stay on the calendar for a week after they happened, so a subscriber sees recent ones.
KEEP_PAST = timedelta(days=7)
LIMIT = 200


def community_calendar(session: Session, *, url_for: UrlFor, host: str | None) -> bytes:
    host = host or "forum.local"
    now = utcnow()
    calendar = new_calendar()
    calendar.add("x-wr-calname", "社区吧 · 会议与征求意见")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    meetings = session.exec(
        select(Meeting)
        .where(col(Meeting.starts_at) >= now - KEEP_PAST)
        .order_by(col(Meeting.starts_at))
        .limit(LIMIT)
    ).all()
    for meeting in meetings:
        url = url_for("cases:meeting", meeting_id=meeting.id)
        calendar.add_component(meeting_event(meeting, host=host, url=url))
    for consultation in upcoming_deadlines(session, now, limit=LIMIT):
        event = Event()
        event.add("uid", f"consultation-{consultation.id}-deadline@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", consultation.closes_at)
        event.add("dtend", consultation.closes_at)
        event.add("summary", f"征求意见截止：{consultation.title}")
        event.add("url", url_for("consultations:detail", consultation_id=consultation.id))
        event.add("description", "截止前可在社区吧提交或修改意见。")
        calendar.add_component(event)
    return calendar.to_ical()  # type: ignore[no-any-return]
