"""`forum seed-demo`: the 嘉园一里 community — boards, residents and staff, a few hundred topics
with replies and 楼中楼, the 民情意见 taken from them — written through the real services, in the
order it all happened over five months (forum.demo.clock), so every thread, case and inbox reads
in time order."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forum.accounts import service as accounts
from forum.accounts.models import Household, HouseholdStatus, RoleName, User
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic, TopicFollow
from forum.cases import followup
from forum.cases import units as case_units
from forum.config import Settings
from forum.db import session_scope
from forum.demo import cases as demo_cases
from forum.demo import story
from forum.demo.clock import Timeline
from forum.demo.consultations import seed_consultations
from forum.demo.content import BOARDS, HOMES, RESIDENTS, STAFF, DemoTopic, build_topics
from forum.demo.guards import seed_guards
from forum.demo.moderation import seed_moderation
from forum.demo.notices import seed_notices
from forum.notifications.models import Notification, NotificationKind
from forum.timeutil import utcnow

DEMO_PASSWORD = "jiayuan-demo"
ADMIN = "管理员"
UNIT_CONTACTS = demo_cases.UNIT_CONTACTS
# Notifications about a post are as old as the post.
_POST_KINDS = (
    NotificationKind.REPLY_TOPIC,
    NotificationKind.REPLY_FLOOR,
    NotificationKind.MENTION,
    NotificationKind.FOLLOWED_TOPIC,
)


def seed_demo(
    engine: Engine,
    settings: Settings,
    *,
    console: Console | None = None,
    only_if_empty: bool = True,
    seed: int = 20160101,
) -> int:
    """Load the demo community; returns the number of topics written (0 if skipped)."""
    console = console or Console()
    now = utcnow()
    with session_scope(engine, write=True) as session:
        if only_if_empty and session.exec(select(Topic.id).limit(1)).first() is not None:
            console.print("数据库里已经有帖子，跳过演示数据（用 --force 强制添加）")
            return 0
        users = _people(session)
        by_slug = _boards(session, users[ADMIN])
    rng = random.Random(seed)
    topics = build_topics(rng, now=now)
    with Progress(console=console, transient=True) as progress, session_scope(engine, write=True) as session:
        users = {name: session.merge(user, load=False) for name, user in users.items()}
        by_slug = {slug: session.merge(board, load=False) for slug, board in by_slug.items()}
        timeline = Timeline()
        threads = [_thread(session, timeline, demo, users, by_slug, now, rng) for demo in topics]
        world = demo_cases.World(session, users, now, rng, timeline)
        demo_cases.plan(world, threads)
        _daily_work(timeline, session, settings, now)
        seed_notices(session, users, now, timeline.add)  # 居务公开 (forum.demo.notices), each on its day
        seed_moderation(session, users, DEMO_PASSWORD, settings.report_hide_threshold, now, timeline.add)
        _join_dates(session, users, timeline, now, rng)
        task = progress.add_task("写入演示数据", total=len(timeline.steps))
        timeline.run(session, lambda: progress.advance(task))
        _settle_threads(threads, now, rng)
        seed_consultations(session, users, RESIDENTS, STAFF[0], rng, now)  # forum.demo.consultations
        seed_guards(session, admin=users[ADMIN], author=users[RESIDENTS[4]])  # forum.demo.guards
        _inbox(session, now, rng)
        case_count = sum(s.case is not None for s in world.opened)
    console.print(
        f"[green]已写入演示数据[/green]：{len(by_slug)} 个版块，{len(topics)} 个主题，"
        f"{sum(len(t.replies) for t in topics)} 条回复，{case_count} 件民情意见"
    )
    console.print(
        f"演示账号（密码都是 [bold]{DEMO_PASSWORD}[/bold]）：管理员「{ADMIN}」，"
        f"社工「{STAFF[0]}」，居民「{RESIDENTS[0]}」，物业联系人「{UNIT_CONTACTS[0][0]}」等"
    )
    return len(topics)


# --- people and boards ---------------------------------------------------------------------------


def _people(session: Session) -> dict[str, User]:
    """Staff, residents (most verified at their home, HOMES) and the units' contacts."""
    wanted = (
        [(ADMIN, RoleName.ADMIN)]
        + [(n, RoleName.GRID_WORKER if n.startswith("网格员") else RoleName.STAFF) for n in STAFF]
        + [(n, RoleName.VOLUNTEER if i % 10 == 3 else RoleName.RESIDENT) for i, n in enumerate(RESIDENTS)]
        + [(n, RoleName.UNIT_CONTACT) for n, _unit in UNIT_CONTACTS if n not in STAFF]
    )
    users: dict[str, User] = {}
    for i, (name, role) in enumerate(wanted):
        existing = session.exec(select(User).where(User.username_key == name.lower())).first()
        user = existing or accounts.register(session, username=name, password=DEMO_PASSWORD, role=role)
        users[name] = user
        # Most residents have had their household verified by staff (when: see _join_dates).
        if role in (RoleName.RESIDENT, RoleName.VOLUNTEER) and i % 3 != 0 and existing is None:
            building, unit, room = HOMES[name]
            session.add(
                Household(
                    user_id=user.id,  # type: ignore[arg-type]
                    building=str(building),
                    unit=str(unit),
                    room=room,
                    status=HouseholdStatus.APPROVED,
                    reviewed_at=utcnow(),
                )
            )
            user.verified_at = utcnow()
    session.flush()
    for name, unit_name in UNIT_CONTACTS:
        found = case_units.find_unit(session, unit_name)
        assert found is not None
        case_units.set_unit_member(session, actor=users[ADMIN], unit=found, user=users[name])
    return users


def _boards(session: Session, admin: User) -> dict[str, Board]:
    by_slug = {b.slug: b for b in boards.list_boards(session)}
    for slug, name, description, staff_only in BOARDS:
        if slug not in by_slug:
            by_slug[slug] = boards.create_board(
                session,
                actor=admin,
                slug=slug,
                name=name,
                description=description,
                staff_only_topics=staff_only,
            )
    return by_slug


def _join_dates(
    session: Session, users: dict[str, User], timeline: Timeline, now: datetime, rng: random.Random
) -> None:
    """Accounts as old as the community's board: staff from its opening, residents joining in its
    first weeks (before anything they wrote), households verified a few days after joining."""
    opened = now - timedelta(days=story.OPENED_DAYS_AGO)
    for name, user in users.items():
        if user.created_at < now - timedelta(days=1):
            continue  # an account from before (seed-demo --force)
        if user.role in (RoleName.ADMIN, RoleName.STAFF, RoleName.GRID_WORKER, RoleName.UNIT_CONTACT):
            user.created_at = opened - timedelta(days=rng.uniform(1, 3))
            continue
        first = timeline.first_act.get(name, now)
        joined = min(
            first - timedelta(hours=rng.uniform(1, 72)), opened + timedelta(days=rng.uniform(0.2, 20))
        )
        if joined < opened:
            joined = opened + (first - opened) * rng.uniform(0.2, 0.8)
        user.created_at = joined
        household = session.exec(select(Household).where(Household.user_id == user.id)).first()
        if household is not None:
            household.submitted_at = joined + timedelta(hours=rng.uniform(1, 48))
            household.reviewed_at = household.submitted_at + timedelta(hours=rng.uniform(2, 72))
            household.reviewed_by_id = users[STAFF[0]].id
            user.verified_at = household.reviewed_at
    session.flush()


# --- threads ---------------------------------------------------------------------------------------


def _thread(
    session: Session,
    timeline: Timeline,
    demo: DemoTopic,
    users: dict[str, User],
    by_slug: dict[str, Board],
    now: datetime,
    rng: random.Random,
) -> demo_cases.Thread:
    """When the topic and each of its floors (and 楼中楼) are posted, put on the timeline."""
    start = now - timedelta(days=demo.days_ago)
    floors = _floor_times(demo, start, now, rng)
    thread = demo_cases.Thread(demo, start, floors)

    def open_topic() -> None:
        author = users[demo.author]
        topic = boards.create_topic(
            session, actor=author, board=by_slug[demo.board], title=demo.title, body=demo.body, tags=demo.tags
        )
        topic.created_at = topic.last_posted_at = start
        topic.is_pinned, topic.is_featured = demo.pinned, demo.featured
        boards.first_post(session, topic).created_at = start
        follow = session.get(TopicFollow, (topic.id, author.id))
        if follow is not None:
            follow.created_at = start
        thread.topic = topic

    timeline.add(start, open_topic, who=demo.author, stamp=False)
    for reply, when in zip(demo.replies, floors, strict=True):
        box: dict[str, int | None] = {}
        timeline.add(
            when,
            _writer(session, thread, users, reply.author, reply.body, when, box),
            who=reply.author,
            stamp=False,
        )
        steps = [rng.randint(2, 300) for _sub in reply.subreplies]
        for sub, sub_when in zip(
            reply.subreplies, _spread(when, steps, now - timedelta(seconds=30), rng), strict=True
        ):
            timeline.add(
                sub_when,
                _writer(session, thread, users, sub.author, sub.body, sub_when, box, parent=True),
                who=sub.author,
                stamp=False,
            )
    return thread


def _writer(
    session: Session,
    thread: demo_cases.Thread,
    users: dict[str, User],
    author: str,
    body: str,
    when: datetime,
    box: dict[str, int | None],
    *,
    parent: bool = False,
) -> Callable[[], None]:
    """A floor (or, with parent, a 楼中楼 under the floor written into box) posted at `when`."""

    def run() -> None:
        assert thread.topic is not None
        post = boards.reply(
            session,
            actor=users[author],
            topic=thread.topic,
            body=body,
            parent_floor=box["floor"] if parent else None,
        )
        post.created_at = thread.topic.last_posted_at = when
        if not parent:
            box["floor"] = post.floor

    return run


def _floor_times(demo: DemoTopic, start: datetime, now: datetime, rng: random.Random) -> list[datetime]:
    """When each floor is posted: a floor pinned to a moment (an example case's story) then, the
    floors before it spread out up to it; the rest each after the one before, soon while the
    thread is fresh, then hours or days apart. Nothing later than a minute ago."""
    replies, times = demo.replies, []
    latest = now - timedelta(minutes=1)
    last = start
    i = 0
    while i < len(replies):
        pinned = next((k for k in range(i, len(replies)) if replies[k].days_ago is not None), None)
        if pinned is None:
            steps = [rng.randint(3, 600) if k < 4 else rng.randint(20, 2400) for k in range(i, len(replies))]
            times += _spread(last, steps, latest, rng)
            break
        until = min(max(now - timedelta(days=replies[pinned].days_ago), last), latest)  # type: ignore[arg-type]
        times += [last + (until - last) * p for p in sorted(rng.random() for _ in range(i, pinned))]
        times.append(until)
        last, i = until, pinned + 1
    return times


def _spread(after: datetime, minutes: list[int], latest: datetime, rng: random.Random) -> list[datetime]:
    """Moments `minutes` apart after `after`; a thread that would run past `latest` (a recent one)
    is squeezed into the time there was."""
    total = sum(minutes)
    room = (latest - after).total_seconds() / 60
    scale = min(1.0, room * rng.uniform(0.6, 1.0) / total) if total else 1.0
    moments, elapsed = [], 0.0
    for step in minutes:
        elapsed += step * scale
        moments.append(after + timedelta(minutes=elapsed))
    return moments


def _settle_threads(threads: list[demo_cases.Thread], now: datetime, rng: random.Random) -> None:
    """A few threads quiet for months get locked, as staff do once a matter is settled (not those
    of 民情反映 or of a case)."""
    for thread in threads:
        topic = thread.topic
        if topic is None or thread.demo.story or thread.demo.board == "minqing":
            continue
        if now - topic.last_posted_at > timedelta(days=100) and rng.random() < 0.1:
            topic.is_locked = True


# --- the scheduled work, and the inbox ---------------------------------------------------------


def _daily_work(timeline: Timeline, session: Session, settings: Settings, now: datetime) -> None:
    """The periodic job (回访 asked, 未评价, 归档, 超期 notices) as it ran every night at 3, and once
    more now."""
    day = story.local_day(now, story.OPENED_DAYS_AGO)
    moments = []
    while (when := story.at(day, 3)) < now:
        moments.append(when)
        day += timedelta(days=1)
    for when in [*moments, now - timedelta(seconds=1)]:
        timeline.add(
            when,
            lambda when=when: followup.run_periodic(
                session,
                archive_after_days=settings.archive_after_days,
                followup_after_days=settings.followup_after_days,
                followup_expire_days=settings.followup_expire_days,
                now=when,
            ),
        )


def _inbox(session: Session, now: datetime, rng: random.Random) -> None:
    """A notification about a post is as old as the post; what is more than a few days old has
    been read (a few hours after it came)."""
    session.flush()
    posted = sa_select(Post.created_at).where(col(Post.id) == Notification.post_id).scalar_subquery()
    session.execute(
        update(Notification)
        .where(col(Notification.post_id).is_not(None), col(Notification.kind).in_(_POST_KINDS))
        .values(created_at=posted),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    for note in session.exec(
        select(Notification)
        .where(Notification.created_at < now - timedelta(days=3))
        .order_by(col(Notification.id))
    ).all():
        note.read_at = min(note.created_at + timedelta(hours=rng.uniform(0.5, 30)), now - timedelta(hours=1))
    session.flush()
