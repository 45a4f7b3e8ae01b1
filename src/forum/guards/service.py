"""The guards every write path passes (screen, check_post), the admin's word list, and the staff's
queue of held posts (approve, reject)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import markup
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.errors import Conflict, Invalid, NotFound
from forum.guards import ratelimit, trust
from forum.guards.models import NOTE_MAX, WORD_MAX, SensitiveWord, WordLevel, WordListVersion
from forum.guards.words import Verdict, fold_word, judge
from forum.notifications import service as notifications
from forum.notifications.models import DETAIL_MAX, Notification, NotificationKind
from forum.policy import Action, require
from forum.timeutil import utcnow

MAX_WORDS_AT_ONCE = 200
LEVEL_LABELS = {WordLevel.BLOCK: "禁止发布", WordLevel.HOLD: "先审后发", WordLevel.MASK: "替换为 ***"}


# --- screening -----------------------------------------------------------------------------------


def screen(session: Session, texts: Mapping[str, str], *, allow_hold: bool = True) -> Verdict:
    """Match named texts ({"title": ..., "body": ...}) against the word list. A blocked word raises
    Invalid naming it (nothing is saved, the form keeps the draft); otherwise the verdict has the
    texts with masked words replaced and says whether the post must be held for review.
    allow_hold=False ignores hold words (for staff, and for what cannot wait in a queue)."""
    verdict = judge(session, texts)
    for name, words in verdict.blocked.items():
        shown = "」「".join(words[:3])
        if name == "username":
            raise Invalid(f"用户名包含不允许使用的词语「{shown}」，请换一个", field=name)
        raise Invalid(f"内容包含不允许发布的词语「{shown}」，请修改后再发", field=name)
    if not allow_hold:
        verdict.held = []
    return verdict


def check_post(session: Session, *, actor: User, action: str | None, texts: Mapping[str, str]) -> Verdict:
    """Everything a post passes before it is written: no links from a new account, the word list
    (staff are never held), and the rate limit of `action` ("topic", "reply"; None for an edit).
    Use the verdict's texts (masked) and is_held."""
    trust.check_links(session, user=actor, texts=texts)
    verdict = screen(session, texts, allow_hold=not trust.is_staff(actor))
    if action is not None:
        ratelimit.hit(session, action=action, user=actor)
    return verdict


# --- the word list -------------------------------------------------------------------------------


def _bump_version(session: Session) -> None:
    stamp = secrets.token_hex(8)
    result = session.exec(  # type: ignore[call-overload]
        update(WordListVersion).where(col(WordListVersion.id) == 1).values(stamp=stamp)
    )
    if not result.rowcount:
        session.add(WordListVersion(id=1, stamp=stamp))
    session.flush()


def list_words(session: Session, *, actor: User | None) -> list[SensitiveWord]:
    require(actor, Action.MANAGE_WORDS)
    return list(
        session.exec(select(SensitiveWord).order_by(col(SensitiveWord.level), col(SensitiveWord.word))).all()
    )


def _level(level: str) -> WordLevel:
    try:
        return WordLevel(level)
    except ValueError:
        raise Invalid("请选择处理方式：禁止发布、先审后发或替换为 ***", field="level") from None


def add_words(
    session: Session, *, actor: User | None, words: str, level: str, note: str = ""
) -> list[SensitiveWord]:
    """Add words (one a line, or separated by spaces or commas) at one level; a word already on the
    list (in any script or width) takes the new level."""
    user = require(actor, Action.MANAGE_WORDS)
    chosen = _level(level)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"备注不能超过 {NOTE_MAX} 个字", field="note")
    items = [w for w in re.split(r"[\s,，、;；]+", words) if w]
    if not items:
        raise Invalid("请填写要添加的词语", field="words")
    if len(items) > MAX_WORDS_AT_ONCE:
        raise Invalid(f"一次最多添加 {MAX_WORDS_AT_ONCE} 个词语", field="words")
    wanted: dict[str, str] = {}
    for word in items:
        if len(word) > WORD_MAX:
            raise Invalid(f"词语「{word[:WORD_MAX]}…」太长，每个词不能超过 {WORD_MAX} 个字", field="words")
        folded = fold_word(word)
        if not folded:
            raise Invalid(f"「{word}」只有标点或空白，不能作为敏感词", field="words")
        if len(folded) < 2 and not re.match(r"[\u3400-\u9fff]", folded):
            raise Invalid(f"「{word}」太短，会误伤正常内容", field="words")
        wanted.setdefault(folded, word)
    existing = {
        w.normalized: w
        for w in session.exec(select(SensitiveWord).where(col(SensitiveWord.normalized).in_(wanted))).all()
    }
    out = []
    for folded, word in wanted.items():
        row = existing.get(folded)
        if row is None:
            row = SensitiveWord(word=word, normalized=folded, level=chosen, note=note, created_by_id=user.id)
            session.add(row)
        else:
            row.level = chosen
            row.note = note or row.note
        out.append(row)
    session.flush()
    _bump_version(session)
    return out


def get_word(session: Session, word_id: int) -> SensitiveWord:
    word = session.get(SensitiveWord, word_id)
    if word is None:
        raise NotFound("该词语不存在或已被删除")
    return word


def set_level(session: Session, *, actor: User | None, word: SensitiveWord, level: str) -> SensitiveWord:
    require(actor, Action.MANAGE_WORDS)
    word.level = _level(level)
    session.flush()
    _bump_version(session)
    return word


def delete_word(session: Session, *, actor: User | None, word: SensitiveWord) -> None:
    require(actor, Action.MANAGE_WORDS)
    session.delete(word)
    session.flush()
    _bump_version(session)


# --- held posts ----------------------------------------------------------------------------------
#
# A held post is saved but counted nowhere: not in the board's topic and post counts, not in the
# topic's reply count, not its parent's 楼中楼 count, and it sent no notifications. Approving it
# adds what it would have added; rejecting it deletes it (softly), with nothing to take back.


def _bump(session: Session, statement: Any) -> None:
    # Atomic increments, like boards.service's: a concurrent reply cannot lose its count.
    session.execute(statement, execution_options={"synchronize_session": False})


def _count_post(session: Session, post: Post, topic: Topic, sign: int, **topic_values: Any) -> None:
    """Add (sign=+1) or take away (-1) what the post counts for; refresh the topic after."""
    session.flush()
    first = post.floor == 1
    _bump(
        session,
        update(Board)
        .where(col(Board.id) == topic.board_id)
        .values(topic_count=Board.topic_count + (sign if first else 0), post_count=Board.post_count + sign),
    )
    if not first:
        _bump(
            session,
            update(Topic)
            .where(col(Topic.id) == topic.id)
            .values(reply_count=Topic.reply_count + sign, **topic_values),
        )
    if post.parent_id is not None:
        _bump(
            session,
            update(Post).where(col(Post.id) == post.parent_id).values(sub_count=Post.sub_count + sign),
        )
    session.refresh(topic)


def hold_edited(session: Session, *, post: Post, topic: Topic) -> None:
    """An edit brought in a word held for review: the post (and for 1楼 its topic) waits again,
    and leaves the counts it was in."""
    if post.held_at is not None:
        return
    now = utcnow()
    post.held_at = now
    if post.floor == 1:
        topic.held_at = now
    _count_post(session, post, topic, -1)
    if post.floor != 1:
        # It may be the reply the lists name as the last one; they go back to the one before.
        boards.refresh_last_reply(session, topic)
    session.flush()


@dataclass
class HeldItem:
    post: Post
    topic: Topic
    author: User
    board: Board


def held_posts(session: Session, *, actor: User | None, limit: int = 200) -> list[HeldItem]:
    """The review queue: held posts not yet deleted, oldest first."""
    require(actor, Action.MODERATE)
    rows = session.exec(
        select(Post, Topic, User, Board)
        .join(Topic, col(Topic.id) == Post.topic_id)
        .join(User, col(User.id) == Post.author_id)
        .join(Board, col(Board.id) == Topic.board_id)
        .where(col(Post.held_at).is_not(None), col(Post.deleted_at).is_(None))
        .order_by(col(Post.held_at), col(Post.id))
        .limit(limit)
    ).all()
    return [HeldItem(p, t, u, b) for p, t, u, b in rows]


def _held(session: Session, post: Post) -> Topic:
    if post.held_at is None or post.deleted_at is not None:
        raise Conflict("该内容已经审核过了")
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    return topic


def approve(session: Session, *, actor: User | None, post: Post) -> Post:
    """Publish a held post: it appears to everyone, joins the counts and, if it had never been
    published, bumps its topic and sends the notifications it held back."""
    require(actor, Action.MODERATE)
    topic = _held(session, post)
    # Held when it was written (not by a later edit): never published, never announced.
    fresh = post.held_at == post.created_at
    post.held_at = None
    if post.floor == 1:
        topic.held_at = None
    author = session.get(User, post.author_id)
    assert author is not None
    # A reply published now bumps its topic, as if just posted.
    bump = {"last_posted_at": utcnow(), "last_poster_id": author.id} if fresh else {}
    _count_post(session, post, topic, +1, **bump)
    if not fresh and post.floor != 1:
        # Held by an edit: back in the lists at its place, if it is still the newest reply.
        boards.refresh_last_reply(session, topic)
    if fresh:
        if post.floor == 1:
            notifications.notify_mentions(session, actor=author, topic=topic, post=post, exclude=set())
        else:
            parent = session.get(Post, post.parent_id) if post.parent_id else None
            quoted = session.get(Post, post.quote_id) if post.quote_id else None
            reply_to = session.get(User, post.reply_to_user_id) if post.reply_to_user_id else None
            notifications.notify_reply(
                session, actor=author, topic=topic, post=post, parent=parent, quoted=quoted, reply_to=reply_to
            )
    session.flush()
    return post


REJECT_REASON_MAX = 80


def reject(session: Session, *, actor: User | None, post: Post, reason: str = "") -> Post:
    """Turn a held post down: it is deleted (softly; the text stays for staff) and its author is
    told in their inbox, with the start of what they wrote and the reason, if one was given."""
    user = require(actor, Action.MODERATE)
    reason = " ".join(reason.split())
    if len(reason) > REJECT_REASON_MAX:
        raise Invalid(f"驳回理由不能超过 {REJECT_REASON_MAX} 字", field="reason")
    topic = _held(session, post)
    now = utcnow()
    post.deleted_at = now
    if post.floor == 1:
        topic.deleted_at = now
    what = topic.title if post.floor == 1 else markup.excerpt(post.body, 30)
    session.add(
        Notification(
            user_id=post.author_id,
            kind=NotificationKind.MOD_REJECTED,
            actor_id=user.id,
            detail=(f"「{what}」" + (f"，理由：{reason}" if reason else ""))[:DETAIL_MAX],
        )
    )
    session.flush()
    return post
