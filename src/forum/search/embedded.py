"""Searching the embedded index: SQLite FTS5 (bm25) or PostgreSQL's GIN-indexed tsvector
(ts_rank), with the same filters, over the same segmented tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, table, text
from sqlmodel import Session, col, select

from forum.search.models import Audience, SearchDoc


@dataclass
class Filters:
    kinds: list[str]
    board_id: int | None = None
    tag: str | None = None
    status: str | None = None
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    staff: bool = False
    sort: str = "relevance"  # or "newest"


def _fts_match(terms: list[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _tsquery(terms: list[str]) -> str:
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


COUNT_CAP = 1000  # "1000+": counting every match of a common word costs more than it tells
RANK_WINDOW = 2000


def search(
    session: Session, terms: list[str], filters: Filters, *, limit: int, offset: int
) -> tuple[int, list[SearchDoc]]:
    """(matches, counted up to COUNT_CAP + 1; one page of documents) for documents with every term."""
    if session.get_bind().dialect.name == "sqlite":
        # The match runs first, inside FTS5 (a subquery, so the planner cannot start from
        # search_doc and probe FTS row by row), and yields bm25 as `rank`.
        # Ranking every match of a common word ("社区" is in a third of a million posts) takes seconds:
        # FTS5 walks the matches newest first and stops after RANK_WINDOW, and only those are
        # ranked. So results are the best of the most recent RANK_WINDOW matches.
        matched = (
            select(literal_column("rowid").label("id"), literal_column("rank").label("rank"))
            .select_from(table("search_fts"))
            .where(text("search_fts MATCH :match").bindparams(match=_fts_match(terms)))
            .order_by(literal_column("rowid").desc())
            .limit(RANK_WINDOW)
            .subquery("matched")
        )
        base = select(SearchDoc).join(matched, matched.c.id == SearchDoc.id)
        rank: Any = matched.c.rank  # lower is better
    else:
        vector = func.array_to_tsvector(func.string_to_array(SearchDoc.tokens, " "))
        query = text("CAST(:tsq AS tsquery)").bindparams(tsq=_tsquery(terms))
        base = select(SearchDoc).where(vector.op("@@")(query))
        rank = -func.ts_rank(vector, query)
    base = _filtered(base, filters)
    if filters.sort == "newest":
        order = [col(SearchDoc.created_at).desc(), col(SearchDoc.id).desc()]
    else:
        order = [rank, col(SearchDoc.created_at).desc()]
    # One pass: the ids of the first COUNT_CAP + 1 matches in order give both the count and the
    # page (pages stop at 50 × 20 = 1000); then only the page's rows are loaded.
    ids = list(
        session.exec(base.with_only_columns(col(SearchDoc.id)).order_by(*order).limit(COUNT_CAP + 1)).all()
    )
    page = ids[offset : offset + limit]
    rows = (
        {d.id: d for d in session.exec(select(SearchDoc).where(col(SearchDoc.id).in_(page))).all()}
        if page
        else {}
    )
    return len(ids), [rows[i] for i in page if i in rows]


def _filtered(query: Any, f: Filters) -> Any:
    if not f.staff:
        query = query.where(SearchDoc.audience == Audience.PUBLIC)
    if f.kinds:
        query = query.where(col(SearchDoc.kind).in_(f.kinds))
    if f.board_id is not None:
        query = query.where(SearchDoc.board_id == f.board_id)
    if f.tag:
        query = query.where(col(SearchDoc.tags).contains(f" {f.tag} "))
    if f.status:
        query = query.where(SearchDoc.status == f.status)
    if f.author_id is not None:
        query = query.where(SearchDoc.author_id == f.author_id)
    if f.since is not None:
        query = query.where(col(SearchDoc.created_at) >= f.since)
    if f.until is not None:
        query = query.where(col(SearchDoc.created_at) < f.until)
    return query
