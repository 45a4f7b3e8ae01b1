"""征求意见 rules: staff create a consultation (or a yearly 民主评议 from the template) and may close
it early; residents answer once — one response per resident, or per verified household — and may
change it until the close. Every answer is checked before anything is written, so a refusal saves
nothing. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.accounts.models import Household, HouseholdStatus, User
from forum.boards import markup
from forum.boards.service import clean_text
from forum.cases.models import Unit
from forum.consultations.models import (
    CHOICE_KINDS,
    CRITERION_MAX,
    DESCRIPTION_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PROMPT_MAX,
    QUESTIONS_MAX,
    SUBJECT_MAX,
    TEXT_ANSWER_MAX,
    TITLE_MAX,
    Audience,
    Consultation,
    ConsultationAnswer,
    ConsultationKind,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    QuestionKind,
)
from forum.errors import Conflict, Invalid, NotFound, NotPermitted
from forum.guards import service as guards
from forum.mail import service as mail
from forum.policy import Action, can, require
from forum.timeutil import SHANGHAI, utcnow

RATING_MIN, RATING_MAX = 1, 5
LONGEST_RUN = timedelta(days=366)
REVIEW_SUBJECTS = ("社区居委会", "物业公司")
REVIEW_CRITERIA = ("服务态度", "办事效率", "公开透明", "解决问题")


@dataclass
class QuestionDraft:
    """A question as typed into the staff form or sent to the API, before validation."""

    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)
    max_choices: int | None = None
    required: bool = True
    subject: str = ""
    criterion: str = ""


@dataclass
class AnswerDraft:
    """One question's answer as submitted: chosen option ids, a rating, or a text."""

    question_id: int
    option_ids: list[int] = field(default_factory=list)
    rating: int | None = None
    text: str | None = None


@dataclass
class AnswerRow:
    """One validated answer row, ready to be written under a response."""

    question_id: int
    option_id: int | None = None
    rating: int | None = None
    text: str | None = None


@dataclass
class Submission:
    response: ConsultationResponse
    created: bool  # False: an earlier answer was changed


# --- reading -------------------------------------------------------------------------------------


def get_consultation(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("征求意见不存在")
    return consultation


def is_staff(user: User | None) -> bool:
    return can(user, Action.MANAGE_CONSULTATIONS)


def results_available(user: User | None, consultation: Consultation, now: datetime | None = None) -> bool:
    """Staff always; everyone else after the close, or before it if the consultation says so."""
    now = now or utcnow()
    if is_staff(user):
        return True
    if consultation.state(now) == "closed":
        return True
    return consultation.results_visible_before_close and consultation.state(now) == "open"


def require_results(user: User | None, consultation: Consultation, now: datetime | None = None) -> None:
    if not results_available(user, consultation, now):
        raise NotPermitted(
            f"结果将在征求意见截止（{consultation.closes_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}）后公布"
        )


def household_key(household: Household) -> str:
    """楼号|单元|门牌 with the usual suffixes dropped, so “7号楼 2单元 301室” and “7 2 301” match."""

    def part(value: str, suffixes: str) -> str:
        value = unicodedata.normalize("NFKC", value).strip().lower()
        return re.sub(f"({suffixes})$", "", value) or value

    return "|".join(
        [
            part(household.building, "号楼|栋|幢|楼|号"),
            part(household.unit, "单元|门"),
            part(household.room, "室|号"),
        ]
    )[:40]


def approved_household(session: Session, user: User) -> Household | None:
    household = session.exec(select(Household).where(Household.user_id == user.id)).first()
    return household if household is not None and household.status == HouseholdStatus.APPROVED else None


def own_response(
    session: Session, *, user: User | None, consultation: Consultation
) -> ConsultationResponse | None:
    """The response this user gave (or, per household, the one their household gave)."""
    if user is None:
        return None
    mine = session.exec(
        select(ConsultationResponse).where(
            ConsultationResponse.consultation_id == consultation.id, ConsultationResponse.user_id == user.id
        )
    ).first()
    if mine is not None or consultation.audience != Audience.HOUSEHOLD:
        return mine
    household = approved_household(session, user)
    if household is None:
        return None
    return session.exec(
        select(ConsultationResponse).where(
            ConsultationResponse.consultation_id == consultation.id,
            ConsultationResponse.household_key == household_key(household),
        )
    ).first()


@dataclass
class Standing:
    """Where a person stands with a consultation: whether they may answer now, and why not."""

    can_answer: bool
    reason: str
    response: ConsultationResponse | None


def standing(session: Session, *, user: User | None, consultation: Consultation) -> Standing:
    now = utcnow()
    response = own_response(session, user=user, consultation=consultation)
    try:
        _check_may_answer(session, user, consultation, now)
        if response is not None and user is not None and response.user_id != user.id:
            raise Conflict(_HOUSEHOLD_DONE)
    except (Conflict, NotPermitted) as refusal:
        return Standing(False, refusal.message, response)
    if user is None:
        return Standing(False, "登录后即可参与", response)
    return Standing(True, "", response)


# --- creating ------------------------------------------------------------------------------------


def _aware(value: datetime, field_name: str) -> datetime:
    """A time typed without a zone is community time (Asia/Shanghai)."""
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def _clean_line(value: str, *, limit: int, label: str, field_name: str, required: bool = True) -> str:
    value = re.sub(r"\s+", " ", clean_text(value or ""))
    if required and not value:
        raise Invalid(f"请填写{label}", field=field_name)
    if len(value) > limit:
        raise Invalid(f"{label}不能超过 {limit} 个字", field=field_name)
    return value


def _clean_questions(drafts: Sequence[QuestionDraft]) -> list[tuple[QuestionDraft, list[str]]]:
    if not drafts:
        raise Invalid("至少需要一个问题", field="questions")
    if len(drafts) > QUESTIONS_MAX:
        raise Invalid(f"问题不能超过 {QUESTIONS_MAX} 个", field="questions")
    cleaned = []
    for n, draft in enumerate(drafts, 1):
        where = f"第 {n} 题"
        try:
            kind = QuestionKind(draft.kind)
        except ValueError:
            raise Invalid(f"{where}：未知的题型", field="questions") from None
        prompt = _clean_line(draft.prompt, limit=PROMPT_MAX, label=f"{where}的题目", field_name="questions")
        subject = _clean_line(
            draft.subject,
            limit=SUBJECT_MAX,
            label=f"{where}的评议对象",
            field_name="questions",
            required=False,
        )
        criterion = _clean_line(
            draft.criterion,
            limit=CRITERION_MAX,
            label=f"{where}的评议内容",
            field_name="questions",
            required=False,
        )
        options = [
            _clean_line(o, limit=OPTION_MAX, label=f"{where}的选项", field_name="questions")
            for o in draft.options
        ]
        max_choices = draft.max_choices
        if kind in CHOICE_KINDS:
            if len(options) < 2:
                raise Invalid(f"{where}：选择题至少需要两个选项", field="questions")
            if len(options) > OPTIONS_MAX:
                raise Invalid(f"{where}：选项不能超过 {OPTIONS_MAX} 个", field="questions")
            if len(set(options)) != len(options):
                raise Invalid(f"{where}：选项不能重复", field="questions")
            if kind == QuestionKind.SINGLE:
                max_choices = None
            elif max_choices is not None and not 1 <= max_choices <= len(options):
                raise Invalid(f"{where}：最多可选项数须在 1–{len(options)} 之间", field="questions")
        else:
            if options:
                raise Invalid(f"{where}：评分题和文字题不需要选项", field="questions")
            max_choices = None
        cleaned.append(
            (
                QuestionDraft(kind, prompt, options, max_choices, bool(draft.required), subject, criterion),
                options,
            )
        )
    return cleaned


def create_consultation(
    session: Session,
    *,
    actor: User | None,
    title: str,
    description: str = "",
    closes_at: datetime,
    opens_at: datetime | None = None,
    audience: Audience | str = Audience.MEMBER,
    results_visible_before_close: bool = False,
    questions: Sequence[QuestionDraft],
    kind: ConsultationKind | str = ConsultationKind.ORDINARY,
    review_year: int | None = None,
    notice_id: int | None = None,
) -> Consultation:
    """Publish a consultation with its questions (staff only). Opens now unless `opens_at` says
    later; answers are taken until `closes_at`."""
    staff = require(actor, Action.MANAGE_CONSULTATIONS)
    title = _clean_line(title, limit=TITLE_MAX, label="标题", field_name="title")
    description = clean_text(description or "")
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(f"说明不能超过 {DESCRIPTION_MAX} 个字", field="description")
    screened = guards.screen(session, {"title": title, "description": description}, allow_hold=False)
    title, description = screened.texts["title"], screened.texts["description"]
    now = utcnow()
    opens = _aware(opens_at, "opens_at") if opens_at is not None else now
    closes = _aware(closes_at, "closes_at")
    if closes <= now:
        raise Invalid("截止时间必须晚于现在", field="closes_at")
    if closes <= opens:
        raise Invalid("截止时间必须晚于开始时间", field="closes_at")
    if closes - opens > LONGEST_RUN:
        raise Invalid("征求意见的时间不能超过一年", field="closes_at")
    if opens < now - timedelta(days=1):
        raise Invalid("开始时间不能早于今天", field="opens_at")
    try:
        audience = Audience(audience)
    except ValueError:
        raise Invalid("未知的参与方式", field="audience") from None
    try:
        kind = ConsultationKind(kind)
    except ValueError:
        raise Invalid("未知的征求意见类型", field="kind") from None
    cleaned = _clean_questions(questions)
    consultation = Consultation(
        title=title,
        description=description,
        description_html=markup.render(description) if description else "",
        kind=kind,
        audience=audience,
        results_visible_before_close=bool(results_visible_before_close),
        opens_at=opens,
        closes_at=closes,
        review_year=review_year,
        notice_id=notice_id,
        created_by_id=staff.id,  # type: ignore[arg-type]
        created_at=now,
    )
    session.add(consultation)
    session.flush()
    for position, (draft, options) in enumerate(cleaned, 1):
        question = ConsultationQuestion(
            consultation_id=consultation.id,  # type: ignore[arg-type]
            position=position,
            kind=draft.kind,
            prompt=draft.prompt,
            required=draft.required,
            max_choices=draft.max_choices,
            subject=draft.subject,
            criterion=draft.criterion,
        )
        session.add(question)
        session.flush()
        for n, label in enumerate(options, 1):
            session.add(ConsultationOption(question_id=question.id, position=n, label=label))  # type: ignore[arg-type]
    session.flush()
    # Residents who asked for it hear of it by mail (queued in this transaction, sent after it).
    mail.announce(session, kind="consultation", title=title, url_path=f"/consultations/{consultation.id}")
    return consultation


def review_subjects(session: Session) -> list[str]:
    """The default 民主评议 subjects: 居委会, 物业公司, then the other active units."""
    units = session.exec(
        select(Unit.name).where(col(Unit.is_active).is_(True)).order_by(col(Unit.position), col(Unit.id))
    ).all()
    return list(dict.fromkeys([*REVIEW_SUBJECTS, *units]))


def create_review(
    session: Session,
    *,
    actor: User | None,
    year: int,
    closes_at: datetime,
    opens_at: datetime | None = None,
    subjects: Sequence[str] | None = None,
    criteria: Sequence[str] | None = None,
    audience: Audience | str = Audience.HOUSEHOLD,
) -> Consultation:
    """The yearly 民主评议 from the template: each subject (居委会, 物业公司, units) rated 1–5 on each
    criterion (服务态度, 办事效率, 公开透明, 解决问题), plus a free-text suggestion."""
    require(actor, Action.MANAGE_CONSULTATIONS)
    if not 2000 <= year <= 2100:
        raise Invalid("年份不正确", field="year")
    chosen = [s for s in (clean_text(s) for s in (subjects or review_subjects(session))) if s]
    picked = [c for c in (clean_text(c) for c in (criteria or REVIEW_CRITERIA)) if c]
    if not chosen:
        raise Invalid("请至少选择一个评议对象", field="subjects")
    if not picked:
        raise Invalid("请至少填写一项评议内容", field="criteria")
    if len(set(chosen)) != len(chosen) or len(set(picked)) != len(picked):
        raise Invalid("评议对象和评议内容不能重复", field="subjects")
    if len(chosen) * len(picked) + 1 > QUESTIONS_MAX:
        raise Invalid(f"评议对象 × 评议内容不能超过 {QUESTIONS_MAX - 1} 项", field="subjects")
    questions = [
        QuestionDraft(QuestionKind.RATING, f"{subject}：{criterion}", subject=subject, criterion=criterion)
        for subject in chosen
        for criterion in picked
    ]
    questions.append(QuestionDraft(QuestionKind.TEXT, "对社区工作的意见和建议", required=False))
    return create_consultation(
        session,
        actor=actor,
        title=f"{year}年度民主评议",
        description=(
            f"请对 {year} 年度{'、'.join(chosen)}的工作进行评议：1 分为很不满意，5 分为非常满意。"
            "评议结果将在截止后公布，并作为年度考评的依据。"
        ),
        opens_at=opens_at,
        closes_at=closes_at,
        audience=audience,
        results_visible_before_close=False,
        questions=questions,
        kind=ConsultationKind.REVIEW,
        review_year=year,
    )


def close_early(session: Session, *, actor: User | None, consultation: Consultation) -> Consultation:
    """Staff end a consultation now; its results are then published."""
    require(actor, Action.MANAGE_CONSULTATIONS)
    now = utcnow()
    if consultation.state(now) == "closed":
        raise Conflict("该征求意见已经截止")
    consultation.closes_at = now
    consultation.closed_early_at = now
    if consultation.opens_at > now:
        consultation.opens_at = now
    session.add(consultation)
    session.flush()
    return consultation


# --- answering -----------------------------------------------------------------------------------

_HOUSEHOLD_DONE = "您家已有成员提交过意见（本次每户一份），如需修改请由该成员操作"


def _check_may_answer(session: Session, user: User | None, consultation: Consultation, now: datetime) -> None:
    state = consultation.state(now)
    if state == "upcoming":
        raise Conflict(f"征求意见将于 {consultation.opens_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 开始")
    if state == "closed":
        raise Conflict("征求意见已经截止，不能再提交或修改意见")
    if user is None:
        return
    if consultation.audience == Audience.HOUSEHOLD and approved_household(session, user) is None:
        raise NotPermitted("本次征求意见每户一份，需要先完成住户认证（在个人主页提交楼号、单元、门牌）")


def _questions(session: Session, consultation: Consultation) -> list[ConsultationQuestion]:
    return list(
        session.exec(
            select(ConsultationQuestion)
            .where(ConsultationQuestion.consultation_id == consultation.id)
            .order_by(col(ConsultationQuestion.position))
        ).all()
    )


def _option_ids(session: Session, questions: Sequence[ConsultationQuestion]) -> dict[int, set[int]]:
    ids: dict[int, set[int]] = {q.id: set() for q in questions}  # type: ignore[misc]
    rows = session.exec(
        select(ConsultationOption.question_id, ConsultationOption.id).where(
            col(ConsultationOption.question_id).in_(list(ids))
        )
    ).all()
    for question_id, option_id in rows:
        ids[question_id].add(option_id)  # type: ignore[arg-type]
    return ids


def validate_answers(
    session: Session, *, consultation: Consultation, answers: Sequence[AnswerDraft]
) -> list[AnswerRow]:
    """The answer rows to write, or Invalid naming the first question that is wrong."""
    questions = _questions(session, consultation)
    number = {q.id: n for n, q in enumerate(questions, 1)}
    by_id = {q.id: q for q in questions}
    options = _option_ids(session, questions)
    given: dict[int, AnswerDraft] = {}
    for submitted in answers:
        if submitted.question_id not in by_id:
            raise Invalid("提交的问题不属于本次征求意见，请刷新页面后重试", field="answers")
        if submitted.question_id in given:
            raise Invalid(f"第 {number[submitted.question_id]} 题重复作答", field="answers")
        given[submitted.question_id] = submitted
    rows: list[AnswerRow] = []
    for question in questions:
        n = number[question.id]
        answer: AnswerDraft | None = given.get(question.id)  # type: ignore[arg-type]
        field_name = f"q{question.id}"
        kind = question.kind
        answered = False
        if answer is not None:
            if kind in CHOICE_KINDS:
                if answer.rating is not None or (answer.text or "").strip():
                    raise Invalid(f"第 {n} 题是选择题，请选择选项", field=field_name)
                chosen = list(dict.fromkeys(answer.option_ids))
                if any(o not in options[question.id] for o in chosen):  # type: ignore[index]
                    raise Invalid(f"第 {n} 题：选项无效，请刷新页面后重试", field=field_name)
                if kind == QuestionKind.SINGLE and len(chosen) > 1:
                    raise Invalid(f"第 {n} 题是单选题，只能选一项", field=field_name)
                if question.max_choices is not None and len(chosen) > question.max_choices:
                    raise Invalid(f"第 {n} 题最多选 {question.max_choices} 项", field=field_name)
                rows += [AnswerRow(question.id, option_id=o) for o in chosen]  # type: ignore[arg-type]
                answered = bool(chosen)
            elif kind == QuestionKind.RATING:
                if answer.option_ids or (answer.text or "").strip():
                    raise Invalid(f"第 {n} 题是评分题，请打 1–5 分", field=field_name)
                if answer.rating is not None:
                    if not RATING_MIN <= answer.rating <= RATING_MAX:
                        raise Invalid(f"第 {n} 题：评分须为 1–5 分", field=field_name)
                    rows.append(AnswerRow(question.id, rating=answer.rating))  # type: ignore[arg-type]
                    answered = True
            else:
                if answer.option_ids or answer.rating is not None:
                    raise Invalid(f"第 {n} 题请填写文字意见", field=field_name)
                text = clean_text(answer.text or "")
                if len(text) > TEXT_ANSWER_MAX:
                    raise Invalid(f"第 {n} 题不能超过 {TEXT_ANSWER_MAX} 个字", field=field_name)
                # Free-text answers are published with the results: the word list applies.
                text = guards.screen(session, {field_name: text}, allow_hold=False).texts[field_name]
                if text:
                    rows.append(AnswerRow(question.id, text=text))  # type: ignore[arg-type]
                    answered = True
        if question.required and not answered:
            raise Invalid(f"第 {n} 题是必答题，请作答", field=field_name)
    if not rows:
        raise Invalid("请至少回答一个问题", field="answers")
    return rows


def submit_answers(
    session: Session, *, actor: User | None, consultation: Consultation, answers: Sequence[AnswerDraft]
) -> Submission:
    """Answer a consultation, or change the earlier answer while it is open. Refused (and nothing
    saved) after the close, for a second member of a household that already answered, and for any
    invalid answer."""
    user = require(actor, Action.ANSWER_CONSULTATION)
    now = utcnow()
    _check_may_answer(session, user, consultation, now)
    rows = validate_answers(session, consultation=consultation, answers=answers)
    key = None
    if consultation.audience == Audience.HOUSEHOLD:
        household = approved_household(session, user)
        assert household is not None  # _check_may_answer refused otherwise
        key = household_key(household)
    response = own_response(session, user=user, consultation=consultation)
    if response is not None and response.user_id != user.id:
        raise Conflict(_HOUSEHOLD_DONE)
    created = response is None
    if response is None:
        response = ConsultationResponse(
            consultation_id=consultation.id,  # type: ignore[arg-type]
            user_id=user.id,  # type: ignore[arg-type]
            household_key=key,
            created_at=now,
            updated_at=now,
        )
        try:
            # Two racing first answers (two tabs, two members of one household): the unique
            # constraints let one in; the other gets a clear refusal instead of a 500.
            with session.begin_nested():
                session.add(response)
                session.flush()
        except IntegrityError:
            raise Conflict(
                _HOUSEHOLD_DONE if key is not None else "您已经提交过意见，请刷新页面后修改"
            ) from None
    else:
        session.execute(delete(ConsultationAnswer).where(col(ConsultationAnswer.response_id) == response.id))
        response.updated_at = now
        session.add(response)
    for row in rows:
        session.add(
            ConsultationAnswer(
                response_id=response.id,  # type: ignore[arg-type]
                question_id=row.question_id,
                option_id=row.option_id,
                rating=row.rating,
                text=row.text,
            )
        )
    session.flush()
    return Submission(response, created)
