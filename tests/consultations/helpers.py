"""Builders for consultation tests: staff, residents with households, a parking consultation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session

from factories import make_user
from forum.accounts.models import Household, HouseholdStatus, RoleName, User
from forum.consultations import service
from forum.consultations.models import Consultation
from forum.consultations.queries import questions
from forum.consultations.service import AnswerDraft, QuestionDraft
from forum.timeutil import utcnow


def resident(session: Session, name: str, *, home: tuple[str, str, str] | None = None) -> User:
    """A resident, with an approved household at (楼号, 单元, 门牌) when `home` is given."""
    user = make_user(session, name)
    if home is not None:
        session.add(
            Household(
                user_id=user.id,
                building=home[0],
                unit=home[1],
                room=home[2],
                status=HouseholdStatus.APPROVED,
                reviewed_at=utcnow(),
            )
        )
        session.commit()
    return user


def staff(session: Session, name: str = "社工小李") -> User:
    return make_user(session, name, role=RoleName.STAFF)


PARKING_QUESTIONS = [
    QuestionDraft("single", "你支持在7/8号楼之间规划停车区吗？", ["支持", "不支持", "无所谓"]),
    QuestionDraft(
        "multiple", "停车区最需要什么？", ["划线车位", "夜间照明", "监控", "充电桩"], max_choices=2
    ),
    QuestionDraft("rating", "你对物业目前的停车管理打几分？"),
    QuestionDraft("text", "其他意见和建议", required=False),
]


def parking(session: Session, actor: User, **kw: object) -> Consultation:
    values: dict[str, object] = {
        "title": "7/8号楼院内停车区规划方案",
        "description": "物业拟在7号楼和8号楼之间规划 **24 个车位**。",
        "closes_at": utcnow() + timedelta(days=7),
        "questions": PARKING_QUESTIONS,
    }
    values.update(kw)
    consultation = service.create_consultation(session, actor=actor, **values)  # type: ignore[arg-type]
    session.commit()
    return consultation


def ids(session: Session, consultation: Consultation) -> list[tuple[int, list[int]]]:
    """(question id, its option ids) in order."""
    return [(v.question.id, [o.id for o in v.options]) for v in questions(session, consultation)]  # type: ignore[misc]


def full_answer(
    session: Session,
    consultation: Consultation,
    *,
    pick: int = 0,
    many: tuple[int, ...] = (0, 1),
    rating: int = 4,
    text: str = "",
) -> list[AnswerDraft]:
    (q1, o1), (q2, o2), (q3, _), (q4, _) = ids(session, consultation)
    return [
        AnswerDraft(q1, [o1[pick]]),
        AnswerDraft(q2, [o2[i] for i in many]),
        AnswerDraft(q3, rating=rating),
        AnswerDraft(q4, text=text or None),
    ]


def close_now(session: Session, consultation: Consultation) -> None:
    """Move the deadline into the past, as time passing would."""
    session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id)  # type: ignore[arg-type]
        .values(closes_at=utcnow() - timedelta(minutes=1), opens_at=utcnow() - timedelta(days=3))
    )
    session.commit()
    session.refresh(consultation)
