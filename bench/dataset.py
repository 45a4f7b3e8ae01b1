"""The benchmark database: a board with one 50-floor topic written through the services, then
bulk-filled to N topics with SQLAlchemy core executemany (consistent topic/post/tag rows and
board counters), so that 1M topics build in minutes.

Bulk topics (index k = 0, 1, 2, …, ids and times growing with k):
  * 1楼 from a pool of seed-text bodies rendered once with the real markup renderer;
  * every 7th topic has 1–3 reply floors (floor_count, reply_count, last_posted_at, last_poster_id
    follow), so last-reply order differs from id order;
  * every other topic carries one issue tag; 3 of the first topics are pinned;
  * every 500th is deleted (1楼 too) and every 701st hidden, as moderators would leave them;
  * board.topic_count counts non-deleted topics and board.post_count every post, as the services do.
Follows, notifications and likes are not generated for bulk topics: the pages measured for an
anonymous visitor do not read them."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from corpus import CHAT, Corpus
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from forum import migrate, security
from forum.accounts import service as accounts
from forum.accounts.models import RoleName, User
from forum.boards import markup
from forum.boards import service as boards
from forum.boards.models import Board, Category, Post, Topic, TopicTag
from forum.config import Settings
from forum.db import make_engine, session_scope
from forum.keyset import encode_cursor

PASSWORD = "bench-password-42"
BOARD_SLUG = "yishi"
STAFF = "社工小李"
RESIDENTS = [
    "七号楼老张",
    "八号楼李阿姨",
    "jiayuan_mama",
    "嘉一老王头",
    "马家堡小刘",
    "豆豆妈",
    "三单元王姐",
    "老陈开车",
    "退休老周",
    "琳琳妈咪",
    "十二号楼住户",
]
EXTRA_USERS = 2000  # bulk-inserted residents who author the bulk topics
FLOORS = 50
# Bulk topic k was posted at EPOCH + k * SPACING (whole seconds: cursors are exact).
EPOCH = datetime(2025, 11, 1, tzinfo=UTC)
SPACING = timedelta(seconds=30)
BATCH = 20_000
PINNED = (3, 4, 5)


@dataclass
class Dataset:
    """What the benchmark needs to know about a built database (kept as bench.json)."""

    board_id: int
    board_slug: str
    topic_id: int  # the 50-floor topic
    topic_floors: int
    topic_subreplies: int
    user_ids: list[int]
    category_ids: list[int]
    bulk_topics: int = 0  # bulk topic indexes 0 … bulk_topics-1 exist
    build_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- the service-built part ----------------------------------------------------------------------


def build_base(engine: Engine, corpus: Corpus) -> Dataset:
    """Migrate, then users, a board and the 50-floor topic (with 楼中楼 and quotes) via the services."""
    migrate.upgrade(engine)
    with session_scope(engine, write=True) as session:
        admin = accounts.register(session, username="管理员", password=PASSWORD, role=RoleName.ADMIN)
        staff = accounts.register(session, username=STAFF, password=PASSWORD, role=RoleName.STAFF)
        residents = [accounts.register(session, username=n, password=PASSWORD) for n in RESIDENTS]
        board = boards.create_board(
            session,
            actor=admin,
            slug=BOARD_SLUG,
            name="社区议事",
            description="社区大事小情一起商量：停车规划、电梯运行、公交站台、文明养犬……",
        )
        people = [staff, *residents]
        user_ids = [u.id for u in (admin, *people)]
        names = {u.id: u.username for u in people}
        board_id = board.id
        category_ids = list(session.execute(select(Category.id).order_by(Category.position)).scalars())
    _bulk_users(engine)

    rng = corpus.rng
    op_id = user_ids[2]  # 七号楼老张
    with session_scope(engine, write=True) as session:
        topic = boards.create_topic(
            session,
            actor=session.get(User, op_id),
            board=session.get(Board, board_id),
            title="7号楼院内乱停车，消防通道被堵，大家怎么看？",
            body="7号楼院内最近天天有车停在消防通道上，晚上救护车都进不来。\n\n"
            + corpus.body(3, 5)
            + "\n\n@社工小李 麻烦社区帮忙协调一下。",
            tags=["tingche", "xiaofang"],
        )
        topic_id = topic.id
    subs = 0
    repliers = [uid for uid in user_ids[1:] if uid != op_id]
    for floor in range(2, FLOORS + 1):
        author_id = op_id if floor % 9 == 0 else rng.choice(repliers)
        body = corpus.chat() if floor % 4 == 0 else corpus.body(1, 3)
        quote = rng.randint(1, floor - 1) if floor % 6 == 0 else None
        if floor % 10 == 5:
            body += f"\n\n@{names[rng.choice(repliers)]} 你怎么看？"
        _reply(engine, topic_id, author_id, body, quote_floor=quote)
        # 楼中楼 under some earlier floors: 6 under 2楼 (more than the 3 shown), 1–3 elsewhere.
        if floor in (3, 4, 5, 6, 7, 8):
            _reply(engine, topic_id, rng.choice(repliers), corpus.chat(), parent_floor=2)
            subs += 1
        if floor % 7 == 0:
            parent = floor - rng.randint(1, 5)
            for i in range(rng.randint(1, 3)):
                reply_to = names[rng.choice(repliers)] if i else None
                body = rng.choice(CHAT) if i % 2 else corpus.body(1, 1)
                _reply(engine, topic_id, rng.choice(repliers), body, parent_floor=parent, reply_to=reply_to)
                subs += 1
    return Dataset(
        board_id=board_id,
        board_slug=BOARD_SLUG,
        topic_id=topic_id,
        topic_floors=FLOORS,
        topic_subreplies=subs,
        user_ids=user_ids,
        category_ids=category_ids,
    )


def _reply(engine: Engine, topic_id: int, author_id: int, body: str, **kw: Any) -> None:
    with session_scope(engine, write=True) as session:
        topic = boards.get_topic(session, topic_id, viewer=None)
        boards.reply(session, actor=session.get(User, author_id), topic=topic, body=body, **kw)


def _bulk_users(engine: Engine) -> None:
    password_hash = security.hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    created = EPOCH - timedelta(days=30)
    rows = [
        {
            "username": f"嘉一居民{i:04d}",
            "username_key": f"嘉一居民{i:04d}",
            "password_hash": password_hash,
            "role": RoleName.RESIDENT.value,
            "real_name": None,
            "phone": None,
            "is_active": True,
            "verified_at": created if i % 3 == 0 else None,
            "created_at": created,
        }
        for i in range(EXTRA_USERS)
    ]
    with engine.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]


# --- the bulk part -------------------------------------------------------------------------------


def bulk_engine(settings: Settings) -> Engine:
    """The app's engine; on SQLite without fsync and with a big page cache for the index inserts
    (a throwaway benchmark file)."""
    engine = make_engine(settings)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA synchronous=OFF")
            dbapi_conn.execute("PRAGMA cache_size=-524288")  # 512 MiB

    return engine


def add_topics(
    engine: Engine, data: Dataset, corpus: Corpus, total_topics: int, progress: Any = None
) -> float:
    """Bulk-insert topics until the board holds total_topics (the service-built topic included).
    Returns the seconds taken."""
    start, stop = data.bulk_topics, total_topics - 1
    if stop <= start:
        return 0.0
    began = time.perf_counter()
    pool = [(b, markup.render(b)) for b in (corpus.body(1, 3) for _ in range(2000))]
    short = [(b, markup.render(b)) for b in (*CHAT, *(corpus.body(1, 1) for _ in range(200)))]
    titles = [corpus.title() for _ in range(3000)]
    with engine.connect() as conn:
        users = list(conn.execute(select(User.id).order_by(User.id)).scalars())
        topic_id = (conn.execute(select(func.max(Topic.id))).scalar() or 0) + 1
        post_id = (conn.execute(select(func.max(Post.id))).scalar() or 0) + 1
    visible = posts_total = 0
    task = progress.add_task("bulk topics", total=stop - start) if progress else None
    for batch_start in range(start, stop, BATCH):
        topics: list[dict[str, Any]] = []
        posts: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        for k in range(batch_start, min(batch_start + BATCH, stop)):
            author = users[(k * 7919) % len(users)]
            created = EPOCH + k * SPACING
            replies = 1 + k % 3 if k % 7 == 0 else 0
            last_poster, last_at = author, created
            deleted = created + timedelta(hours=1) if k % 500 == 499 else None
            hidden = created + timedelta(hours=2) if k % 701 == 700 else None
            body, html = pool[k % len(pool)]
            posts.append(_post(post_id, topic_id, 1, author, body, html, created, deleted, hidden))
            post_id += 1
            for floor in range(2, 2 + replies):
                last_poster = users[(k * 31 + floor * 977) % len(users)]
                last_at = created + timedelta(minutes=10 * (floor - 1) + k % 60)
                body, html = short[(k + floor) % len(short)]
                posts.append(_post(post_id, topic_id, floor, last_poster, body, html, last_at))
                post_id += 1
            topics.append(
                {
                    "id": topic_id,
                    "board_id": data.board_id,
                    "author_id": author,
                    "title": titles[k % len(titles)],
                    "created_at": created,
                    "last_posted_at": last_at,
                    "last_poster_id": last_poster,
                    "floor_count": 1 + replies,
                    "reply_count": replies,
                    "is_pinned": k in PINNED,
                    "is_featured": k % 97 == 0,
                    "is_locked": False,
                    "hidden_at": hidden,
                    "deleted_at": deleted,
                }
            )
            if k % 2 == 0:
                category = data.category_ids[(k // 2) % len(data.category_ids)]
                tags.append({"topic_id": topic_id, "category_id": category})
            visible += deleted is None
            topic_id += 1
        posts_total += len(posts)
        with engine.connect() as conn:
            conn.execute(insert(Topic.__table__), topics)  # type: ignore[attr-defined]
            conn.execute(insert(Post.__table__), posts)  # type: ignore[attr-defined]
            if tags:
                conn.execute(insert(TopicTag.__table__), tags)  # type: ignore[attr-defined]
            conn.commit()
        if progress:
            progress.update(task, advance=len(topics))
    with engine.begin() as conn:
        conn.execute(
            update(Board)
            .where(Board.id == data.board_id)
            .values(topic_count=Board.topic_count + visible, post_count=Board.post_count + posts_total)
        )
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # what autovacuum would have done on a live server
    data.bulk_topics = stop
    return time.perf_counter() - began


def _post(
    post_id: int,
    topic_id: int,
    floor: int,
    author: int,
    body: str,
    html: str,
    created: datetime,
    deleted: datetime | None = None,
    hidden: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": post_id,
        "topic_id": topic_id,
        "floor": floor,
        "parent_id": None,
        "reply_to_user_id": None,
        "quote_id": None,
        "author_id": author,
        "body": body,
        "body_html": html,
        "created_at": created,
        "edited_at": None,
        "deleted_at": deleted,
        "hidden_at": hidden,
        "like_count": 0,
        "sub_count": 0,
    }


# --- reading it back -----------------------------------------------------------------------------


def _micros(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def listing_size(engine: Engine, board_id: int) -> int:
    """Topics an anonymous visitor pages through below the pinned ones."""
    with Session(engine) as session:
        return session.execute(  # type: ignore[no-any-return]
            select(func.count())
            .select_from(Topic)
            .where(
                Topic.board_id == board_id,
                Topic.is_pinned.is_(False),  # type: ignore[attr-defined]
                Topic.deleted_at.is_(None),  # type: ignore[union-attr]
                Topic.hidden_at.is_(None),  # type: ignore[union-attr]
            )
        ).scalar_one()


def cursor_after_rank(engine: Engine, board_id: int, rank: int) -> str:
    """The board page cursor whose page starts right after the topic at 0-based listing rank
    `rank` — what the board page's 下一页 link would carry there (one slow OFFSET query, once)."""
    with Session(engine) as session:
        last_posted_at, topic_id = session.execute(
            select(Topic.last_posted_at, Topic.id)
            .where(
                Topic.board_id == board_id,
                Topic.is_pinned.is_(False),  # type: ignore[attr-defined]
                Topic.deleted_at.is_(None),  # type: ignore[union-attr]
                Topic.hidden_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(Topic.last_posted_at.desc(), Topic.id.desc())  # type: ignore[attr-defined]
            .offset(rank)
            .limit(1)
        ).one()
    return encode_cursor(_micros(last_posted_at), topic_id)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (("topics", Topic), ("posts", Post), ("users", User), ("topic_tags", TopicTag))
        }
