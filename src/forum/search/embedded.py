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


def search(
    session: Session, terms: list[str], filters: Filters, *, limit: int, offset: int
) -> tuple[int, list[SearchDoc]]:
    """(matches, counted up to COUNT_CAP + 1; one page of documents) for documents with every term."""
    if session.get_bind().dialect.name == "sqlite":
        # The match runs first, inside FTS5 (a subquery, so the planner cannot start from
        # search_doc and probe FTS row by row), and yields bm25 as `rank`.
        matched = (
            select(literal_column("rowid").label("id"), literal_column("rank").label("rank"))
            .select_from(table("search_fts"))
            .where(text("search_fts MATCH :match").bindparams(match=_fts_match(terms)))
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
    total = session.exec(select(func.count()).select_from(base.limit(COUNT_CAP + 1).subquery())).one()
    if filters.sort == "newest":
        order = [col(SearchDoc.created_at).desc(), col(SearchDoc.id).desc()]
    else:
        order = [rank, col(SearchDoc.created_at).desc()]
    docs = list(session.exec(base.order_by(*order).limit(limit).offset(offset)).all())
    return total, docs


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
