"""Read side of consultations: the list (open ones first, by deadline), questions with their
options, a person's earlier answers for the form, the tallied results (counts and percentages,
rating averages and distributions, anonymous texts, 民主评议 by subject), deadlines for feeds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.consultations.models import (
    CHOICE_KINDS,
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    QuestionKind,
)
from forum.consultations.service import AnswerDraft

CLOSED_SHOWN = 50
TEXTS_SHOWN = 500  # per question, newest first; the export has them all


@dataclass
class ListRow:
    consultation: Consultation
    state: str
    response_count: int


@dataclass
class Listing:
    open: list[ListRow]
    upcoming: list[ListRow]
    closed: list[ListRow]


def response_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(ConsultationResponse.consultation_id, func.count())
        .where(col(ConsultationResponse.consultation_id).in_(ids))
        .group_by(col(ConsultationResponse.consultation_id))
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def listing(session: Session, *, now: datetime) -> Listing:
    """Open consultations by deadline (soonest first), then the ones not yet open, then the most
    recently closed."""
    live = list(
        session.exec(
            select(Consultation)
            .where(col(Consultation.closes_at) > now)
            .order_by(col(Consultation.closes_at), col(Consultation.id))
        ).all()
    )
    closed = list(
        session.exec(
            select(Consultation)
            .where(col(Consultation.closes_at) <= now)
            .order_by(col(Consultation.closes_at).desc(), col(Consultation.id).desc())
            .limit(CLOSED_SHOWN)
        ).all()
    )
    counts = response_counts(session, [c.id for c in live + closed])  # type: ignore[misc]

    def row(c: Consultation) -> ListRow:
        return ListRow(c, c.state(now), counts.get(c.id, 0))  # type: ignore[arg-type]

    return Listing(
        open=[row(c) for c in live if c.state(now) == "open"],
        upcoming=[row(c) for c in live if c.state(now) == "upcoming"],
        closed=[row(c) for c in closed],
    )


def upcoming_deadlines(session: Session, now: datetime, limit: int = 50) -> list[Consultation]:
    """Open consultations, soonest deadline first (for feeds and calendars: `closes_at`)."""
    return list(
        session.exec(
            select(Consultation)
            .where(col(Consultation.opens_at) <= now, col(Consultation.closes_at) > now)
            .order_by(col(Consultation.closes_at), col(Consultation.id))
            .limit(limit)
        ).all()
    )


@dataclass
class QuestionView:
    question: ConsultationQuestion
    number: int
    options: list[ConsultationOption]


def questions(session: Session, consultation: Consultation) -> list[QuestionView]:
    """The questions in order, each with its options (two queries)."""
    found = list(
        session.exec(
            select(ConsultationQuestion)
            .where(ConsultationQuestion.consultation_id == consultation.id)
            .order_by(col(ConsultationQuestion.position))
        ).all()
    )
    options: dict[int, list[ConsultationOption]] = defaultdict(list)
    if found:
        for option in session.exec(
            select(ConsultationOption)
            .where(col(ConsultationOption.question_id).in_([q.id for q in found]))
            .order_by(col(ConsultationOption.question_id), col(ConsultationOption.position))
        ).all():
            options[option.question_id].append(option)
    return [QuestionView(q, n, options.get(q.id, [])) for n, q in enumerate(found, 1)]  # type: ignore[arg-type]


def answers_of(session: Session, response: ConsultationResponse | None) -> dict[int, AnswerDraft]:
    """A response's answers by question id, to prefill the form or echo through the API."""
    if response is None:
        return {}
    drafts: dict[int, AnswerDraft] = {}
    for row in session.exec(
        select(ConsultationAnswer)
        .where(ConsultationAnswer.response_id == response.id)
        .order_by(col(ConsultationAnswer.id))
    ).all():
        draft = drafts.setdefault(row.question_id, AnswerDraft(row.question_id))
        if row.option_id is not None:
            draft.option_ids.append(row.option_id)
        if row.rating is not None:
            draft.rating = row.rating
        if row.text is not None:
            draft.text = row.text
    return drafts


# --- results -------------------------------------------------------------------------------------


@dataclass
class OptionCount:
    option: ConsultationOption
    count: int
    percent: float  # of the people who answered the question


@dataclass
class QuestionResults:
    view: QuestionView
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    average: float | None = None
    distribution: dict[int, int] = field(default_factory=dict)  # rating -> count, 5 down to 1
    texts: list[str] = field(default_factory=list)
    text_count: int = 0


@dataclass
class SubjectRow:
    subject: str
    average: float | None
    criteria: dict[str, float | None]


@dataclass
class Results:
    consultation: Consultation
    response_count: int
    questions: list[QuestionResults]
    criteria: list[str]
    by_subject: list[SubjectRow]


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def results(session: Session, consultation: Consultation) -> Results:
    """Every question tallied with a handful of grouped queries, whatever the number of answers."""
    views = questions(session, consultation)
    ids = [v.question.id for v in views]
    in_consultation = col(ConsultationAnswer.question_id).in_(ids) if ids else col(ConsultationAnswer.id) < 0
    answered = dict(
        session.exec(
            select(ConsultationAnswer.question_id, func.count(func.distinct(ConsultationAnswer.response_id)))
            .where(in_consultation)
            .group_by(col(ConsultationAnswer.question_id))
        ).all()
    )
    option_counts = dict(
        session.exec(
            select(ConsultationAnswer.option_id, func.count())
            .where(in_consultation, col(ConsultationAnswer.option_id).is_not(None))
            .group_by(col(ConsultationAnswer.option_id))
        ).all()
    )
    ratings: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, rating, count in session.exec(
        select(ConsultationAnswer.question_id, ConsultationAnswer.rating, func.count())
        .where(in_consultation, col(ConsultationAnswer.rating).is_not(None))
        .group_by(col(ConsultationAnswer.question_id), col(ConsultationAnswer.rating))
    ).all():
        if rating is not None:
            ratings[question_id][rating] = count
    text_ids = [v.question.id for v in views if v.question.kind == QuestionKind.TEXT]
    texts: dict[int, list[str]] = defaultdict(list)
    for text_question in text_ids:
        texts[text_question] = list(  # type: ignore[index]
            session.exec(
                select(ConsultationAnswer.text)
                .where(
                    ConsultationAnswer.question_id == text_question, col(ConsultationAnswer.text).is_not(None)
                )
                .order_by(col(ConsultationAnswer.id).desc())
                .limit(TEXTS_SHOWN)
            ).all()
        )
    tallied = []
    for view in views:
        q = view.question
        total = answered.get(q.id, 0)  # type: ignore[call-overload]
        result = QuestionResults(view, total)
        if q.kind in CHOICE_KINDS:
            result.options = [
                OptionCount(o, option_counts.get(o.id, 0), _percent(option_counts.get(o.id, 0), total))  # type: ignore[call-overload]
                for o in view.options
            ]
        elif q.kind == QuestionKind.RATING:
            dist = ratings.get(q.id, {})  # type: ignore[call-overload]
            result.distribution = {r: dist.get(r, 0) for r in range(5, 0, -1)}
            n = sum(dist.values())
            result.average = round(sum(r * c for r, c in dist.items()) / n, 2) if n else None
        else:
            result.texts = texts.get(q.id, [])  # type: ignore[call-overload]
            result.text_count = total
        tallied.append(result)
    criteria, by_subject = _by_subject(tallied)
    count = response_counts(session, [consultation.id]).get(consultation.id, 0)  # type: ignore[list-item, call-overload]
    return Results(consultation, count, tallied, criteria, by_subject)


def _by_subject(tallied: list[QuestionResults]) -> tuple[list[str], list[SubjectRow]]:
    """民主评议: a subject × criterion table of rating averages, and each subject's overall average
    (of all its ratings, not of the criterion averages)."""
    criteria: list[str] = []
    rows: dict[str, SubjectRow] = {}
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in tallied:
        q = result.view.question
        if q.kind != QuestionKind.RATING or not q.subject:
            continue
        criterion = q.criterion or q.prompt
        if criterion not in criteria:
            criteria.append(criterion)
        row = rows.setdefault(q.subject, SubjectRow(q.subject, None, {}))
        row.criteria[criterion] = result.average
        sums[q.subject][0] += sum(r * c for r, c in result.distribution.items())
        sums[q.subject][1] += sum(result.distribution.values())
    for subject, row in rows.items():
        total, n = sums[subject]
        row.average = round(total / n, 2) if n else None
    return criteria, list(rows.values())
