"""征求意见 pages: the list, a consultation with its answer form, the results with charts, the
staff forms (a consultation with its questions, the yearly 民主评议), closing early, and the
XLSX / CSV exports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from forum import labels
from forum.consultations import charts, export, queries, service
from forum.consultations.models import (
    CHOICE_KINDS,
    QUESTIONS_MAX,
    Audience,
    Consultation,
    ConsultationKind,
    QuestionKind,
)
from forum.consultations.service import AnswerDraft, QuestionDraft
from forum.errors import DomainError, Invalid
from forum.policy import Action, require
from forum.routes.deps import SessionDep, Viewer, verify_csrf
from forum.templating import Page, PageDep
from forum.timeutil import SHANGHAI, utcnow

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str, Form(max_length=200)]
BLANK_QUESTIONS = 3


def get_consultation_or_404(consultation_id: Id, session: SessionDep) -> Consultation:
    return service.get_consultation(session, consultation_id)


ConsultationDep = Annotated[Consultation, Depends(get_consultation_or_404)]


async def posted_form(request: Request) -> FormData:
    """The whole posted form, for fields named after questions (q12, q0_prompt …)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


@router.get("/consultations", name="consultations:list")
def list_page(page: PageDep) -> Response:
    now = utcnow()
    return page.render(
        "consultations/list.html",
        listing=queries.listing(page.session, now=now),
        staff=service.is_staff(page.user),
        now=now,
    )


# --- the staff form ------------------------------------------------------------------------------


def _when(value: str, field: str, label: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{label}格式应为 2026-03-01T18:00", field=field) from None


def _blank_question(index: int) -> dict[str, object]:
    return {"index": index, "kind": "single", "prompt": "", "options": "", "max": "", "required": True}


def _typed_questions(form: FormData, count: int) -> list[dict[str, object]]:
    """The question fieldsets as typed, to show again if the form comes back."""
    return [
        {
            "index": i,
            **{
                name: str(form.get(f"q{i}_{name}", ""))[:4000]
                for name in ("kind", "prompt", "options", "max")
            },
            "required": form.get(f"q{i}_required") is not None,
        }
        for i in range(count)
    ]


def _question_drafts(typed: list[dict[str, object]]) -> list[QuestionDraft]:
    """Typed fieldsets -> drafts, one option a line; blank fieldsets are skipped."""
    drafts: list[QuestionDraft] = []
    for field in typed:
        kind, prompt, options_text = str(field["kind"]), str(field["prompt"]), str(field["options"])
        if not prompt.strip() and not options_text.strip():
            continue
        options = [line for line in (o.strip() for o in options_text.splitlines()) if line]
        if kind not in CHOICE_KINDS:
            options = []  # a leftover from before the type was changed
        max_text = str(field["max"]).strip()
        if max_text and not max_text.isdigit():
            raise Invalid(f"第 {len(drafts) + 1} 题的“最多选几项”请填数字", field="questions")
        drafts.append(
            QuestionDraft(
                kind=kind,
                prompt=prompt,
                options=options,
                max_choices=int(max_text) if max_text and kind == QuestionKind.MULTIPLE else None,
                required=bool(field["required"]),
            )
        )
    return drafts


def _new_form(
    page: Page, *, draft: dict[str, object], status_code: int = 200, error: DomainError | None = None
) -> Response:
    require(page.user, Action.MANAGE_CONSULTATIONS)
    return page.render(
        "consultations/new.html",
        status_code=status_code,
        draft=draft,
        error=error,
        kinds=labels.QUESTION_KIND,
        max_questions=QUESTIONS_MAX,
    )


@router.get("/consultations/new", name="consultations:new")
def new_form(page: PageDep) -> Response:
    draft: dict[str, object] = {
        "audience": Audience.MEMBER,
        "questions": [_blank_question(i) for i in range(BLANK_QUESTIONS)],
    }
    return _new_form(page, draft=draft)


@router.get("/consultations/new/question", name="consultations:question_fragment")
def question_fragment(page: PageDep, index: Annotated[int, Query(ge=0, le=QUESTIONS_MAX)]) -> Response:
    """One more blank question fieldset (htmx: 添加更多问题)."""
    require(page.user, Action.MANAGE_CONSULTATIONS)
    if index >= QUESTIONS_MAX:
        raise Invalid(f"问题不能超过 {QUESTIONS_MAX} 个")
    return page.render(
        "consultations/_question_fields.html",
        q=_blank_question(index),
        kinds=labels.QUESTION_KIND,
        next_index=index + 1,
        max_questions=QUESTIONS_MAX,
        oob=True,
    )


@router.post("/consultations/new", name="consultations:create")
def create(
    page: PageDep,
    form: PostedForm,
    title: Short = "",
    description: Annotated[str, Form(max_length=10000)] = "",
    opens_at: Short = "",
    closes_at: Short = "",
    audience: Short = Audience.MEMBER,
    results_visible_before_close: Annotated[bool, Form()] = False,
    question_count: Annotated[int, Form(ge=1, le=QUESTIONS_MAX)] = BLANK_QUESTIONS,
    add_question: Short = "",
) -> Response:
    """Publish a consultation; “添加更多问题” without JavaScript posts here too and gets the form
    back with one more blank question."""
    require(page.user, Action.MANAGE_CONSULTATIONS)
    draft: dict[str, object] = {
        "title": title,
        "description": description,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "audience": audience,
        "results_visible_before_close": results_visible_before_close,
    }
    typed = _typed_questions(form, question_count)
    draft["questions"] = typed
    if add_question:
        if len(typed) < QUESTIONS_MAX:
            typed.append(_blank_question(len(typed)))
        return _new_form(page, draft=draft)

    def publish() -> Consultation:
        closes = _when(closes_at, "closes_at", "截止时间")
        if closes is None:
            raise Invalid("请填写截止时间", field="closes_at")
        return service.create_consultation(
            page.session,
            actor=page.user,
            questions=_question_drafts(typed),
            title=title,
            description=description,
            opens_at=_when(opens_at, "opens_at", "开始时间"),
            closes_at=closes,
            audience=audience,
            results_visible_before_close=results_visible_before_close,
        )

    done = page.attempt(
        publish, lambda error, status: _new_form(page, draft=draft, status_code=status, error=error)
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(
        str(page.request.url_for("consultations:detail", consultation_id=done.id)), status_code=303
    )


# --- 民主评议 -------------------------------------------------------------------------------------


def _review_form(
    page: Page, *, draft: dict[str, object], status_code: int = 200, error: DomainError | None = None
) -> Response:
    require(page.user, Action.MANAGE_CONSULTATIONS)
    return page.render(
        "consultations/review_new.html",
        status_code=status_code,
        draft=draft,
        error=error,
        subjects=service.review_subjects(page.session),
    )


@router.get("/consultations/review/new", name="consultations:review_new")
def review_form(page: PageDep) -> Response:
    year = utcnow().astimezone(SHANGHAI).year - 1
    return _review_form(
        page,
        draft={
            "year": year,
            "chosen": service.review_subjects(page.session),
            "criteria": "\n".join(service.REVIEW_CRITERIA),
            "audience": Audience.HOUSEHOLD,
        },
    )


@router.post("/consultations/review/new", name="consultations:review_create")
def review_create(
    page: PageDep,
    year: Annotated[int, Form(ge=2000, le=2100)],
    subjects: Annotated[list[str], Form(max_length=40)] = [],  # noqa: B006
    criteria: Annotated[str, Form(max_length=1000)] = "",
    opens_at: Short = "",
    closes_at: Short = "",
    audience: Short = Audience.HOUSEHOLD,
) -> Response:
    draft: dict[str, object] = {
        "year": year,
        "chosen": subjects,
        "criteria": criteria,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "audience": audience,
    }

    def publish() -> Consultation:
        closes = _when(closes_at, "closes_at", "截止时间")
        if closes is None:
            raise Invalid("请填写截止时间", field="closes_at")
        if any(len(s) > 40 for s in subjects):
            raise Invalid("评议对象名称过长", field="subjects")
        if not subjects:
            raise Invalid("请至少选择一个评议对象", field="subjects")
        return service.create_review(
            page.session,
            actor=page.user,
            year=year,
            opens_at=_when(opens_at, "opens_at", "开始时间"),
            closes_at=closes,
            subjects=subjects,
            criteria=[c.strip() for c in criteria.splitlines() if c.strip()],
            audience=audience,
        )

    done = page.attempt(
        publish, lambda error, status: _review_form(page, draft=draft, status_code=status, error=error)
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(
        str(page.request.url_for("consultations:detail", consultation_id=done.id)), status_code=303
    )


# --- answering -----------------------------------------------------------------------------------


def _detail(
    page: Page,
    consultation: Consultation,
    *,
    status_code: int = 200,
    error: DomainError | None = None,
    typed: dict[int, AnswerDraft] | None = None,
    saved: str = "",
) -> Response:
    standing = service.standing(page.session, user=page.user, consultation=consultation)
    answers = typed if typed is not None else queries.answers_of(page.session, standing.response)
    now = utcnow()
    return page.render(
        "consultations/detail.html",
        status_code=status_code,
        consultation=consultation,
        state=consultation.state(now),
        views=queries.questions(page.session, consultation),
        standing=standing,
        answers=answers,
        error=error,
        saved=saved,
        staff=service.is_staff(page.user),
        results_open=service.results_available(page.user, consultation, now),
        response_count=queries.response_counts(page.session, [consultation.id]).get(consultation.id, 0),  # type: ignore[list-item]
    )


@router.get("/consultations/{consultation_id}", name="consultations:detail")
def detail(
    page: PageDep, consultation: ConsultationDep, saved: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    return _detail(page, consultation, saved=saved)


def _answer_drafts(form: FormData, views: list[queries.QuestionView]) -> dict[int, AnswerDraft]:
    """Form fields q<question id> -> answers; a field that is not a number is a stale or forged
    form and is refused like an unknown option."""
    drafts: dict[int, AnswerDraft] = {}
    for view in views:
        q = view.question
        values = [str(v).strip() for v in form.getlist(f"q{q.id}")][: len(view.options) + 1]
        values = [v for v in values if v]
        if not values:
            continue
        draft = AnswerDraft(q.id)  # type: ignore[arg-type]
        if q.kind == QuestionKind.TEXT:
            draft.text = values[0][:20000]
        else:
            if not all(re.fullmatch(r"\d{1,12}", v) for v in values):
                raise Invalid(f"第 {view.number} 题：选项无效，请刷新页面后重试", field=f"q{q.id}")
            if q.kind == QuestionKind.RATING:
                draft.rating = int(values[0])
                if len(values) > 1:
                    raise Invalid(f"第 {view.number} 题只能打一个分", field=f"q{q.id}")
            else:
                draft.option_ids = [int(v) for v in values]
        drafts[q.id] = draft  # type: ignore[index]
    return drafts


@router.post("/consultations/{consultation_id}/answers", name="consultations:answer")
def answer(page: PageDep, consultation: ConsultationDep, form: PostedForm) -> Response:
    """Submit or change one's answers; a refusal shows the form again with what was chosen."""
    views = queries.questions(page.session, consultation)
    typed: dict[int, AnswerDraft] = {}

    def submit() -> service.Submission:
        typed.update(_answer_drafts(form, views))
        return service.submit_answers(
            page.session, actor=page.user, consultation=consultation, answers=list(typed.values())
        )

    done = page.attempt(
        submit,
        lambda error, status: _detail(page, consultation, status_code=status, error=error, typed=typed),
    )
    if isinstance(done, Response):
        return done
    url = page.request.url_for("consultations:detail", consultation_id=consultation.id)
    return RedirectResponse(f"{url}?saved={'new' if done.created else 'changed'}#answer", status_code=303)


@router.post("/consultations/{consultation_id}/close", name="consultations:close")
def close(page: PageDep, consultation: ConsultationDep) -> Response:
    service.close_early(page.session, actor=page.user, consultation=consultation)
    return RedirectResponse(
        str(page.request.url_for("consultations:results", consultation_id=consultation.id)), status_code=303
    )


# --- results and exports -------------------------------------------------------------------------


@router.get("/consultations/{consultation_id}/results", name="consultations:results")
def results(page: PageDep, consultation: ConsultationDep) -> Response:
    now = utcnow()
    service.require_results(page.user, consultation, now)
    tally = queries.results(page.session, consultation)
    chart_of = {}
    for r in tally.questions:
        if r.view.question.kind in CHOICE_KINDS:
            chart_of[r.view.question.id] = charts.option_chart(r)
        elif r.view.question.kind == QuestionKind.RATING:
            chart_of[r.view.question.id] = charts.rating_chart(r)
    return page.render(
        "consultations/results.html",
        consultation=consultation,
        state=consultation.state(now),
        results=tally,
        chart_of=chart_of,
        subject_chart=charts.subject_chart(tally.by_subject) if tally.by_subject else None,
        staff=service.is_staff(page.user),
        is_review=consultation.kind == ConsultationKind.REVIEW,
    )


def _filename(consultation: Consultation, ext: str) -> str:
    return f"consultation-{consultation.id}-{utcnow().astimezone(SHANGHAI):%Y%m%d}.{ext}"


@router.get("/consultations/{consultation_id}/export.csv", name="consultations:export_csv")
def export_csv(session: SessionDep, user: Viewer, consultation: ConsultationDep) -> Response:
    require(user, Action.MANAGE_CONSULTATIONS)
    return Response(
        export.export_csv(session, consultation),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(consultation, "csv")}"'},
    )


@router.get("/consultations/{consultation_id}/export.xlsx", name="consultations:export_xlsx")
def export_xlsx(session: SessionDep, user: Viewer, consultation: ConsultationDep) -> Response:
    require(user, Action.MANAGE_CONSULTATIONS)
    return Response(
        export.export_xlsx(session, consultation, queries.results(session, consultation)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(consultation, "xlsx")}"'},
    )
