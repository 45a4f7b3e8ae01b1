"""The whole demo as `forum seed-demo` writes it (forum.demo.seed), loaded once for this module: it
must read as one consistent story — threads and case timelines in time order, every notification
as old as what it reports, meetings before their minutes, residents living where they say — and
show what the platform does (我要反映, 提交给社区, 退单, 延期, 回访, 未评价, the auto-hide)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from forum.accounts.models import Household, User
from forum.boards.models import Board, Post, Topic
from forum.cases.models import Case, CaseEvent, CaseRequest, Meeting, MeetingCase, Unit, UnitMember
from forum.config import Settings
from forum.db import make_engine
from forum.demo import story
from forum.demo.content import HOMES
from forum.demo.seed import seed_demo
from forum.moderation import weight
from forum.moderation.models import Report, ReportedPost
from forum.notices.models import Notice
from forum.notifications.models import Notification, NotificationKind
from forum.timeutil import utcnow

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
POST_KINDS = {
    NotificationKind.REPLY_TOPIC,
    NotificationKind.REPLY_FLOOR,
    NotificationKind.MENTION,
    NotificationKind.FOLLOWED_TOPIC,
}
BUILDING_IN_NAME = {"二": 2, "五": 5, "六": 6, "七": 7, "八": 8, "十": 10, "十二": 12}


@dataclass
class Demo:
    engine: Engine
    settings: Settings
    began: datetime  # just before the seed ran: its "now" is a moment later
    ended: datetime


@pytest.fixture(scope="module")
def demo(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The full demo in a database of its own, built from the migrated template."""
    data = tmp_path_factory.mktemp("demo")
    if PG_URL:
        name = f"forum_demo_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        shutil.copy(template_db, data / "forum.db")
        url = f"sqlite:///{data / 'forum.db'}"
    settings = Settings(_env_file=None, data_dir=data / "data", database_url=url, secret_key="test")  # type: ignore[call-arg]
    engine = make_engine(settings)
    began = utcnow()
    assert seed_demo(engine, settings, console=Console(quiet=True)) > 250
    yield Demo(engine, settings, began, utcnow())
    engine.dispose()
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(demo: Demo) -> Iterator[Session]:
    with Session(demo.engine) as s:
        yield s


def _user_names(db: Session) -> dict[int, str]:
    return {u.id: u.username for u in db.exec(select(User)).all()}  # type: ignore[misc]


class TestThreads:
    def test_floors_are_in_time_order_and_the_topic_shows_its_newest(self, db: Session) -> None:
        posts: dict[int, list[Post]] = defaultdict(list)
        for post in db.exec(select(Post).order_by(col(Post.id))).all():
            posts[post.topic_id].append(post)
        by_id = {p.id: p for ps in posts.values() for p in ps}
        for topic in db.exec(select(Topic)).all():
            floors = sorted((p for p in posts[topic.id] if p.floor is not None), key=lambda p: p.floor)  # type: ignore[arg-type, return-value]
            assert floors[0].floor == 1 and floors[0].created_at == topic.created_at, topic.title
            for before, after in itertools.pairwise(floors):
                assert before.created_at <= after.created_at, (topic.title, before.floor, after.floor)
            for sub in (p for p in posts[topic.id] if p.parent_id is not None):
                assert sub.created_at >= by_id[sub.parent_id].created_at, topic.title
            shown = [p for p in posts[topic.id] if p.is_visible and p.held_at is None]
            newest = max(shown, key=lambda p: (p.created_at, p.id))
            assert (topic.last_posted_at, topic.last_poster_id) == (newest.created_at, newest.author_id), (
                topic.title
            )

    def test_nothing_is_dated_after_the_seed(self, db: Session, demo: Demo) -> None:
        for model, column in (
            (Post, Post.created_at),
            (Topic, Topic.last_posted_at),
            (CaseEvent, CaseEvent.created_at),
            (Notification, Notification.created_at),
            (Report, Report.created_at),
        ):
            assert db.exec(select(model).where(col(column) > demo.ended)).first() is None, model

    def test_echo_floors_have_the_moment_and_author_of_their_event(self, db: Session) -> None:
        events = defaultdict(set)
        for event, topic_id in db.exec(
            select(CaseEvent, Case.topic_id).join(Case, col(Case.id) == CaseEvent.case_id)
        ).all():
            events[topic_id].add((event.created_at, event.actor_id))
        echoes = db.exec(select(Post).where(Post.origin == "case")).all()
        assert len(echoes) > 100
        for post in echoes:
            assert (post.created_at, post.author_id) in events[post.topic_id], post.body[:40]


class TestCases:
    def test_each_timeline_runs_forward_from_its_opening(self, db: Session, demo: Demo) -> None:
        events: dict[int, list[CaseEvent]] = defaultdict(list)
        for event in db.exec(select(CaseEvent).order_by(col(CaseEvent.id))).all():
            events[event.case_id].append(event)
        cases = db.exec(select(Case)).all()
        assert len(cases) > 60
        for case in cases:
            times = [e.created_at for e in events[case.id]]  # type: ignore[index]
            assert times == sorted(times), case.title
            assert events[case.id][0].kind == "opened" and case.created_at == times[0], case.title  # type: ignore[index]
            assert case.updated_at <= demo.ended
            if case.topic_id is not None:
                topic = db.get(Topic, case.topic_id)
                assert topic is not None and topic.created_at <= case.created_at, case.title

    def test_every_unit_with_cases_has_a_contact_who_answers_for_it(self, db: Session) -> None:
        members = defaultdict(set)
        for row in db.exec(select(UnitMember)).all():
            members[row.unit_id].add(row.user_id)
        for case in db.exec(select(Case).where(col(Case.unit_id).is_not(None))).all():
            assert members[case.unit_id], case.title
        # A unit's answer comes from a contact of the unit the case sat with.
        reassigned = set(db.exec(select(CaseEvent.case_id).where(CaseEvent.kind == "assign")).all())
        for event, unit_id in db.exec(
            select(CaseEvent, Case.unit_id)
            .join(Case, col(Case.id) == CaseEvent.case_id)
            .where(col(CaseEvent.kind).in_(["unit_reply", "resolve"]))
        ).all():
            if event.case_id not in reassigned:
                assert event.actor_id in members[unit_id], event.note

    def test_answers_fit_the_concern(self, db: Session) -> None:
        # What the unit did is what the thread's staff floor reports.
        for case in db.exec(select(Case).where(Case.source == "forum")).all():
            resolved = db.exec(
                select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.kind == "resolve")
            ).first()
            if (
                resolved
                and db.exec(
                    select(Post.id).where(
                        Post.topic_id == case.topic_id, col(Post.body).contains("【处理结果】")
                    )
                ).first()
            ):
                assert db.exec(
                    select(Post.id).where(
                        Post.topic_id == case.topic_id, col(Post.body).contains(resolved.rstrip("。"))
                    )
                ).first(), case.title
        # The example: a complaint about a 保安 is not answered with building materials.
        for case in db.exec(select(Case).where(col(Case.title).contains("保安"))).all():
            notes = db.exec(select(CaseEvent.note).where(CaseEvent.case_id == case.id)).all()
            assert not any("材料" in n or "配件" in n for n in notes), case.title

    def test_the_new_ways_in_and_out_are_shown(self, db: Session) -> None:
        reports = db.exec(select(Case).where(Case.source == "report")).all()
        minqing = db.exec(select(Board).where(Board.slug == "minqing")).one()
        topics = {t.id: t for t in db.exec(select(Topic)).all()}
        public = [c for c in reports if c.topic_id and topics[c.topic_id].created_at == c.created_at]
        assert len(public) >= 3 and all(topics[c.topic_id].board_id == minqing.id for c in public)  # type: ignore[index]
        assert any(c.is_private and c.topic_id is None for c in reports)  # 仅工作人员可见
        handed_in = [c for c in reports if c.topic_id and topics[c.topic_id].created_at < c.created_at]
        assert handed_in and all(topics[c.topic_id].author_id == c.poster_id for c in handed_in)  # type: ignore[index]
        requests = {(r.kind, r.status) for r in db.exec(select(CaseRequest)).all()}
        assert {("return", "approved"), ("extend", "refused")} <= requests
        statuses = set(db.exec(select(Case.status)).all())
        assert {
            "submitted",
            "accepted",
            "in_progress",
            "resolved",
            "rated",
            "followed_up",
            "closed",
        } <= statuses
        assert {"rejected", "duplicate"} <= statuses
        kinds = defaultdict(list)
        for event in db.exec(select(CaseEvent).order_by(col(CaseEvent.id))).all():
            kinds[event.kind].append(event)
        assert len(kinds["no_rating"]) == 1  # 未评价: asked, never answered, closed
        asked = {e.case_id for e in kinds["followup_asked"]}
        assert asked & {e.case_id for e in kinds["rate"]}  # 解决了吗 answered
        assert asked & {e.case_id for e in kinds["follow_up"]}  # and staff called back
        assert kinds["no_rating"][0].case_id in asked
        assert kinds["meeting"] and kinds["merge"] and kinds["rate_unsatisfied"]


class TestDates:
    def test_meetings_come_before_their_records_and_minutes(self, db: Session, demo: Demo) -> None:
        meetings = db.exec(select(Meeting)).all()
        assert len(meetings) >= 3
        for meeting in meetings:
            assert meeting.starts_at < meeting.created_at < demo.began
            for event in db.exec(select(CaseEvent).where(CaseEvent.meeting_id == meeting.id)).all():
                assert event.created_at >= meeting.ends_at  # type: ignore[operator]
        second = db.exec(select(Meeting).where(col(Meeting.title).contains("第二次协调会"))).one()
        minutes = db.exec(select(Notice).where(Notice.category == "minutes")).one()
        assert minutes.publish_at > second.starts_at
        assert story.md_weekday(second.starts_at) in minutes.body
        plan = db.exec(select(Notice).where(col(Notice.title).contains("划分方案"))).one()
        assert plan.publish_at > minutes.publish_at
        # The case the meetings belong to says so after each of them.
        case_id = db.exec(select(MeetingCase.case_id).where(MeetingCase.meeting_id == second.id)).one()
        case = db.get(Case, case_id)
        assert case is not None and case.status == "in_progress" and case.due_at > demo.ended  # type: ignore[operator]

    def test_notifications_are_as_old_as_what_they_report(self, db: Session, demo: Demo) -> None:
        posts = {p.id: p.created_at for p in db.exec(select(Post)).all()}
        events = defaultdict(set)
        for event in db.exec(select(CaseEvent)).all():
            events[event.case_id].add(event.created_at)
        notes = db.exec(select(Notification)).all()
        assert len(notes) > 1000
        for note in notes:
            if note.kind in POST_KINDS:
                assert note.created_at == posts[note.post_id], note.kind
            elif note.kind == NotificationKind.CASE_OVERDUE:
                case = db.get(Case, note.case_id)
                assert case is not None and note.created_at > case.created_at
            elif note.case_id is not None:
                assert note.created_at in events[note.case_id], (note.kind, note.detail)
            assert note.read_at is None or note.created_at <= note.read_at <= demo.ended
        # An inbox lists them by id, newest first: ids follow time.
        inboxes = defaultdict(list)
        for note in sorted(notes, key=lambda n: n.id):  # type: ignore[arg-type, return-value]
            inboxes[note.user_id].append(note.created_at)
        assert all(times == sorted(times) for times in inboxes.values())
        # Months of them, not all "N分钟前".
        recent = [n for n in notes if n.created_at > demo.began - timedelta(hours=1)]
        assert len(recent) < 20
        assert min(n.created_at for n in notes) < demo.began - timedelta(days=120)

    def test_accounts_are_older_than_what_their_owners_wrote(self, db: Session) -> None:
        first: dict[int, datetime] = {}
        for author_id, created_at in db.exec(select(Post.author_id, Post.created_at)).all():
            first[author_id] = min(created_at, first.get(author_id, created_at))
        for actor_id, created_at in db.exec(select(CaseEvent.actor_id, CaseEvent.created_at)).all():
            if actor_id is not None:
                first[actor_id] = min(created_at, first.get(actor_id, created_at))
        for user in db.exec(select(User)).all():
            assert user.created_at <= first.get(user.id, user.created_at), user.username  # type: ignore[arg-type]
        for household in db.exec(select(Household)).all():
            user = db.get(User, household.user_id)
            assert user is not None and user.created_at < household.submitted_at < household.reviewed_at  # type: ignore[operator]
            assert user.verified_at == household.reviewed_at


class TestPeople:
    def test_residents_live_where_their_names_say(self, db: Session) -> None:
        names = _user_names(db)
        homes = {names[h.user_id]: h for h in db.exec(select(Household)).all()}
        assert homes["七号楼老张"].building == "7"
        for name, household in homes.items():
            assert (household.building, household.unit, household.room) == tuple(map(str, HOMES[name]))
            number = re.match(r"^(十二|[二五六七八十])号楼", name)
            if number:
                assert household.building == str(BUILDING_IN_NAME[number.group(1)]), name

    def test_an_advertisement_is_hidden_by_the_reports_of_established_residents(
        self, db: Session, demo: Demo
    ) -> None:
        hidden = db.exec(select(ReportedPost).where(col(ReportedPost.auto_hidden_at).is_not(None))).all()
        assert len(hidden) == 1
        post = db.get(Post, hidden[0].post_id)
        assert post is not None and post.hidden_at is not None and "发票" in post.body
        reporters = db.exec(
            select(User).join(Report, col(Report.reporter_id) == User.id).where(Report.post_id == post.id)
        ).all()
        # Each of them: here for months, verified, with posts that stand.
        assert all(w == 1.0 for w in weight.weights(db, reporters, now=demo.began).values())
        assert len(reporters) == demo.settings.report_hide_threshold

    def test_units_answer_from_their_own_accounts(self, db: Session) -> None:
        units = {u.id: u.name for u in db.exec(select(Unit)).all()}
        staffed = {units[m.unit_id] for m in db.exec(select(UnitMember)).all()}
        used = {units[c.unit_id] for c in db.exec(select(Case).where(col(Case.unit_id).is_not(None))).all()}  # type: ignore[index]
        assert used <= staffed and len(used) >= 5
