"""The forum's rules: boards and categories, topics, numbered floors, 楼中楼, edits, soft
deletes, likes, follows and moderation. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import markup, queries
from forum.boards.models import (
    BODY_MAX,
    TITLE_MAX,
    Board,
    Category,
    Image,
    Post,
    PostLike,
    PostRevision,
    Topic,
    TopicFollow,
    TopicTag,
)
from forum.errors import Conflict, Invalid, NotFound
from forum.guards import ratelimit
from forum.guards import service as guards
from forum.media.images import ImageStore
from forum.moderation import audit
from forum.notices.models import Notice
from forum.notifications import service as notifications
from forum.policy import Action, can, require, require_author_or_moderator
from forum.timeutil import utcnow


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _execute(session: Session, statement: Any) -> Any:
    """Run a bulk UPDATE/DELETE. Callers refresh what they hold, so SQLAlchemy need not try to
    synchronise in-memory objects (which costs a SELECT or an evaluation per statement)."""
    return session.execute(statement, execution_options={"synchronize_session": False})


# --- text rules ----------------------------------------------------------------------------------

_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: str) -> str:
    """NFC, no control or bidi-override characters, Unix line breaks, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).strip()


def clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", clean_text(title))
    if not title:
        raise Invalid("请填写标题", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"标题不能超过 {TITLE_MAX} 个字", field="title")
    return title


def clean_body(body: str, *, required: bool = True) -> str:
    body = clean_text(body)
    if required and not body:
        raise Invalid("内容不能为空", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"内容不能超过 {BODY_MAX} 个字", field="body")
    return body


# --- boards and categories -----------------------------------------------------------------------


def get_board(session: Session, board_id: int) -> Board:
    board = session.get(Board, board_id)
    if board is None:
        raise NotFound("版块不存在")
    return board


def get_board_by_slug(session: Session, slug: str) -> Board:
    board = session.exec(select(Board).where(Board.slug == slug)).first()
    if board is None:
        raise NotFound("版块不存在")
    return board


def list_boards(session: Session) -> list[Board]:
    return list(session.exec(select(Board).order_by(col(Board.position), col(Board.id))).all())


_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def _check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not _SLUG_RE.match(slug):
        raise Invalid("网址名只能用小写字母、数字和连字符（最多 32 个）", field="slug")
    return slug


def _check_name(name: str, limit: int = 20) -> str:
    name = re.sub(r"\s+", " ", clean_text(name))
    if not name or len(name) > limit:
        raise Invalid(f"名称须为 1–{limit} 个字", field="name")
    return name


def create_board(
    session: Session,
    *,
    actor: User | None,
    slug: str,
    name: str,
    description: str = "",
    staff_only_topics: bool = False,
) -> Board:
    require(actor, Action.MANAGE_BOARDS)
    slug = _check_slug(slug)
    if session.exec(select(Board.id).where(Board.slug == slug)).first() is not None:
        raise Conflict("该网址名已被其他版块使用", field="slug")
    description = clean_text(description)
    if len(description) > 200:
        raise Invalid("简介不能超过 200 个字", field="description")
    position = session.exec(select(func.coalesce(func.max(Board.position), 0))).one() + 1
    board = Board(
        slug=slug,
        name=_check_name(name),
        description=description,
        staff_only_topics=staff_only_topics,
        position=position,
    )
    session.add(board)
    session.flush()
    return board


def update_board(
    session: Session,
    *,
    actor: User | None,
    board: Board,
    name: str,
    description: str,
    staff_only_topics: bool,
) -> Board:
    require(actor, Action.MANAGE_BOARDS)
    description = clean_text(description)
    if len(description) > 200:
        raise Invalid("简介不能超过 200 个字", field="description")
    board.name = _check_name(name)
    board.description = description
    board.staff_only_topics = staff_only_topics
    session.flush()
    return board


def _swap_position(
    session: Session, items: Sequence[Board] | Sequence[Category], index: int, direction: int
) -> None:
    other = index + direction
    if not 0 <= other < len(items):
        return
    # Renumber densely first so equal positions cannot make the swap a no-op.
    for i, item in enumerate(items):
        item.position = i + 1
    items[index].position, items[other].position = items[other].position, items[index].position
    session.flush()


def move_board(session: Session, *, actor: User | None, board: Board, direction: int) -> None:
    """Move a board one place up (-1) or down (+1) in the board list."""
    require(actor, Action.MANAGE_BOARDS)
    boards = list_boards(session)
    _swap_position(session, boards, [b.id for b in boards].index(board.id), direction)


def list_categories(session: Session) -> list[Category]:
    return list(session.exec(select(Category).order_by(col(Category.position), col(Category.id))).all())


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("分类不存在")
    return category


def create_category(session: Session, *, actor: User | None, slug: str, name: str) -> Category:
    require(actor, Action.MANAGE_CATEGORIES)
    slug, name = _check_slug(slug), _check_name(name, 10)
    clash = session.exec(select(Category.id).where((Category.slug == slug) | (Category.name == name))).first()
    if clash is not None:
        raise Conflict("已有同名或同网址名的分类", field="name")
    position = session.exec(select(func.coalesce(func.max(Category.position), 0))).one() + 1
    category = Category(slug=slug, name=name, position=position)
    session.add(category)
    session.flush()
    return category


def rename_category(session: Session, *, actor: User | None, category: Category, name: str) -> Category:
    require(actor, Action.MANAGE_CATEGORIES)
    name = _check_name(name, 10)
    clash = session.exec(select(Category.id).where(Category.name == name, Category.id != category.id)).first()
    if clash is not None:
        raise Conflict("已有同名的分类", field="name")
    category.name = name
    session.flush()
    return category


def move_category(session: Session, *, actor: User | None, category: Category, direction: int) -> None:
    require(actor, Action.MANAGE_CATEGORIES)
    categories = list_categories(session)
    _swap_position(session, categories, [c.id for c in categories].index(category.id), direction)


def _resolve_tags(session: Session, tags: Sequence[str]) -> list[Category]:
    """Tags by slug or by name; unknown tags are an error rather than silently dropped."""
    wanted = [t.strip() for t in tags if t and t.strip()]
    if not wanted:
        return []
    if len(wanted) > 3:
        raise Invalid("最多选择 3 个分类标签", field="tags")
    found = session.exec(
        select(Category).where(col(Category.slug).in_(wanted) | col(Category.name).in_(wanted))
    ).all()
    known = {c.slug for c in found} | {c.name for c in found}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise Invalid(f"未知的分类标签：{'、'.join(unknown[:3])}", field="tags")
    return sorted({c.id: c for c in found}.values(), key=lambda c: c.position)


# --- topics and posts -----------------------------------------------------------------------------


def get_topic(session: Session, topic_id: int, *, viewer: User | None) -> Topic:
    """A topic the viewer may see: deleted and hidden topics exist only for staff."""
    topic = session.get(Topic, topic_id)
    if topic is None or (not topic.is_visible and not can(viewer, Action.SEE_PRIVATE)):
        raise NotFound("帖子不存在或已被删除")
    # A topic held for review: its author and staff only.
    held = topic.held_at is not None and not can(viewer, Action.SEE_PRIVATE)
    if held and (viewer is None or viewer.id != topic.author_id):
        raise NotFound("帖子不存在或已被删除")
    return topic


def may_see_post(session: Session, *, post: Post, viewer: User | None) -> bool:
    """Whether the viewer may see this floor's text and pictures: what the topic page shows them
    (the floor's own state as on the topic page, and a topic they may see)."""
    if not queries.text_shown_to(post, viewer):
        return False
    try:
        get_topic(session, post.topic_id, viewer=viewer)
    except NotFound:
        return False
    return True


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("楼层不存在")
    return post


def get_floor(session: Session, topic: Topic, floor: int) -> Post:
    post = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == floor)).first()
    if post is None:
        raise NotFound(f"第 {floor} 楼不存在")
    return post


def first_post(session: Session, topic: Topic) -> Post:
    return get_floor(session, topic, 1)


def store_images(
    session: Session,
    *,
    store: ImageStore | None,
    actor: User,
    post: Post | None,
    uploads: Sequence[Upload],
    limit: int,
    field: str = "images",
) -> list[Image]:
    """Check, re-encode and record uploaded pictures: a floor's (`post`), or with post=None for
    another part of the platform to file them (a case's photos, forum.cases.photos)."""
    uploads = [u for u in uploads if u.data or u.filename]
    if not uploads:
        return []
    if store is None:
        raise Invalid("当前不支持上传图片", field=field)
    require(actor, Action.UPLOAD)
    if len(uploads) > limit:
        where = "每个楼层" if post is not None else "每次"
        raise Invalid(f"{where}最多上传 {limit} 张图片", field=field)
    ratelimit.hit(session, action="upload", user=actor, amount=len(uploads))
    images = []
    for upload in uploads:
        stored = store.save(upload.data, upload.filename)
        image = Image(
            key=stored.key,
            ext=stored.ext,
            content_type=stored.content_type,
            width=stored.width,
            height=stored.height,
            size=stored.size,
            owner_id=actor.id,  # type: ignore[arg-type]
            post_id=post.id if post is not None else None,
            original_name=clean_text(upload.filename)[:120],
        )
        session.add(image)
        images.append(image)
    session.flush()
    return images


def create_topic(
    session: Session,
    *,
    actor: User | None,
    board: Board,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    uploads: Sequence[Upload] = (),
    store: ImageStore | None = None,
    max_images: int = 9,
) -> Topic:
    """Open a topic on a board: the topic row and its 1楼."""
    user = require(actor, Action.POST_TOPIC)
    if board.staff_only_topics:
        require(user, Action.POST_STAFF_BOARD)
    title, body = clean_title(title), clean_body(body)
    verdict = guards.check_post(session, actor=user, action="topic", texts={"title": title, "body": body})
    title, body = verdict.texts["title"], verdict.texts["body"]
    categories = _resolve_tags(session, tags)
    now = utcnow()
    held_at = now if verdict.is_held else None
    topic = Topic(
        board_id=board.id,
        author_id=user.id,
        title=title,
        created_at=now,  # type: ignore[arg-type]
        last_posted_at=now,
        last_poster_id=user.id,
        floor_count=1,
        held_at=held_at,
    )
    session.add(topic)
    session.flush()
    post = Post(
        topic_id=topic.id,
        floor=1,
        author_id=user.id,
        body=body,  # type: ignore[arg-type]
        body_html=markup.render(body),
        created_at=now,
        held_at=held_at,
    )
    session.add(post)
    session.flush()
    for category in categories:
        session.add(TopicTag(topic_id=topic.id, category_id=category.id))  # type: ignore[arg-type]
    store_images(session, store=store, actor=user, post=post, uploads=uploads, limit=max_images)
    session.add(TopicFollow(topic_id=topic.id, user_id=user.id))  # type: ignore[arg-type]
    # A held topic is counted and announced when staff approve it (forum.guards.service.approve).
    if held_at is None:
        _execute(
            session,
            update(Board)
            .where(col(Board.id) == board.id)
            .values(topic_count=Board.topic_count + 1, post_count=Board.post_count + 1),
        )
        notifications.notify_mentions(session, actor=user, topic=topic, post=post, exclude=set())
    session.flush()
    return topic


def _check_can_reply(session: Session, topic: Topic) -> None:
    if topic.deleted_at is not None or topic.hidden_at is not None:
        raise Conflict("该帖子已被删除，不能回复")
    if topic.is_locked:
        raise Conflict("该帖子已被锁定，不能回复")
    if topic.held_at is not None:
        raise Conflict("该帖子正在审核中，审核通过后才能回复")


def refresh_last_reply(session: Session, topic: Topic) -> None:
    """Point the topic's last activity (what the lists sort by and the 最后回复 name) at its
    newest post that everyone may see; call it when a post of the topic is hidden, restored,
    deleted or held."""
    session.flush()
    # Lock the topic row first (a reply bumps it in the same row): a reply committed meanwhile is
    # then either seen below or bumps the topic after us, never overwritten with an older time.
    session.exec(select(Topic.id).where(col(Topic.id) == topic.id).with_for_update()).one()
    newest = session.exec(
        select(Post.created_at, Post.author_id)
        .where(
            Post.topic_id == topic.id,
            col(Post.deleted_at).is_(None),
            col(Post.hidden_at).is_(None),
            col(Post.held_at).is_(None),
        )
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
        .limit(1)
    ).first()
    # None: not even 1楼 is visible, so neither is the topic; leave it as it was.
    if newest is not None:
        topic.last_posted_at, topic.last_poster_id = newest
        session.flush()


def reply(
    session: Session,
    *,
    actor: User | None,
    topic: Topic,
    body: str,
    parent_floor: int | None = None,
    quote_floor: int | None = None,
    reply_to: str | None = None,
    uploads: Sequence[Upload] = (),
    store: ImageStore | None = None,
    max_images: int = 9,
) -> Post:
    """Reply to a topic: a new numbered floor, or a 楼中楼 sub-reply when parent_floor is given.

    Floors are taken from the topic's counter with one atomic UPDATE … RETURNING in the same
    transaction as the insert, so concurrent replies get distinct, gap-free numbers: the row lock
    (PostgreSQL) or the write lock (SQLite) orders them, and a rolled-back reply returns its number.
    """
    user = require(actor, Action.REPLY)
    _check_can_reply(session, topic)
    body = clean_body(body)
    verdict = guards.check_post(session, actor=user, action="reply", texts={"body": body})
    body, held = verdict.texts["body"], verdict.is_held
    parent = quoted = reply_to_user = None
    if parent_floor is not None:
        parent = get_floor(session, topic, parent_floor)
        if not parent.is_visible:
            raise Conflict("该楼层已被删除，不能回复")
        if parent.held_at is not None:
            raise Conflict("该楼层正在审核中，暂不能回复")
        if reply_to:
            reply_to_user = session.exec(
                select(User).where(User.username_key == reply_to.strip().lower())
            ).first()
    if quote_floor is not None:
        if parent is not None:
            raise Invalid("楼中楼回复不能引用其他楼层", field="quote_floor")
        quoted = get_floor(session, topic, quote_floor)
    now = utcnow()
    # A held reply takes its floor now (floors stay gap-free) but is counted, bumps the topic and
    # notifies only when staff approve it (forum.guards.service.approve).
    counted = (
        {}
        if held
        else {"reply_count": Topic.reply_count + 1, "last_posted_at": now, "last_poster_id": user.id}
    )
    if parent is None:
        floor = _execute(
            session,
            update(Topic)
            .where(
                col(Topic.id) == topic.id,
                col(Topic.is_locked).is_(False),
                col(Topic.deleted_at).is_(None),
                col(Topic.hidden_at).is_(None),
                col(Topic.held_at).is_(None),
            )
            .values(floor_count=Topic.floor_count + 1, **counted)
            .returning(Topic.floor_count),
        ).scalar_one_or_none()
        if floor is None:
            # Locked or deleted between our read and the update.
            session.refresh(topic)
            _check_can_reply(session, topic)
            raise Conflict("该帖子当前不能回复")
    else:
        floor = None
        if not held:
            _execute(session, update(Topic).where(col(Topic.id) == topic.id).values(**counted))
            _execute(
                session, update(Post).where(col(Post.id) == parent.id).values(sub_count=Post.sub_count + 1)
            )
    post = Post(
        topic_id=topic.id,
        floor=floor,
        author_id=user.id,
        body=body,  # type: ignore[arg-type]
        body_html=markup.render(body),
        created_at=now,
        parent_id=parent.id if parent else None,
        quote_id=quoted.id if quoted else None,
        reply_to_user_id=reply_to_user.id if reply_to_user else None,
        held_at=now if held else None,
    )
    session.add(post)
    session.flush()
    store_images(session, store=store, actor=user, post=post, uploads=uploads, limit=max_images)
    if not held:
        _execute(
            session,
            update(Board).where(col(Board.id) == topic.board_id).values(post_count=Board.post_count + 1),
        )
    # Keep the in-memory topic in step with the database for the caller.
    session.refresh(topic)
    if not held:
        notifications.notify_reply(
            session, actor=user, topic=topic, post=post, parent=parent, quoted=quoted, reply_to=reply_to_user
        )
    return post


def edit_post(
    session: Session,
    *,
    actor: User | None,
    post: Post,
    body: str | None = None,
    title: str | None = None,
    tags: Sequence[str] | None = None,
) -> Post:
    """Edit a post (and, for 1楼, the topic title and tags); the old text goes to a revision."""
    user = require_author_or_moderator(actor, post.author_id, Action.EDIT_OWN)
    if post.deleted_at is not None:
        raise Conflict("已删除的楼层不能编辑")
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if topic.deleted_at is not None:
        raise Conflict("该帖子已被删除，不能编辑")
    if post.floor != 1 and (title is not None or tags is not None):
        raise Invalid("只有 1 楼可以修改标题和标签", field="title")
    _refuse_notice_text(session, post)
    new_body = clean_body(body) if body is not None else post.body
    new_title = clean_title(title) if title is not None else topic.title
    texts = {"title": new_title, "body": new_body} if post.floor == 1 else {"body": new_body}
    verdict = guards.check_post(session, actor=user, action=None, texts=texts)
    new_body, new_title = verdict.texts["body"], verdict.texts.get("title", new_title)
    categories = _resolve_tags(session, tags) if tags is not None else None
    if new_body == post.body and new_title == topic.title and categories is None:
        return post
    if new_body != post.body or new_title != topic.title:
        session.add(
            PostRevision(
                post_id=post.id,
                body=post.body,  # type: ignore[arg-type]
                title=topic.title if post.floor == 1 else None,
                editor_id=user.id,
            )
        )
        post.body, post.body_html = new_body, markup.render(new_body)
        post.edited_at = utcnow()
        topic.title = new_title
        if verdict.is_held:
            guards.hold_edited(session, post=post, topic=topic)
    if categories is not None:
        session.exec(delete(TopicTag).where(col(TopicTag.topic_id) == topic.id))  # type: ignore[call-overload]
        for category in categories:
            session.add(TopicTag(topic_id=topic.id, category_id=category.id))  # type: ignore[arg-type]
    session.flush()
    return post


def revisions(session: Session, *, actor: User | None, post: Post) -> list[PostRevision]:
    """Earlier texts of a post: for its author and staff."""
    require_author_or_moderator(actor, post.author_id, Action.EDIT_OWN)
    return list(
        session.exec(
            select(PostRevision).where(PostRevision.post_id == post.id).order_by(col(PostRevision.id).desc())
        ).all()
    )


def notice_of_topic(session: Session, topic_id: int) -> int | None:
    """The id of the notice whose comment topic this is (its 1楼 is the notice text), if any."""
    return session.exec(select(Notice.id).where(Notice.topic_id == topic_id)).first()


def _refuse_notice_text(session: Session, post: Post) -> None:
    """A notice's text is a public record with versions (forum.notices): its copy in the comment
    topic's 1楼 follows the notice and is not edited or deleted as a post."""
    if post.floor == 1 and notice_of_topic(session, post.topic_id) is not None:
        raise Conflict("这是居务公开的评论帖，1楼是公告原文：请在公告页修改或撤回公告")
    if post.origin:
        # A floor echoing a case's progress is part of the case's record (forum.boards.system).
        raise Conflict("这是民情意见的办理记录，不能作为帖子修改或删除")


def delete_post(session: Session, *, actor: User | None, post: Post, reason: str = "") -> Topic:
    """Soft delete: the floor stays, shown as 该楼层已删除; the text is kept for staff.
    Deleting 1楼 deletes the topic. Returns the post's topic."""
    user = require_author_or_moderator(actor, post.author_id, Action.DELETE_OWN)
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if post.deleted_at is not None:
        return topic
    _refuse_notice_text(session, post)
    if user.id != post.author_id:
        audit.record(
            session,
            actor=user,
            action="delete_post",
            target_user_id=post.author_id,
            topic_id=topic.id,
            post_id=post.id,
            reason=reason,
        )
    now = utcnow()
    post.deleted_at = now
    # A held post was never counted (forum.guards), so there is nothing to take back.
    if post.held_at is not None:
        topic.deleted_at = now if post.floor == 1 else topic.deleted_at
    elif post.floor == 1:
        topic.deleted_at = now
        _execute(
            session,
            update(Board).where(col(Board.id) == topic.board_id).values(topic_count=Board.topic_count - 1),
        )
    else:
        topic.reply_count = max(0, topic.reply_count - 1)
        refresh_last_reply(session, topic)
    session.flush()
    return topic


def delete_topic(session: Session, *, actor: User | None, topic: Topic) -> None:
    delete_post(session, actor=actor, post=first_post(session, topic))


def like(session: Session, *, actor: User | None, post: Post, on: bool = True) -> int:
    """赞 (or take back the 赞 of) a post; once per user. Returns the new count."""
    user = require(actor, Action.LIKE)
    if not post.is_visible:
        raise Conflict("该楼层已被删除")
    exists = session.get(PostLike, (post.id, user.id)) is not None
    if on and not exists:
        try:
            with session.begin_nested():
                session.add(PostLike(post_id=post.id, user_id=user.id))  # type: ignore[arg-type]
                session.flush()
        except IntegrityError:
            return post.like_count  # a double click raced us: already liked
        _execute(session, update(Post).where(col(Post.id) == post.id).values(like_count=Post.like_count + 1))
    elif not on and exists:
        _execute(
            session,
            delete(PostLike).where(col(PostLike.post_id) == post.id, col(PostLike.user_id) == user.id),
        )
        _execute(session, update(Post).where(col(Post.id) == post.id).values(like_count=Post.like_count - 1))
    session.flush()
    session.refresh(post)
    return post.like_count


def follow(session: Session, *, actor: User | None, topic: Topic, on: bool = True) -> bool:
    user = require(actor, Action.FOLLOW)
    row = session.get(TopicFollow, (topic.id, user.id))
    if on and row is None:
        try:
            with session.begin_nested():
                session.add(TopicFollow(topic_id=topic.id, user_id=user.id))  # type: ignore[arg-type]
                session.flush()
        except IntegrityError:
            pass
    elif not on and row is not None:
        session.delete(row)
        session.flush()
    return on


def is_following(session: Session, *, user: User | None, topic: Topic) -> bool:
    return user is not None and session.get(TopicFollow, (topic.id, user.id)) is not None


# --- moderation ----------------------------------------------------------------------------------


_FLAG_AUDIT = {"is_pinned": "pin", "is_featured": "feature", "is_locked": "lock"}


def set_topic_flag(session: Session, *, actor: User | None, topic: Topic, flag: str, value: bool) -> Topic:
    """Pin (置顶), feature (精品) or lock a topic."""
    user = require(actor, Action.MODERATE)
    if flag not in ("is_pinned", "is_featured", "is_locked"):
        raise Invalid("未知的操作")
    setattr(topic, flag, value)
    action = _FLAG_AUDIT[flag] if value else "un" + _FLAG_AUDIT[flag]
    audit.record(session, actor=user, action=action, target_user_id=topic.author_id, topic_id=topic.id)
    session.flush()
    return topic


def move_topic(session: Session, *, actor: User | None, topic: Topic, board: Board) -> Topic:
    user = require(actor, Action.MODERATE)
    if board.id == topic.board_id:
        return topic
    audit.record(
        session,
        actor=user,
        action="move_topic",
        target_user_id=topic.author_id,
        topic_id=topic.id,
        details=f"{get_board(session, topic.board_id).name} → {board.name}",
    )
    posts = session.exec(select(func.count()).select_from(Post).where(Post.topic_id == topic.id)).one()
    counts = 1 if topic.deleted_at is None else 0
    _execute(
        session,
        update(Board)
        .where(col(Board.id) == topic.board_id)
        .values(topic_count=Board.topic_count - counts, post_count=Board.post_count - posts),
    )
    _execute(
        session,
        update(Board)
        .where(col(Board.id) == board.id)
        .values(topic_count=Board.topic_count + counts, post_count=Board.post_count + posts),
    )
    topic.board_id = board.id  # type: ignore[assignment]
    session.flush()
    return topic


def set_post_hidden(
    session: Session, *, actor: User | None, post: Post, hidden: bool, reason: str = ""
) -> Post:
    """Hide (or restore) any post; hiding 1楼 hides the whole topic."""
    user = require(actor, Action.MODERATE)
    audit.record(
        session,
        actor=user,
        action="hide_post" if hidden else "restore_post",
        target_user_id=post.author_id,
        topic_id=post.topic_id,
        post_id=post.id,
        reason=reason,
    )
    value = utcnow() if hidden else None
    post.hidden_at = value
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if post.floor == 1:
        topic.hidden_at = value
    else:
        refresh_last_reply(session, topic)
    session.flush()
    return post
