"""JSON API for 征求意见: the same services and rules as the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from sqlmodel import Session

from forum.accounts.models import User
from forum.consultations import queries, service
from forum.consultations.models import (
    AnswerIn,
    AnswersIn,
    Consultation,
    ConsultationCreate,
    ConsultationDetail,
    ConsultationPublic,
    OptionPublic,
    OptionResult,
    QuestionPublic,
    QuestionResult,
    ResponseReceipt,
    ResultsPublic,
    ReviewCreate,
    SubjectResult,
)
from forum.consultations.service import AnswerDraft, QuestionDraft
from forum.routes.deps import ApiUser, SessionDep
from forum.timeutil import utcnow

router = APIRouter(prefix="/api/v1", tags=["consultations"])
ConsultationId = Annotated[int, Path(ge=1, le=2**62)]


def get_consultation_or_404(consultation_id: ConsultationId, session: SessionDep) -> Consultation:
    return service.get_consultation(session, consultation_id)


ConsultationDep = Annotated[Consultation, Depends(get_consultation_or_404)]


def _public(consultation: Consultation, user: User | None, count: int) -> ConsultationPublic:
    now = utcnow()
    return ConsultationPublic(
        **consultation.model_dump(
            include={
                "id",
                "title",
                "kind",
                "audience",
                "opens_at",
                "closes_at",
                "results_visible_before_close",
                "review_year",
                "notice_id",
                "created_at",
            }
        ),
        state=consultation.state(now),
        results_available=service.results_available(user, consultation, now),
        response_count=count,
    )


def _answer_out(draft: AnswerDraft) -> AnswerIn:
    return AnswerIn(
        question_id=draft.question_id, option_ids=draft.option_ids, rating=draft.rating, text=draft.text
    )


def _detail(session: Session, consultation: Consultation, user: User | None) -> ConsultationDetail:
    count = queries.response_counts(session, [consultation.id]).get(consultation.id, 0)  # type: ignore[list-item]
    mine = service.own_response(session, user=user, consultation=consultation)
    questions = [
        QuestionPublic(
            **v.question.model_dump(
                include={
                    "id",
                    "position",
                    "kind",
                    "prompt",
                    "required",
                    "max_choices",
                    "subject",
                    "criterion",
                }
            ),
            options=[OptionPublic(id=o.id, label=o.label) for o in v.options],  # type: ignore[arg-type]
        )
        for v in queries.questions(session, consultation)
    ]
    return ConsultationDetail(
        **_public(consultation, user, count).model_dump(),
        description=consultation.description,
        description_html=consultation.description_html,
        questions=questions,
        my_answers=[_answer_out(d) for d in queries.answers_of(session, mine).values()] if mine else None,
    )


@router.get("/consultations", response_model=list[ConsultationPublic])
def list_consultations(session: SessionDep, user: ApiUser) -> list[ConsultationPublic]:
    """Open consultations (soonest deadline first), then those not yet open, then recently closed."""
    listing = queries.listing(session, now=utcnow())
    rows = listing.open + listing.upcoming + listing.closed
    return [_public(r.consultation, user, r.response_count) for r in rows]


@router.post("/consultations", status_code=status.HTTP_201_CREATED, response_model=ConsultationDetail)
def create_consultation(data: ConsultationCreate, session: SessionDep, user: ApiUser) -> ConsultationDetail:
    """Staff publish a consultation with its questions (single, multiple with max_choices, rating,
    text)."""
    consultation = service.create_consultation(
        session,
        actor=user,
        title=data.title,
        description=data.description,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        audience=data.audience,
        results_visible_before_close=data.results_visible_before_close,
        notice_id=data.notice_id,
        questions=[QuestionDraft(**q.model_dump()) for q in data.questions],
    )
    return _detail(session, consultation, user)


@router.post("/consultations/reviews", status_code=status.HTTP_201_CREATED, response_model=ConsultationDetail)
def create_review(data: ReviewCreate, session: SessionDep, user: ApiUser) -> ConsultationDetail:
    """The yearly 民主评议 from the template (subjects × criteria ratings and a suggestion box)."""
    consultation = service.create_review(
        session,
        actor=user,
        year=data.year,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        subjects=data.subjects,
        criteria=data.criteria,
        audience=data.audience,
    )
    return _detail(session, consultation, user)


@router.get("/consultations/{consultation_id}", response_model=ConsultationDetail)
def get_consultation(consultation: ConsultationDep, session: SessionDep, user: ApiUser) -> ConsultationDetail:
    return _detail(session, consultation, user)


@router.post("/consultations/{consultation_id}/close", response_model=ConsultationDetail)
def close_consultation(
    consultation: ConsultationDep, session: SessionDep, user: ApiUser
) -> ConsultationDetail:
    service.close_early(session, actor=user, consultation=consultation)
    return _detail(session, consultation, user)


@router.post("/consultations/{consultation_id}/answers", response_model=ResponseReceipt)
def answer(
    consultation: ConsultationDep, data: AnswersIn, session: SessionDep, user: ApiUser, response: Response
) -> ResponseReceipt:
    """201 for a first answer, 200 when an earlier one is changed; 409 after the close or when the
    household already answered; 422 for an invalid answer (nothing is saved)."""
    submission = service.submit_answers(
        session,
        actor=user,
        consultation=consultation,
        answers=[AnswerDraft(**a.model_dump()) for a in data.answers],
    )
    response.status_code = status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK
    saved = submission.response
    return ResponseReceipt(
        response_id=saved.id,  # type: ignore[arg-type]
        created=submission.created,
        updated_at=saved.updated_at,
        answers=[_answer_out(d) for d in queries.answers_of(session, saved).values()],
    )


@router.get("/consultations/{consultation_id}/results", response_model=ResultsPublic)
def results(consultation: ConsultationDep, session: SessionDep, user: ApiUser) -> ResultsPublic:
    """403 before the close unless the consultation shows results early (staff always see them)."""
    now = utcnow()
    service.require_results(user, consultation, now)
    tally = queries.results(session, consultation)
    return ResultsPublic(
        consultation_id=consultation.id,  # type: ignore[arg-type]
        state=consultation.state(now),
        response_count=tally.response_count,
        questions=[
            QuestionResult(
                question_id=r.view.question.id,  # type: ignore[arg-type]
                kind=r.view.question.kind,
                prompt=r.view.question.prompt,
                subject=r.view.question.subject,
                criterion=r.view.question.criterion,
                answered=r.answered,
                options=[
                    OptionResult(
                        option_id=c.option.id, label=c.option.label, count=c.count, percent=c.percent
                    )  # type: ignore[arg-type]
                    for c in r.options
                ],
                average=r.average,
                distribution=r.distribution,
                texts=r.texts,
            )
            for r in tally.questions
        ],
        by_subject=[
            SubjectResult(subject=s.subject, average=s.average, criteria=s.criteria) for s in tally.by_subject
        ],
    )
