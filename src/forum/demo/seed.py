"""`forum seed-demo`: the 嘉园一里 community — boards, residents and staff, a few hundred topics
with replies and 楼中楼 — written through the real services, then back-dated to look lived-in."""

from __future__ import annotations

import random
from datetime import timedelta

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from forum.accounts import service as accounts
from forum.accounts.models import Household, HouseholdStatus, RoleName, User
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.config import Settings
from forum.db import session_scope
from forum.demo.content import BOARDS, RESIDENTS, STAFF, build_topics
from forum.timeutil import utcnow

DEMO_PASSWORD = "jiayuan-demo"
ADMIN = "管理员"


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
    with session_scope(engine, write=True) as session:
        if only_if_empty and session.exec(select(Topic.id).limit(1)).first() is not None:
            console.print("数据库里已经有帖子，跳过演示数据（用 --force 强制添加）")
            return 0
        users = _people(session)
        system = users[ADMIN]
        by_slug = _boards(session, system)
    rng = random.Random(seed)
    topics = build_topics(rng)
    now = utcnow()
    with Progress(console=console, transient=True) as progress, session_scope(engine, write=True) as session:
        task = progress.add_task("写入演示帖子", total=len(topics))
        users = {name: session.merge(user, load=False) for name, user in users.items()}
        by_slug = {slug: session.merge(board, load=False) for slug, board in by_slug.items()}
        # Oldest first, so ids grow with time like a real board.
        for demo in sorted(topics, key=lambda t: -t.days_ago):
            _topic(session, demo, users, by_slug, now, rng)
            progress.advance(task)
    console.print(
        f"[green]已写入演示数据[/green]：{len(by_slug)} 个版块，{len(topics)} 个主题，"
        f"{sum(len(t.replies) for t in topics)} 条回复"
    )
    console.print(
        f"演示账号（密码都是 [bold]{DEMO_PASSWORD}[/bold]）：管理员「{ADMIN}」，"
        f"社工「{STAFF[0]}」，居民「{RESIDENTS[0]}」等"
    )
    return len(topics)


def _people(session: Session) -> dict[str, User]:
    wanted = (
        [(ADMIN, RoleName.ADMIN)]
        + [(n, RoleName.STAFF) for n in STAFF]
        + [(n, RoleName.VOLUNTEER if i % 10 == 3 else RoleName.RESIDENT) for i, n in enumerate(RESIDENTS)]
    )
    users: dict[str, User] = {}
    for i, (name, role) in enumerate(wanted):
        existing = session.exec(select(User).where(User.username_key == name.lower())).first()
        user = existing or accounts.register(session, username=name, password=DEMO_PASSWORD, role=role)
        users[name] = user
        # Most residents have had their household verified by staff.
        if role in (RoleName.RESIDENT, RoleName.VOLUNTEER) and i % 3 != 0 and existing is None:
            session.add(
                Household(
                    user_id=user.id,
                    building=str(i % 12 + 1),
                    unit=str(i % 4 + 1),  # type: ignore[arg-type]
                    room=f"{i % 6 + 1}0{i % 4 + 1}",
                    status=HouseholdStatus.APPROVED,
                    reviewed_at=utcnow(),
                )
            )
            user.verified_at = utcnow()
    session.flush()
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


def _topic(session: Session, demo, users, by_slug, now, rng) -> None:  # type: ignore[no-untyped-def]
    author = users[demo.author]
    topic = boards.create_topic(
        session, actor=author, board=by_slug[demo.board], title=demo.title, body=demo.body, tags=demo.tags
    )
    start = now - timedelta(days=demo.days_ago)
    when = start
    stamps: list[tuple[Post, object]] = [(boards.first_post(session, topic), start)]
    for floor_index, reply in enumerate(demo.replies, start=2):
        when = when + timedelta(minutes=rng.randint(3, 600) if floor_index < 6 else rng.randint(20, 2400))
        when = min(when, now - timedelta(minutes=1))
        post = boards.reply(session, actor=users[reply.author], topic=topic, body=reply.body)
        stamps.append((post, when))
        sub_when = when
        for sub in reply.subreplies:
            sub_when = min(sub_when + timedelta(minutes=rng.randint(2, 300)), now - timedelta(seconds=30))
            stamps.append(
                (
                    boards.reply(
                        session, actor=users[sub.author], topic=topic, body=sub.body, parent_floor=post.floor
                    ),
                    sub_when,
                )
            )
    for post, stamp in stamps:
        post.created_at = stamp  # type: ignore[assignment]
    topic.created_at = start
    topic.last_posted_at = max(stamp for _p, stamp in stamps)  # type: ignore[type-var, assignment]
    topic.is_pinned, topic.is_featured = demo.pinned, demo.featured
    session.flush()
    # A few old threads get locked, as staff do once a matter is settled.
    if demo.days_ago > 120 and rng.random() < 0.05:
        topic.is_locked = True
