"""Searching the embedded index: SQLite FTS5 (bm25) or PostgreSQL's GIN-indexed tsvector
(ts_rank), with the same filters, over the same segmented tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import column, func, literal_column, table, text
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


def search(
    session: Session, terms: list[str], filters: Filters, *, limit: int, offset: int
) -> tuple[int, list[SearchDoc]]:
    """(total matches, one page of documents) for documents containing every term."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = table("search_fts", column("rowid"))
        base = (
            select(SearchDoc)
            .join(fts, fts.c.rowid == SearchDoc.id)
            .where(text("search_fts MATCH :match").bindparams(match=_fts_match(terms)))
        )
        rank: Any = func.bm25(literal_column("search_fts"))  # lower is better
    else:
        vector = func.array_to_tsvector(func.string_to_array(SearchDoc.tokens, " "))
        query = text("CAST(:tsq AS tsquery)").bindparams(tsq=_tsquery(terms))
        base = select(SearchDoc).where(vector.op("@@")(query))
        rank = -func.ts_rank(vector, query)
    base = _filtered(base, filters)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    order = (
        [col(SearchDoc.created_at).desc(), col(SearchDoc.id).desc()]
        if filters.sort == "newest"
        else [rank, col(SearchDoc.created_at).desc()]
    )
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
