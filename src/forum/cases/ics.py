"""Meetings as iCalendar files (RFC 5545), built with the icalendar library."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from forum import labels
from forum.cases.models import Meeting
from forum.timeutil import utcnow


def new_calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//社区吧//民情意见//ZH")
    calendar.add("version", "2.0")
    return calendar


def meeting_calendar(meeting: Meeting, *, host: str = "forum.local") -> bytes:
    calendar = new_calendar()
    calendar.add_component(meeting_event(meeting, host=host))
    return calendar.to_ical()  # type: ignore[no-any-return]


def meeting_event(meeting: Meeting, *, host: str = "forum.local", url: str = "") -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at or meeting.starts_at + timedelta(hours=1))
    event.add("summary", f"{labels.MEETING_KIND.get(meeting.kind, '会议')}：{meeting.title}")
    event.add("location", meeting.place)
    description = "\n\n".join(
        part
        for part in (
            f"参会人员：{meeting.attendees}" if meeting.attendees else "",
            f"会议决定：{meeting.decisions}" if meeting.decisions else "",
        )
        if part
    )
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event
