"""征求意见 consultations: the consultation, its ordered questions and their options, and the
answers — one response per resident, or per verified household, each holding one answer row per
chosen option, rating or text. 民主评议 is a consultation of rating questions per subject."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

TITLE_MAX = 60
DESCRIPTION_MAX = 5000
PROMPT_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 20
QUESTIONS_MAX = 80
TEXT_ANSWER_MAX = 2000
SUBJECT_MAX = 40
CRITERION_MAX = 20
# Items of the lists a client sends: bounded like every other text (twice the stored limit, so
# the service can say what is too long after trimming).
OptionText = Annotated[str, PField(max_length=OPTION_MAX * 2)]
SubjectText = Annotated[str, PField(max_length=SUBJECT_MAX * 2)]
CriterionText = Annotated[str, PField(max_length=CRITERION_MAX * 2)]


class ConsultationKind(StrEnum):
    ORDINARY = "ordinary"  # 征求意见
    REVIEW = "review"  # 民主评议


class Audience(StrEnum):
    MEMBER = "member"  # 每位居民一份
    HOUSEHOLD = "household"  # 每户一份（已认证住户）


class QuestionKind(StrEnum):
    SINGLE = "single"  # 单选
    MULTIPLE = "multiple"  # 多选（可限定最多选几项）
    RATING = "rating"  # 1–5 分
    TEXT = "text"  # 文字意见


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})


class Consultation(SQLModel, table=True):
    __table_args__ = (
        Index("ix_consultation_closes", "closes_at", "id"),
        Index("ix_consultation_opens", "opens_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    # Sanitised HTML rendered once at write time (forum.boards.markup).
    description_html: str = Field(default="", sa_column=Column(Text(), nullable=False))
    kind: str = Field(default=ConsultationKind.ORDINARY, max_length=10)
    audience: str = Field(default=Audience.MEMBER, max_length=10)
    results_visible_before_close: bool = False
    opens_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    closes_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    closed_early_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    review_year: int | None = None  # 民主评议: the year under review
    # The 居务公开 notice announcing it; a plain id so the two features stay independent.
    notice_id: int | None = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))

    def state(self, now: datetime) -> str:
        """upcoming | open | closed."""
        if now >= self.closes_at:
            return "closed"
        return "open" if now >= self.opens_at else "upcoming"


class ConsultationQuestion(SQLModel, table=True):
    __tablename__ = "consultation_question"
    __table_args__ = (Index("ix_consultation_question_position", "consultation_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=10)
    prompt: str = Field(max_length=PROMPT_MAX)
    required: bool = True
    max_choices: int | None = None  # multiple choice: at most this many (None: any number)
    # 民主评议: who is reviewed (居委会, 物业公司, a unit) and on what (服务态度 …).
    subject: str = Field(default="", max_length=SUBJECT_MAX)
    criterion: str = Field(default="", max_length=CRITERION_MAX)


class ConsultationOption(SQLModel, table=True):
    __tablename__ = "consultation_option"
    __table_args__ = (Index("ix_consultation_option_position", "question_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="consultation_question.id", ondelete="CASCADE")
    position: int
    label: str = Field(max_length=OPTION_MAX)


class ConsultationResponse(SQLModel, table=True):
    """One person's (or one household's) answers. The unique constraints make a racing duplicate
    fail in the database too; household_key is NULL for one-per-resident consultations, and NULLs
    never collide."""

    __tablename__ = "consultation_response"
    __table_args__ = (
        UniqueConstraint("consultation_id", "user_id", name="uq_consultation_response_user"),
        UniqueConstraint("consultation_id", "household_key", name="uq_consultation_response_household"),
        Index("ix_consultation_response_user", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id")
    household_key: str | None = Field(default=None, max_length=40)  # 楼号|单元|门牌, normalised
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class ConsultationAnswer(SQLModel, table=True):
    """One chosen option, one rating or one text of a response."""

    __tablename__ = "consultation_answer"
    __table_args__ = (
        Index("ix_consultation_answer_response", "response_id"),
        Index("ix_consultation_answer_question", "question_id", "option_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="consultation_response.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="consultation_question.id", ondelete="CASCADE")
    option_id: int | None = Field(default=None, foreign_key="consultation_option.id", ondelete="CASCADE")
    rating: int | None = None
    text: str | None = Field(default=None, max_length=TEXT_ANSWER_MAX)


# --- API schemas -----------------------------------------------------------------------------


class QuestionCreate(BaseModel):
    kind: QuestionKind
    prompt: str = PField(max_length=PROMPT_MAX * 2)
    options: list[OptionText] = PField(default_factory=list, max_length=OPTIONS_MAX * 2)
    max_choices: int | None = PField(default=None, ge=1, le=OPTIONS_MAX * 2)
    required: bool = True
    subject: str = PField(default="", max_length=SUBJECT_MAX * 2)
    criterion: str = PField(default="", max_length=CRITERION_MAX * 2)


class ConsultationCreate(BaseModel):
    title: str = PField(max_length=TITLE_MAX * 4)
    description: str = PField(default="", max_length=DESCRIPTION_MAX * 2)
    opens_at: datetime | None = None  # default: now
    closes_at: datetime
    audience: Audience = Audience.MEMBER
    results_visible_before_close: bool = False
    notice_id: int | None = PField(default=None, ge=1, le=2**62)
    questions: list[QuestionCreate] = PField(max_length=QUESTIONS_MAX * 2)


class ReviewCreate(BaseModel):
    """民主评议 from the template: subjects × criteria as 1–5 ratings, plus a suggestion box."""

    year: int = PField(ge=2000, le=2100)
    opens_at: datetime | None = None
    closes_at: datetime
    subjects: list[SubjectText] | None = PField(default=None, max_length=40)
    criteria: list[CriterionText] | None = PField(default=None, max_length=20)
    audience: Audience = Audience.HOUSEHOLD


class AnswerIn(BaseModel):
    question_id: int = PField(ge=1, le=2**62)
    option_ids: list[int] = PField(default_factory=list, max_length=OPTIONS_MAX * 2)
    rating: int | None = PField(default=None, ge=-(2**31), le=2**31)
    text: str | None = PField(default=None, max_length=TEXT_ANSWER_MAX * 4)


class AnswersIn(BaseModel):
    answers: list[AnswerIn] = PField(max_length=QUESTIONS_MAX * 2)


class OptionPublic(BaseModel):
    id: int
    label: str


class QuestionPublic(BaseModel):
    id: int
    position: int
    kind: str
    prompt: str
    required: bool
    max_choices: int | None
    subject: str
    criterion: str
    options: list[OptionPublic]


class ConsultationPublic(BaseModel):
    id: int
    title: str
    kind: str
    audience: str
    state: str
    opens_at: datetime
    closes_at: datetime
    results_visible_before_close: bool
    results_available: bool
    review_year: int | None
    notice_id: int | None
    response_count: int
    created_at: datetime


class ConsultationDetail(ConsultationPublic):
    description: str
    description_html: str
    questions: list[QuestionPublic]
    my_answers: list[AnswerIn] | None  # the caller's (or their household's) answers, if any


class ResponseReceipt(BaseModel):
    response_id: int
    created: bool
    updated_at: datetime
    answers: list[AnswerIn]


class OptionResult(BaseModel):
    option_id: int
    label: str
    count: int
    percent: float


class QuestionResult(BaseModel):
    question_id: int
    kind: str
    prompt: str
    subject: str
    criterion: str
    answered: int
    options: list[OptionResult] = []
    average: float | None = None
    distribution: dict[int, int] = {}
    texts: list[str] = []


class SubjectResult(BaseModel):
    subject: str
    average: float | None
    criteria: dict[str, float | None]


class ResultsPublic(BaseModel):
    consultation_id: int
    state: str
    response_count: int
    questions: list[QuestionResult]
    by_subject: list[SubjectResult] = []
