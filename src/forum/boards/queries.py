"""Read side of the forum: board listings (keyset-paged) and topic pages (30 floors a page,
first three 楼中楼 per floor), each assembled in a fixed number of queries."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_, true
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import markup
from forum.boards.models import Board, Category, Image, Post, PostLike, Topic, TopicTag
from forum.keyset import pinned_then_newest
from forum.policy import Action, can


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()}  # type: ignore[misc]


def tags_by_topic(session: Session, topic_ids: Iterable[int]) -> dict[int, list[Category]]:
    ids = list(topic_ids)
    out: dict[int, list[Category]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(TopicTag.topic_id, Category)
        .join(Category, col(Category.id) == TopicTag.category_id)
        .where(col(TopicTag.topic_id).in_(ids))
        .order_by(col(Category.position))
    ).all()
    for topic_id, category in rows:
        out[topic_id].append(category)
    return out


def shown_to(viewer: User | None) -> ColumnElement[bool]:
    """Posts held for review (forum.guards) are shown to their author and staff only."""
    if can(viewer, Action.SEE_PRIVATE):
        return true()
    if viewer is None:
        return col(Post.held_at).is_(None)
    return or_(col(Post.held_at).is_(None), col(Post.author_id) == viewer.id)


def text_shown_to(post: Post, viewer: User | None) -> bool:
    """Whether a floor's text and pictures are shown to the viewer: deleted and hidden floors to
    staff only, floors held for review to staff and their author."""
    if can(viewer, Action.SEE_PRIVATE):
        return True
    if post.deleted_at is not None or post.hidden_at is not None:
        return False
    return post.held_at is None or (viewer is not None and viewer.id == post.author_id)


# --- board listing ---------------------------------------------------------------------------


@dataclass
class TopicRow:
    topic: Topic
    author: User
    last_poster: User | None
    tags: list[Category]


@dataclass
class BoardListing:
    board: Board
    pinned: list[TopicRow]
    topics: list[TopicRow]
    next_cursor: str | None


def _rows(session: Session, topics: list[Topic]) -> list[TopicRow]:
    users = users_by_id(session, [t.author_id for t in topics] + [t.last_poster_id for t in topics])
    tags = tags_by_topic(session, [t.id for t in topics])  # type: ignore[misc]
    return [
        TopicRow(
            t,
            users[t.author_id],
            users.get(t.last_poster_id) if t.last_poster_id else None,
            tags.get(t.id, []),
        )  # type: ignore[arg-type]
        for t in topics
    ]


def board_listing(
    session: Session,
    *,
    board: Board,
    viewer: User | None,
    cursor: str | None = None,
    limit: int = 30,
    tag: Category | None = None,
) -> BoardListing:
    """Pinned topics (on the first page), then the rest by last reply time, newest first.

    Keyset pagination on (last_posted_at, id) over the (board_id, is_pinned, last_posted_at, id)
    index: the cost of a page does not grow with the number of topics before it."""
    staff = can(viewer, Action.SEE_PRIVATE)

    def visible(query):  # type: ignore[no-untyped-def]
        query = query.where(Topic.board_id == board.id)
        if not staff:
            query = query.where(
                col(Topic.deleted_at).is_(None), col(Topic.hidden_at).is_(None), col(Topic.held_at).is_(None)
            )
        if tag is not None:
            query = query.where(
                col(Topic.id).in_(select(TopicTag.topic_id).where(TopicTag.category_id == tag.id))
            )
        return query

    pinned, page, next_cursor = pinned_then_newest(
        session, visible(select(Topic)), model=Topic, time_field="last_posted_at", cursor=cursor, limit=limit
    )
    rows = _rows(session, pinned + page)
    return BoardListing(board, rows[: len(pinned)], rows[len(pinned) :], next_cursor)


def latest_topics(session: Session, *, limit: int = 10) -> list[TopicRow]:
    """The most recently active visible topics across all boards, for the home page."""
    topics = list(
        session.exec(
            select(Topic)
            .where(
                col(Topic.deleted_at).is_(None), col(Topic.hidden_at).is_(None), col(Topic.held_at).is_(None)
            )
            .order_by(col(Topic.last_posted_at).desc())
            .limit(limit)
        ).all()
    )
    return _rows(session, topics)


def topics_by_author(session: Session, *, author: User, limit: int = 20) -> list[Topic]:
    return list(
        session.exec(
            select(Topic)
            .where(
                Topic.author_id == author.id,
                col(Topic.deleted_at).is_(None),
                col(Topic.hidden_at).is_(None),
                col(Topic.held_at).is_(None),
            )
            .order_by(col(Topic.id).desc())
            .limit(limit)
        ).all()
    )


# --- topic page ------------------------------------------------------------------------------


@dataclass
class QuoteView:
    floor: int | None
    author: str
    excerpt: str


@dataclass
class PostView:
    post: Post
    author: User
    state: str  # "ok", "deleted", "hidden" or "held" (waiting for review)
    show_body: bool  # False hides the text of deleted/hidden posts from non-staff
    images: list[Image] = field(default_factory=list)
    quote: QuoteView | None = None
    reply_to: User | None = None
    liked: bool = False
    subs: list[PostView] = field(default_factory=list)
    subs_more: int = 0


@dataclass
class TopicPageView:
    topic: Topic
    board: Board
    tags: list[Category]
    author: User
    floors: list[PostView]
    page: int
    pages: int
    author_only: bool
    next_after: int | None
    per_page: int


def page_of_floor(floor: int, per_page: int) -> int:
    return max(1, math.ceil(floor / per_page))


def _views(session: Session, posts: list[Post], viewer: User | None, *, subs_shown: int) -> list[PostView]:
    if not posts:
        return []
    subs: dict[int, list[Post]] = defaultdict(list)
    if subs_shown:
        parent_ids = [p.id for p in posts if p.sub_count and p.floor is not None]
        if parent_ids:
            ranked = (
                select(
                    col(Post.id).label("id"),
                    func.row_number().over(partition_by=Post.parent_id, order_by=col(Post.id)).label("rn"),
                )
                .where(col(Post.parent_id).in_(parent_ids), shown_to(viewer))
                .subquery()
            )
            for sub in session.exec(
                select(Post)
                .join(ranked, ranked.c.id == Post.id)
                .where(ranked.c.rn <= subs_shown)
                .order_by(col(Post.id))
            ).all():
                subs[sub.parent_id].append(sub)  # type: ignore[index]
    all_posts = posts + [s for group in subs.values() for s in group]
    all_ids = [p.id for p in all_posts]
    quotes = (
        {
            q.id: q
            for q in session.exec(
                select(Post).where(col(Post.id).in_({p.quote_id for p in posts if p.quote_id}))
            ).all()
        }
        if any(p.quote_id for p in posts)
        else {}
    )
    users = users_by_id(
        session,
        [p.author_id for p in all_posts]
        + [p.reply_to_user_id for p in all_posts]
        + [q.author_id for q in quotes.values()],
    )
    images: dict[int, list[Image]] = defaultdict(list)
    for image in session.exec(
        select(Image).where(col(Image.post_id).in_(all_ids)).order_by(col(Image.id))
    ).all():
        images[image.post_id].append(image)  # type: ignore[index]
    liked: set[int] = set()
    if viewer is not None:
        liked = set(
            session.exec(
                select(PostLike.post_id).where(
                    PostLike.user_id == viewer.id, col(PostLike.post_id).in_(all_ids)
                )
            ).all()
        )

    def view(p: Post) -> PostView:
        state = "deleted" if p.deleted_at else "hidden" if p.hidden_at else "held" if p.held_at else "ok"
        return _view(p, state, text_shown_to(p, viewer))

    def _view(p: Post, state: str, show: bool) -> PostView:
        quote = None
        if p.quote_id and p.quote_id in quotes:
            q = quotes[p.quote_id]
            text = markup.excerpt(q.body, 80) if q.is_visible and q.held_at is None else "该楼层已删除"
            quote = QuoteView(q.floor, users[q.author_id].username, text)
        return PostView(
            post=p,
            author=users[p.author_id],
            state=state,
            show_body=show,
            images=images.get(p.id, []) if show else [],  # type: ignore[arg-type]
            quote=quote,
            reply_to=users.get(p.reply_to_user_id) if p.reply_to_user_id else None,
            liked=p.id in liked,
        )

    out = []
    for p in posts:
        v = view(p)
        v.subs = [view(s) for s in subs.get(p.id, [])]  # type: ignore[arg-type]
        v.subs_more = max(0, p.sub_count - len(v.subs))
        out.append(v)
    return out


def topic_page(
    session: Session,
    *,
    topic: Topic,
    viewer: User | None,
    page: int = 1,
    author_only: bool = False,
    after: int | None = None,
    per_page: int = 30,
    subs_shown: int = 3,
) -> TopicPageView:
    """One page of floors. Floors are gap-free, so page p is floors (p-1)*n+1 … p*n: a range
    scan on (topic_id, floor), no OFFSET. 只看楼主 pages by keyset on floor instead."""
    board = session.get(Board, topic.board_id)
    assert board is not None
    pages = page_of_floor(topic.floor_count, per_page)
    query = select(Post).where(Post.topic_id == topic.id, col(Post.floor).is_not(None), shown_to(viewer))
    next_after = None
    if author_only:
        query = query.where(Post.author_id == topic.author_id, col(Post.floor) > (after or 0))
        posts = list(session.exec(query.order_by(col(Post.floor)).limit(per_page + 1)).all())
        if len(posts) > per_page:
            posts = posts[:per_page]
            next_after = posts[-1].floor
    else:
        page = min(max(1, page), pages)
        query = query.where(col(Post.floor).between((page - 1) * per_page + 1, page * per_page))
        posts = list(session.exec(query.order_by(col(Post.floor))).all())
    floors = _views(session, posts, viewer, subs_shown=subs_shown)
    author = floors[0].author if floors and floors[0].post.floor == 1 else session.get(User, topic.author_id)
    assert author is not None
    tags = tags_by_topic(session, [topic.id]).get(topic.id, [])  # type: ignore[list-item]
    return TopicPageView(topic, board, tags, author, floors, page, pages, author_only, next_after, per_page)


def subreplies(session: Session, *, parent: Post, viewer: User | None) -> list[PostView]:
    """Every 楼中楼 under a floor (what 展开 loads)."""
    posts = list(
        session.exec(
            select(Post)
            .where(Post.parent_id == parent.id, shown_to(viewer))
            .order_by(col(Post.id))
            .limit(1000)
        ).all()
    )
    return _views(session, posts, viewer, subs_shown=0)


def posts_of_topic(
    session: Session,
    *,
    topic: Topic,
    viewer: User | None,
    after: int = 0,
    limit: int = 50,
) -> tuple[list[PostView], int | None]:
    """Floors and sub-replies in posting order, keyset on id (for the API)."""
    posts = list(
        session.exec(
            select(Post)
            .where(Post.topic_id == topic.id, col(Post.id) > after, shown_to(viewer))
            .order_by(col(Post.id))
            .limit(limit + 1)
        ).all()
    )
    more = len(posts) > limit
    posts = posts[:limit]
    views = _views(session, posts, viewer, subs_shown=0)
    return views, (posts[-1].id if more else None)  # type: ignore[return-value]


def post_view(session: Session, *, post: Post, viewer: User | None) -> PostView:
    return _views(session, [post], viewer, subs_shown=0)[0]


def parent_floors(session: Session, posts: list[Post]) -> dict[int, int]:
    """Floor numbers of the parents of 楼中楼 replies, by parent id."""
    ids = {p.parent_id for p in posts if p.parent_id}
    if not ids:
        return {}
    return dict(session.exec(select(Post.id, Post.floor).where(col(Post.id).in_(ids))).all())  # type: ignore[arg-type]
