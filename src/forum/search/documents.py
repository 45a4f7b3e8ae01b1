"""What gets indexed: a document for each visible post (1楼 carries the topic title), each case
(title, description, public timeline, category, unit, status) and each meeting — built from the
database as it is now, so rebuilding a key is always right, whatever happened before."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from forum import labels
from forum.boards.models import Board, Category, Post, Topic, TopicTag
from forum.cases.models import Case, CaseEvent, Meeting, Unit
from forum.search.models import Audience, DocKind
from forum.search.text import index_tokens

BODY_LIMIT = 4000


def plain(text: str) -> str:
    """Markup source as plain text: no quote/list markers, no ** (for snippets)."""
    text = re.sub(r"(?m)^\s*(?:>|[-*]|\d+\.)\s*", "", text).replace("**", "")
    return re.sub(r"\s+", " ", text).strip()[:BODY_LIMIT]


def _post_docs(session: Session, ids: list[int]) -> dict[str, dict[str, Any]]:
    """Documents of visible posts, read as plain rows (no ORM objects: reindex reads millions)."""
    rows = session.exec(
        select(
            Post.id,
            Post.floor,
            Post.body,
            Post.author_id,
            Post.created_at,
            Topic.id,
            Topic.title,
            Board.id,
            Board.staff_only_topics,
        )
        .join(Topic, col(Topic.id) == Post.topic_id)
        .join(Board, col(Board.id) == Topic.board_id)
        .where(
            col(Post.id).in_(ids),
            col(Post.hidden_at).is_(None),
            col(Post.deleted_at).is_(None),
            col(Topic.hidden_at).is_(None),
            col(Topic.deleted_at).is_(None),
            # Held for review (forum.guards): indexed once approved.
            col(Post.held_at).is_(None),
            col(Topic.held_at).is_(None),
        )
    ).all()
    tags: dict[int, list[str]] = {}
    topic_ids = {row[5] for row in rows}
    if topic_ids:
        for topic_id, slug in session.exec(
            select(TopicTag.topic_id, Category.slug)
            .join(Category, col(Category.id) == TopicTag.category_id)
            .where(col(TopicTag.topic_id).in_(topic_ids))
        ).all():
            tags.setdefault(topic_id, []).append(slug)
    out = {}
    for post_id, floor, raw, author_id, created_at, topic_id, topic_title, board_id, staff_only in rows:
        first = floor == 1
        title = topic_title if first else ""
        body = plain(raw)
        out[f"post:{post_id}"] = {
            "key": f"post:{post_id}",
            "kind": (DocKind.NOTICE if staff_only else DocKind.TOPIC) if first else DocKind.REPLY,
            "audience": Audience.PUBLIC,
            "title": title,
            "body": body,
            "tokens": index_tokens(f"{title} {body}"),
            "board_id": board_id,
            "topic_id": topic_id,
            "post_id": post_id,
            "case_id": None,
            "meeting_id": None,
            "tags": " " + " ".join(tags.get(topic_id, [])) + " ",
            "status": "",
            "author_id": author_id,
            "created_at": created_at,
        }
    return out


def case_doc(session: Session, case: Case) -> dict[str, Any]:
    category = session.get(Category, case.category_id) if case.category_id else None
    unit = session.get(Unit, case.unit_id) if case.unit_id else None
    notes = session.exec(
        select(CaseEvent.note, CaseEvent.detail)
        .where(CaseEvent.case_id == case.id, col(CaseEvent.is_public).is_(True))
        .order_by(col(CaseEvent.id))
    ).all()
    timeline = " ".join(f"{detail} {note}" for note, detail in notes)
    extra = " ".join(
        x
        for x in (
            category.name if category else "",
            unit.name if unit else "",
            labels.CASE_STATUS.get(case.status, ""),
        )
        if x
    )
    body = plain(case.description)
    return {
        "key": f"case:{case.id}",
        "kind": DocKind.CASE,
        "audience": Audience.STAFF if case.is_private else Audience.PUBLIC,
        "title": case.title,
        "body": body,
        "tokens": index_tokens(f"{case.title} {body} {timeline} {extra} {case.building}号楼 {case.location}"),
        "board_id": None,
        "topic_id": case.topic_id,
        "post_id": None,
        "case_id": case.id,
        "meeting_id": None,
        "tags": f" {category.slug} " if category else "",
        "status": case.status,
        "author_id": case.poster_id,
        "created_at": case.created_at,
    }


def meeting_doc(meeting: Meeting) -> dict[str, Any]:
    body = plain(" ".join(x for x in (meeting.decisions, meeting.minutes) if x))
    kind = labels.MEETING_KIND.get(meeting.kind, "")
    return {
        "key": f"meeting:{meeting.id}",
        "kind": DocKind.MEETING,
        "audience": Audience.PUBLIC,
        "title": meeting.title,
        "body": body,
        "tokens": index_tokens(f"{meeting.title} {kind} {meeting.place} {meeting.attendees} {body}"),
        "board_id": None,
        "topic_id": None,
        "post_id": None,
        "case_id": None,
        "meeting_id": meeting.id,
        "tags": "",
        "status": "",
        "author_id": meeting.created_by_id,
        "created_at": meeting.starts_at,
    }


def build_many(session: Session, keys: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """Documents for many keys in a fixed number of queries (commits and reindex use this)."""
    wanted: dict[str, list[int]] = {"post": [], "case": [], "meeting": []}
    out: dict[str, dict[str, Any] | None] = {}
    for key in keys:
        kind, _, raw = key.partition(":")
        out[key] = None
        if kind in wanted and raw.isdigit():
            wanted[kind].append(int(raw))
    if wanted["post"]:
        out.update(_post_docs(session, wanted["post"]))
    for case in (
        session.exec(select(Case).where(col(Case.id).in_(wanted["case"]))).all() if wanted["case"] else []
    ):
        out[f"case:{case.id}"] = case_doc(session, case)
    for meeting in (
        session.exec(select(Meeting).where(col(Meeting.id).in_(wanted["meeting"]))).all()
        if wanted["meeting"]
        else []
    ):
        out[f"meeting:{meeting.id}"] = meeting_doc(meeting)
    return out


def build(session: Session, key: str) -> dict[str, Any] | None:
    """The document for `key` as the database has it now; None if it should not be in the index."""
    return build_many(session, [key]).get(key)


def post_keys_of_topics(session: Session, topic_ids: Iterable[int]) -> list[str]:
    ids = list(topic_ids)
    if not ids:
        return []
    return [f"post:{i}" for i in session.exec(select(Post.id).where(col(Post.topic_id).in_(ids))).all()]


def first_post_keys(session: Session, topic_ids: Iterable[int]) -> list[str]:
    ids = list(topic_ids)
    if not ids:
        return []
    return [
        f"post:{i}"
        for i in session.exec(select(Post.id).where(col(Post.topic_id).in_(ids), Post.floor == 1)).all()
    ]
