"""The rules of 居务公开 notices: staff write, schedule, edit (every version kept), pin, close
comments and withdraw; a notice becomes public at publish_at, and at that moment gets its companion
topic on the 居务公开 board, where residents comment as ordinary floors under the forum's rules.
Verified households that open a notice are counted once. Services flush; the caller commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import nh3
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.accounts.models import Household, HouseholdStatus, User
from forum.boards import markup
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.boards.service import Upload, clean_body, clean_text, clean_title
from forum.errors import Conflict, DomainError, Invalid, NotFound
from forum.guards import service as guards
from forum.mail import service as mail
from forum.media.images import ImageStore
from forum.notices.files import NoticeFiles
from forum.notices.models import (
    BODY_MAX,
    MAX_ATTACHMENTS,
    REASON_MAX,
    Notice,
    NoticeAttachment,
    NoticeCategory,
    NoticeRead,
    NoticeVersion,
)
from forum.policy import Action, can, require
from forum.timeutil import utcnow

log = logging.getLogger("forum.notices")

# Where comments go: the board of this slug, else the first staff-only board, else one made for it.
COMMENT_BOARD_SLUG = "gongkai"
MAX_SCHEDULE_DAYS = 366
STALE = "该公告刚刚已被他人修改，请刷新页面后重试"

# Notice bodies take the posts' markup plus tables (财务公开 needs them).
_renderer = markup.make_renderer()
_renderer.enable("table")
_TAGS = {"p", "br", "strong", "em", "blockquote", "ul", "ol", "li", "a"} | {
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render_body(text: str) -> str:
    """Notice markup source -> sanitised HTML."""
    return nh3.clean(
        _renderer.render(text),
        tags=_TAGS,
        attributes={"a": {"href", "class"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


def notice_path(notice_id: int) -> str:
    """The notice page's path, for the link stored in its topic's 1楼 (stored HTML cannot call url_for
    at render time; routes/notices.py serves this path as "notices:notice")."""
    return f"/notices/{notice_id}"


def _execute(session: Session, statement: Any) -> Any:
    """A bulk UPDATE; callers refresh what they hold."""
    return session.execute(statement, execution_options={"synchronize_session": False})


# --- reading -------------------------------------------------------------------------------------


def is_staff(user: User | None) -> bool:
    return can(user, Action.PUBLISH_NOTICE)


def get_notice(
    session: Session, notice_id: int, *, viewer: User | None, now: datetime | None = None
) -> Notice:
    """A notice the viewer may see: scheduled and withdrawn notices exist only for staff."""
    notice = session.get(Notice, notice_id)
    if notice is None or (not is_staff(viewer) and not notice.is_public(now or utcnow())):
        raise NotFound("公告不存在或已撤回")
    return notice


def versions(session: Session, *, notice: Notice) -> list[NoticeVersion]:
    """Every version of the notice's text, newest first (the caller got the notice through get_notice)."""
    return list(
        session.exec(
            select(NoticeVersion)
            .where(NoticeVersion.notice_id == notice.id)
            .order_by(col(NoticeVersion.number).desc())
        ).all()
    )


# --- input rules ---------------------------------------------------------------------------------


def _category(value: str) -> str:
    value = (value or "").strip()
    if value not in set(NoticeCategory):
        raise Invalid("请选择公告类别", field="category")
    return value


def _screen(session: Session, title: str, body: str) -> tuple[str, str]:
    """The sensitive-word list applies to notices too: blocked words refuse, masked words become
    ***; nothing is held (a notice is staff's own publication, there is no queue to wait in)."""
    verdict = guards.screen(session, {"title": title, "body": body}, allow_hold=False)
    return verdict.texts["title"], verdict.texts["body"]


def _body(text: str) -> str:
    # The forum's rules and limit (BODY_MAX is the same): the body becomes the topic's 1楼.
    assert BODY_MAX == boards.BODY_MAX
    return clean_body(text)


def _publish_time(publish_at: datetime | None, now: datetime) -> datetime:
    """None or a past time: now. A future time (at most a year ahead): a scheduled notice."""
    if publish_at is None:
        return now
    if publish_at.tzinfo is None:
        raise Invalid("发布时间须带时区", field="publish_at")
    if publish_at <= now:
        return now
    if publish_at > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise Invalid("定时发布最多提前一年", field="publish_at")
    return publish_at


def _reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise Invalid("请填写撤回原因", field="reason")
    if len(reason) > REASON_MAX:
        raise Invalid(f"撤回原因不能超过 {REASON_MAX} 个字", field="reason")
    return reason


# --- writing -------------------------------------------------------------------------------------


def create_notice(
    session: Session,
    *,
    actor: User | None,
    title: str,
    body: str,
    category: str,
    publish_at: datetime | None = None,
    pinned: bool = False,
    comments_closed: bool = False,
    uploads: Sequence[Upload] = (),
    files: NoticeFiles | None = None,
    now: datetime | None = None,
) -> Notice:
    """Write a notice: published at once, or scheduled for publish_at (made public by publish_due)."""
    user = require(actor, Action.PUBLISH_NOTICE)
    now = now or utcnow()
    title, body, category = clean_title(title), _body(body), _category(category)
    title, body = _screen(session, title, body)
    notice = Notice(
        title=title,
        body=body,
        body_html=render_body(body),
        category=category,
        author_id=user.id,
        publish_at=_publish_time(publish_at, now),
        is_pinned=pinned,
        comments_closed=comments_closed,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    session.add(
        NoticeVersion(
            notice_id=notice.id,
            number=1,
            title=title,
            body=body,
            category=category,
            editor_id=user.id,
            created_at=now,
        )
    )
    add_attachments(session, actor=user, notice=notice, uploads=uploads, files=files)
    if notice.publish_at <= now:
        publish(session, notice=notice, now=now)
    session.flush()
    return notice


def publish(session: Session, *, notice: Notice, now: datetime | None = None) -> Topic | None:
    """The moment a notice becomes public: its comment topic is opened on 居务公开 (once; a second
    call, or a racing worker, finds it there). Hook announcements to residents here. Returns the
    topic, or None when the notice is not due or was withdrawn."""
    now = now or utcnow()
    if notice.topic_id is not None:
        return session.get(Topic, notice.topic_id)
    if not notice.is_public(now):
        return None
    author = session.get(User, notice.author_id)
    board = comment_board(session)
    try:
        with session.begin_nested():
            topic = boards.create_topic(
                session, actor=author, board=board, title=notice.title, body=notice.body
            )
            _sync_first_post(session, notice, topic)
            topic.is_locked = notice.comments_closed
            # Claim: only the first publisher links its topic; the loser's savepoint rolls back.
            claimed = _execute(
                session,
                update(Notice)
                .where(col(Notice.id) == notice.id, col(Notice.topic_id).is_(None))
                .values(topic_id=topic.id),
            ).rowcount
            if claimed != 1:
                raise _Lost()
    except _Lost:
        session.refresh(notice)
        return session.get(Topic, notice.topic_id) if notice.topic_id else None
    session.refresh(notice)
    # Only the transaction that claimed the topic announces, so a notice is mailed once.
    mail.announce(session, kind="notice", title=notice.title, url_path=notice_path(notice.id))
    return topic


class _Lost(Exception):
    """Another transaction published the notice first."""


def publish_due(session: Session, *, now: datetime | None = None, limit: int = 100) -> int:
    """Publish scheduled notices whose time has come (the periodic task; idempotent). Visibility does
    not wait for this: lists and pages compare publish_at with the clock themselves."""
    now = now or utcnow()
    due = session.exec(
        select(Notice)
        .where(
            col(Notice.topic_id).is_(None), col(Notice.publish_at) <= now, col(Notice.withdrawn_at).is_(None)
        )
        .order_by(col(Notice.publish_at))
        .limit(limit)
    ).all()
    done = 0
    for notice in due:
        try:
            if publish(session, notice=notice, now=now) is not None:
                done += 1
        except DomainError as error:  # e.g. the author is no longer staff; try again next round
            log.warning("notice %s not published: %s", notice.id, error.message)
    session.flush()
    return done


def comment_board(session: Session) -> Board:
    board = session.exec(select(Board).where(Board.slug == COMMENT_BOARD_SLUG)).first()
    if board is None:
        board = session.exec(
            select(Board).where(col(Board.staff_only_topics).is_(True)).order_by(col(Board.position))
        ).first()
    if board is None:
        position = session.exec(select(func.coalesce(func.max(Board.position), 0))).one() + 1
        board = Board(
            slug=COMMENT_BOARD_SLUG,
            name="居务公开",
            description="居委会、服务站发布的通知公告、财务公开、会议纪要和民主评议结果。仅工作人员发帖。",
            staff_only_topics=True,
            position=position,
        )
        session.add(board)
        session.flush()
    return board


def _sync_first_post(session: Session, notice: Notice, topic: Topic) -> None:
    """The topic's 1楼 carries the notice text (so search finds it) and a link to the notice page."""
    post = boards.first_post(session, topic)
    post.body = notice.body
    post.body_html = notice.body_html + (
        f'<p class="notice-origin"><a href="{notice_path(notice.id)}">查看公告原文、附件和修改记录</a></p>'  # type: ignore[arg-type]
    )
    topic.title = notice.title


def edit_notice(
    session: Session,
    *,
    actor: User | None,
    notice: Notice,
    title: str | None = None,
    body: str | None = None,
    category: str | None = None,
    publish_at: datetime | None = None,
    version: int | None = None,
    uploads: Sequence[Upload] = (),
    files: NoticeFiles | None = None,
    now: datetime | None = None,
) -> Notice:
    """Change a notice's text. Once published, each change is a new version and the notice shows
    已修改; before that, the draft is corrected in place and may be rescheduled."""
    user = require(actor, Action.PUBLISH_NOTICE)
    now = now or utcnow()
    if notice.withdrawn_at is not None:
        raise Conflict("已撤回的公告不能修改")
    if version is not None and version != notice.version:
        raise Conflict(STALE)
    new_title = clean_title(title) if title is not None else notice.title
    new_body = _body(body) if body is not None else notice.body
    new_category = _category(category) if category is not None else notice.category
    new_title, new_body = _screen(session, new_title, new_body)
    published = notice.publish_at <= now
    if publish_at is not None and published:
        raise Invalid("公告已经发布，不能再修改发布时间", field="publish_at")
    changed = (new_title, new_body, new_category) != (notice.title, notice.body, notice.category)
    if changed and published:
        number = notice.version + 1
        bumped = _execute(
            session,
            update(Notice)
            .where(col(Notice.id) == notice.id, col(Notice.version) == notice.version)
            .values(version=number),
        ).rowcount
        if bumped != 1:
            raise Conflict(STALE)
        session.refresh(notice)
        session.add(
            NoticeVersion(
                notice_id=notice.id,
                number=number,
                title=new_title,
                body=new_body,
                category=new_category,
                editor_id=user.id,
                created_at=now,
            )
        )
        notice.edited_at = now
    elif changed:
        draft = session.exec(
            select(NoticeVersion).where(
                NoticeVersion.notice_id == notice.id, NoticeVersion.number == notice.version
            )
        ).one()
        draft.title, draft.body, draft.category = new_title, new_body, new_category
        draft.editor_id, draft.created_at = user.id, now  # type: ignore[assignment]
    if changed:
        notice.title, notice.body, notice.category = new_title, new_body, new_category
        notice.body_html = render_body(new_body)
        if notice.topic_id is not None:
            topic = session.get(Topic, notice.topic_id)
            assert topic is not None
            _sync_first_post(session, notice, topic)
            boards.first_post(session, topic).edited_at = now
    if publish_at is not None:
        notice.publish_at = _publish_time(publish_at, now)
    add_attachments(session, actor=user, notice=notice, uploads=uploads, files=files)
    session.flush()
    if notice.publish_at <= now and notice.topic_id is None:
        publish(session, notice=notice, now=now)
    return notice


def add_attachments(
    session: Session,
    *,
    actor: User | None,
    notice: Notice,
    uploads: Sequence[Upload],
    files: NoticeFiles | None,
) -> list[NoticeAttachment]:
    """Attach PDFs and pictures, each checked by its content; attachments are never removed from a
    notice (withdraw and re-issue it instead)."""
    uploads = [u for u in uploads if u.data or u.filename]
    if not uploads:
        return []
    user = require(actor, Action.PUBLISH_NOTICE)
    if files is None:
        raise Invalid("当前不支持上传附件", field="attachments")
    if notice.withdrawn_at is not None:
        raise Conflict("已撤回的公告不能添加附件")
    existing = session.exec(
        select(func.count()).select_from(NoticeAttachment).where(NoticeAttachment.notice_id == notice.id)
    ).one()
    if existing + len(uploads) > MAX_ATTACHMENTS:
        raise Invalid(f"每条公告最多 {MAX_ATTACHMENTS} 个附件", field="attachments")
    added = []
    for upload in uploads:
        stored = files.save(upload.data, upload.filename)
        attachment = NoticeAttachment(
            notice_id=notice.id,  # type: ignore[arg-type]
            key=stored.key,
            kind=stored.kind,
            content_type=stored.content_type,
            ext=stored.ext,
            filename=stored.filename,
            size=stored.size,
            width=stored.width,
            height=stored.height,
            pages=stored.pages,
            uploader_id=user.id,  # type: ignore[arg-type]
        )
        session.add(attachment)
        added.append(attachment)
    session.flush()
    return added


def get_attachment(session: Session, *, notice: Notice, attachment_id: int) -> NoticeAttachment:
    attachment = session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice.id:
        raise NotFound("附件不存在")
    return attachment


def set_pinned(session: Session, *, actor: User | None, notice: Notice, pinned: bool) -> Notice:
    require(actor, Action.PUBLISH_NOTICE)
    if pinned and notice.withdrawn_at is not None:
        raise Conflict("已撤回的公告不能置顶")
    notice.is_pinned = pinned
    session.flush()
    return notice


def set_comments_closed(session: Session, *, actor: User | None, notice: Notice, closed: bool) -> Notice:
    """Close (or reopen) comments: the companion topic is locked (or unlocked) with it."""
    require(actor, Action.PUBLISH_NOTICE)
    notice.comments_closed = closed
    if notice.topic_id is not None:
        topic = session.get(Topic, notice.topic_id)
        assert topic is not None
        topic.is_locked = closed
    session.flush()
    return notice


def withdraw(session: Session, *, actor: User | None, notice: Notice, reason: str) -> Notice:
    """Take a notice down: gone from lists and pages for everyone but staff, who keep its page and
    versions; its comment topic is hidden (and so drops out of search)."""
    user = require(actor, Action.PUBLISH_NOTICE)
    reason = _reason(reason)
    if notice.withdrawn_at is not None:
        raise Conflict("该公告已经撤回")
    now = utcnow()
    notice.withdrawn_at, notice.withdrawn_by_id, notice.withdraw_reason = now, user.id, reason
    notice.is_pinned = False
    if notice.topic_id is not None:
        topic = session.get(Topic, notice.topic_id)
        assert topic is not None
        topic.hidden_at = now
    session.flush()
    return notice


def comment(
    session: Session,
    *,
    actor: User | None,
    notice: Notice,
    body: str,
    parent_floor: int | None = None,
    quote_floor: int | None = None,
    uploads: Sequence[Upload] = (),
    store: ImageStore | None = None,
    max_images: int = 9,
    now: datetime | None = None,
) -> Post:
    """A comment under a notice: a floor of its companion topic, with all of the forum's rules."""
    require(actor, Action.REPLY)
    now = now or utcnow()
    if not notice.is_public(now):
        raise Conflict("该公告尚未发布或已撤回，不能评论")
    if notice.comments_closed:
        raise Conflict("该公告已关闭评论")
    topic = publish(session, notice=notice, now=now)
    assert topic is not None
    return boards.reply(
        session,
        actor=actor,
        topic=topic,
        body=body,
        parent_floor=parent_floor,
        quote_floor=quote_floor,
        uploads=uploads,
        store=store,
        max_images=max_images,
    )


# --- read receipts -------------------------------------------------------------------------------


def approved_household(session: Session, user: User | None) -> Household | None:
    if user is None:
        return None
    return session.exec(
        select(Household).where(Household.user_id == user.id, Household.status == HouseholdStatus.APPROVED)
    ).first()


def needs_receipt(
    session: Session, *, notice: Notice, user: User | None, now: datetime | None = None
) -> bool:
    """Whether opening the notice should record a read: a verified household, a public notice, and
    no read from that household yet."""
    if user is None or not notice.is_public(now or utcnow()):
        return False
    household = approved_household(session, user)
    return household is not None and session.get(NoticeRead, (notice.id, household.id)) is None


def record_read(session: Session, *, notice_id: int, user_id: int, now: datetime | None = None) -> bool:
    """Count the user's household as having read the notice, once; True if this was the first read."""
    notice, user = session.get(Notice, notice_id), session.get(User, user_id)
    if notice is None or user is None or not notice.is_public(now or utcnow()):
        return False
    household = approved_household(session, user)
    if household is None or session.get(NoticeRead, (notice_id, household.id)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(NoticeRead(notice_id=notice_id, household_id=household.id, user_id=user_id))  # type: ignore[arg-type]
            session.flush()
    except IntegrityError:
        return False  # another member of the household (or another tab) was a moment faster
    return True


def verified_households(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Household).where(Household.status == HouseholdStatus.APPROVED)
    ).one()


def find_by_title(session: Session, title: str) -> Notice | None:
    """The newest notice with this exact title (for seeding, and for linking a consultation to it)."""
    return session.exec(select(Notice).where(Notice.title == title).order_by(col(Notice.id).desc())).first()
