"""Search: check the query, ask the configured backend, and turn its documents into results a
viewer may see — highlighted, grouped by kind, linked to the right floor."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from markupsafe import Markup
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards.models import Board, Category, Post, Topic
from forum.cases.models import Case, Meeting
from forum.errors import Invalid
from forum.policy import Action, can
from forum.search import embedded, sync
from forum.search.models import DocKind, SearchDoc, SearchState
from forum.search.text import highlight, query_tokens
from forum.timeutil import SHANGHAI

QUERY_MAX = 100
PER_PAGE = 20
MAX_PAGE = 50
KIND_LABELS = {
    DocKind.TOPIC: "帖子",
    DocKind.REPLY: "回复",
    DocKind.NOTICE: "居务公开",
    DocKind.CASE: "民情意见",
    DocKind.MEETING: "会议",
}


class Backend(Protocol):
    name: str

    def search(
        self, session: Session, terms: list[str], filters: embedded.Filters, *, limit: int, offset: int
    ) -> tuple[int, list[SearchDoc]]: ...


class EmbeddedBackend:
    name = "embedded"

    def search(
        self, session: Session, terms: list[str], filters: embedded.Filters, *, limit: int, offset: int
    ) -> tuple[int, list[SearchDoc]]:
        return embedded.search(session, terms, filters, limit=limit, offset=offset)


class SearchUnavailable(Exception):
    """The search server did not answer; the caller falls back to the embedded index."""


@dataclass
class SearchRequest:
    q: str = ""
    kind: str = ""
    board: str = ""
    tag: str = ""
    status: str = ""
    author: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1


@dataclass
class Hit:
    kind: str
    url: str
    title: str
    title_html: Markup
    snippet_html: Markup
    created_at: datetime
    author: str | None = None
    board: str | None = None
    floor: int | None = None
    status: str | None = None
    case_id: int | None = None


@dataclass
class Results:
    request: SearchRequest
    terms: list[str] = field(default_factory=list)
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    message: str | None = None
    backend: str = "embedded"

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, math.ceil(self.total / PER_PAGE)))

    def grouped(self) -> dict[str, list[Hit]]:
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(hit.kind, []).append(hit)
        return groups


def _check(
    session: Session, request: SearchRequest, viewer: User | None
) -> tuple[list[str], embedded.Filters] | str:
    q = request.q.strip()
    if not q:
        return "请输入要搜索的内容"
    if len(q) > QUERY_MAX:
        return f"搜索词太长了，请控制在 {QUERY_MAX} 个字以内"
    terms = query_tokens(q)
    if len(q) < 2 or not terms or (len(terms) == 1 and len(terms[0]) < 2 and not terms[0].isdigit()):
        return "请至少输入两个字，例如“停车”“电梯”“7号楼”"
    if request.kind and request.kind not in set(DocKind):
        raise Invalid("未知的搜索类型", field="type")
    if request.sort not in ("relevance", "newest"):
        raise Invalid("未知的排序方式", field="sort")
    if request.status and request.status not in labels.CASE_STATUS:
        raise Invalid("未知的状态", field="status")
    if not 1 <= request.page <= MAX_PAGE:
        raise Invalid(f"页码须在 1–{MAX_PAGE} 之间", field="page")
    board_id = author_id = None
    if request.board:
        board = session.exec(select(Board).where(Board.slug == request.board)).first()
        if board is None:
            raise Invalid("未知的版块", field="board")
        board_id = board.id
    if request.tag and session.exec(select(Category.id).where(Category.slug == request.tag)).first() is None:
        raise Invalid("未知的分类", field="tag")
    if request.author:
        author = session.exec(select(User).where(User.username_key == request.author.strip().lower())).first()
        author_id = author.id if author else -1
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise Invalid("开始日期不能晚于结束日期", field="date_from")
    filters = embedded.Filters(
        kinds=[request.kind] if request.kind else [],
        board_id=board_id,
        tag=request.tag or None,
        status=request.status or None,
        author_id=author_id,
        since=datetime.combine(request.date_from, time(), SHANGHAI) if request.date_from else None,
        until=datetime.combine(request.date_to + timedelta(days=1), time(), SHANGHAI)
        if request.date_to
        else None,
        staff=can(viewer, Action.VIEW_CASE_QUEUE),
        sort=request.sort,
    )
    return terms, filters


def search(
    session: Session,
    *,
    backend: Backend,
    request: SearchRequest,
    viewer: User | None,
    url_for: Callable[..., str],
    per_page: int = PER_PAGE,
) -> Results:
    """Run a search for `viewer`. A query that cannot be searched comes back with a message."""
    checked = _check(session, request, viewer)
    if isinstance(checked, str):
        return Results(request, message=checked)
    terms, filters = checked
    message = None
    used = backend.name
    try:
        total, docs = backend.search(
            session, terms, filters, limit=per_page, offset=(request.page - 1) * per_page
        )
    except SearchUnavailable:
        total, docs = embedded.search(
            session, terms, filters, limit=per_page, offset=(request.page - 1) * per_page
        )
        message, used = "搜索服务暂时不可用，以下是本地索引的结果，可能不是最新的", "embedded"
    hits = _hydrate(session, docs, terms, url_for, staff=filters.staff)
    return Results(request, terms, total, hits, message, used)


def _hydrate(
    session: Session, docs: list[SearchDoc], terms: list[str], url_for: Callable[..., str], *, staff: bool
) -> list[Hit]:
    """Results from the database as it is now: whatever a stale index says, nothing hidden,
    deleted or private reaches a viewer who may not see it."""
    post_ids = [d.post_id for d in docs if d.post_id]
    posts = (
        {p.id: p for p in session.exec(select(Post).where(col(Post.id).in_(post_ids))).all()}
        if post_ids
        else {}
    )
    topic_ids = {p.topic_id for p in posts.values()}
    topics = (
        {t.id: t for t in session.exec(select(Topic).where(col(Topic.id).in_(topic_ids))).all()}
        if topic_ids
        else {}
    )
    boards = {b.id: b.name for b in session.exec(select(Board)).all()}
    case_ids = [d.case_id for d in docs if d.case_id]
    cases = (
        {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}
        if case_ids
        else {}
    )
    meeting_ids = [d.meeting_id for d in docs if d.meeting_id]
    meetings = set(session.exec(select(Meeting.id).where(col(Meeting.id).in_(meeting_ids))).all())
    author_ids = {d.author_id for d in docs if d.author_id}
    authors = (
        dict(session.exec(select(User.id, User.username).where(col(User.id).in_(author_ids))).all())
        if author_ids
        else {}
    )
    hits: list[Hit] = []
    for doc in docs:
        snippet = highlight(doc.body, terms, width=120)
        if doc.post_id:
            post = posts.get(doc.post_id)
            topic = topics.get(post.topic_id) if post else None
            if post is None or topic is None or not post.is_visible or not topic.is_visible:
                continue
            title = topic.title
            floor = post.floor
            url = url_for("boards:post", post_id=post.id)
            hits.append(
                Hit(
                    doc.kind,
                    url,
                    title,
                    highlight(title, terms),
                    snippet,
                    doc.created_at,
                    authors.get(doc.author_id),
                    boards.get(topic.board_id),
                    floor,
                )
            )  # type: ignore[arg-type]
        elif doc.case_id:
            case = cases.get(doc.case_id)
            if case is None or (case.is_private and not staff):
                continue
            hits.append(
                Hit(
                    doc.kind,
                    url_for("cases:case", case_id=case.id),
                    f"#{case.id} {case.title}",
                    Markup(f"#{case.id} ") + highlight(case.title, terms),
                    snippet,
                    doc.created_at,
                    status=case.status,
                    case_id=case.id,
                )
            )
        elif doc.meeting_id in meetings:
            hits.append(
                Hit(
                    doc.kind,
                    url_for("cases:meeting", meeting_id=doc.meeting_id),
                    doc.title,
                    highlight(doc.title, terms),
                    snippet,
                    doc.created_at,
                    authors.get(doc.author_id),
                )
            )
    return hits


def similar(
    session: Session,
    *,
    backend: Backend,
    title: str,
    viewer: User | None,
    url_for: Callable[..., str],
    limit: int = 6,
    kinds: Sequence[DocKind] = (DocKind.CASE, DocKind.TOPIC),
    statuses: Collection[str] | None = None,
    fewest: int | None = None,
) -> list[Hit]:
    """Cases and topics that look like the concern being typed (“类似的民情意见”): the title's words,
        any of them, best matches first. `statuses`: only cases in these (topics are kept). `fewest`:
    how few of the words, side by side, still make a suggestion (default: all but two)."""
    terms = [t for t in query_tokens(title) if len(t) >= 2][:6]
    if not terms:
        return []
    hits: list[Hit] = []
    seen: set[str] = set()
    # Try all the words together first, then fewer, until there are enough suggestions.
    for size in range(len(terms), 0, -1):
        for start in range(0, len(terms) - size + 1):
            subset = terms[start : start + size]
            filters = embedded.Filters(kinds=list(kinds), staff=can(viewer, Action.VIEW_CASE_QUEUE))
            try:
                _total, docs = backend.search(session, subset, filters, limit=limit, offset=0)
            except SearchUnavailable:
                _total, docs = embedded.search(session, subset, filters, limit=limit, offset=0)
            for hit in _hydrate(session, docs, terms, url_for, staff=filters.staff):
                if statuses is not None and hit.case_id is not None and hit.status not in statuses:
                    continue
                if hit.url not in seen:
                    seen.add(hit.url)
                    hits.append(hit)
            if len(hits) >= limit:
                return hits[:limit]
        if size <= (fewest if fewest is not None else max(1, len(terms) - 2)):
            break
    return hits[:limit]


# --- rebuilding -----------------------------------------------------------------------------------

REINDEX_KINDS = (("post", Post), ("case", Case), ("meeting", Meeting))


def reindex(
    session_factory: Callable[[], object],
    *,
    batch: int = 1000,
    outbox: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    restart: bool = False,
) -> int:
    """Rebuild the index from the database in batches, each its own transaction, resumable from the
    last checkpoint (search_state). Safe while the site is live: every batch rebuilds documents
    from the current rows, the same way a commit does."""
    done = 0
    for name, model in REINDEX_KINDS:
        with session_factory() as session:  # type: ignore[attr-defined]
            state = session.get(SearchState, f"reindex:{name}")
            start = 0 if restart or state is None else int(state.value or 0)
            total = session.exec(select(model.id).order_by(col(model.id).desc()).limit(1)).first() or 0  # type: ignore[attr-defined]
        last = start
        while True:
            with session_factory() as session:  # type: ignore[attr-defined]
                ids = list(
                    session.exec(
                        select(model.id)
                        .where(col(model.id) > last)  # type: ignore[attr-defined]
                        .order_by(col(model.id))
                        .limit(batch)
                    ).all()
                )  # type: ignore[attr-defined]
                if not ids:
                    session.merge(SearchState(name=f"reindex:{name}", value="0"))
                    break
                sync.write(session, [f"{name}:{i}" for i in ids], outbox=outbox)
                last = ids[-1]
                session.merge(SearchState(name=f"reindex:{name}", value=str(last)))
                done += len(ids)
            if progress:
                progress(name, last, total)
    return done
