"""The demo's clock. The services stamp rows with the wall clock, while the demo's story happened
over months: a Timeline runs every write of the story in the order it happened, and `at(session,
when)` moves every timestamp a block wrote (any value at or after the moment the block started) to
`when`. Only moments of writing are moved — never deadlines, mutes or closing dates, which may lie
ahead."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, or_, update
from sqlmodel import Session, col

from forum.boards.models import Post, Topic, TopicFollow
from forum.cases.models import Case, CaseEvent, CaseRequest, CaseSupport, Meeting
from forum.moderation.models import ModerationAction, Report, ReportedPost
from forum.notifications.models import Notification
from forum.timeutil import AwareDateTime, utcnow

STAMPED: list[tuple[Any, tuple[str, ...]]] = [
    (Topic, ("created_at", "last_posted_at")),
    (Post, ("created_at", "hidden_at")),
    (TopicFollow, ("created_at",)),
    (Notification, ("created_at",)),
    (
        Case,
        (
            "created_at",
            "updated_at",
            "accepted_at",
            "resolved_at",
            "followed_up_at",
            "rated_at",
            "followup_asked_at",
            "unrated_at",
            "closed_at",
            "overdue_notified_at",
        ),
    ),
    (CaseEvent, ("created_at",)),
    (CaseRequest, ("created_at", "decided_at")),
    (CaseSupport, ("created_at",)),
    (Meeting, ("created_at",)),
    (Report, ("created_at", "resolved_at")),
    (ReportedPost, ("first_reported_at", "last_reported_at", "auto_hidden_at")),
    (ModerationAction, ("created_at",)),
]


@contextmanager
def at(session: Session, when: datetime) -> Iterator[None]:
    """Everything written inside happened at `when`."""
    start = utcnow()
    yield
    session.flush()
    moment = bindparam("moment", when.astimezone(UTC), type_=AwareDateTime())
    since = bindparam("since", start, type_=AwareDateTime())
    for model, names in STAMPED:
        columns = [col(getattr(model, name)) for name in names]
        session.execute(
            update(model)
            .where(or_(*(column >= since for column in columns)))
            .values(
                {
                    name: case((column >= since, moment), else_=column)
                    for name, column in zip(names, columns, strict=True)
                }
            ),
            execution_options={"synchronize_session": "fetch"},
        )


class Timeline:
    """Everything the demo writes, each step at its moment; run() takes them in time order (steps
    at the same moment in the order they were added)."""

    def __init__(self) -> None:
        self.steps: list[tuple[datetime, int, Callable[[], object], bool]] = []
        self.first_act: dict[str, datetime] = {}  # who did something first, and when

    def add(self, when: datetime, run: Callable[[], object], *, who: str = "", stamp: bool = True) -> None:
        """`run` happens at `when`; `stamp`: move what it writes to that moment (off: it does itself)."""
        self.steps.append((when, len(self.steps), run, stamp))
        if who and (who not in self.first_act or when < self.first_act[who]):
            self.first_act[who] = when

    def run(self, session: Session, advance: Callable[[], object] = lambda: None) -> None:
        for when, _order, step, stamp in sorted(self.steps, key=lambda s: (s[0], s[1])):
            if stamp:
                with at(session, when):
                    step()
            else:
                step()
            advance()
