"""Demo 征求意见 for `forum seed-demo`: the open consultation on the 7/8号楼 parking-area plan (the
seed's own example), a closed one on the 文明养犬公约 with its results, and last year's 民主评议 of
the 居委会, 物业 and units — answered by the demo residents through the real services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, select

from forum.accounts.models import User
from forum.consultations import queries, service
from forum.consultations.models import Consultation, ConsultationResponse, QuestionKind
from forum.consultations.service import AnswerDraft, QuestionDraft
from forum.demo import story
from forum.errors import DomainError
from forum.timeutil import utcnow

PARKING_PLAN = """7号楼和8号楼院内乱停车的问题，居民在论坛上反映了很多次。社区先后组织了两次协调会，\
反映问题的居民、居民代表和物业公司一起商量，拿出了停车区域划分方案（见居务公开的征求意见稿）：\
A区（7号楼东侧）24 个固定车位，C区（两楼南侧出入口）6 个临时车位，消防通道保留 4 米宽。\
8号楼北侧的 B区有两种做法，请大家选：

- **方案一**：B区划设 18 个固定车位，本楼住户登记使用
- **方案二**：B区划设 12 个车位，另留出电动车充电区和一片绿地

请 7/8号楼及周边的住户说说意见，每户一份，截止前可以修改。征求结果会在截止后公布，并作为物业施工的依据。"""

DOG_RULES = """《嘉园一里文明养犬公约（草案）》由居民自发成立的文明养犬协会起草，主要内容：\
出门牵绳、及时清理粪便、按时办理犬证和免疫、大型犬避开早晚高峰、夜间不扰民。请大家提意见。"""

DOG_COMMENTS = [
    "建议在小区里设两个宠物粪便收集箱，光靠自觉不够。",
    "大型犬高峰时段的规定很好，孩子上学时最怕遇到不牵绳的大狗。",
    "希望协会定期组织养犬知识讲座，也欢迎不养狗的邻居参加。",
    "夜里狗叫的问题也要写进去，楼上楼下都能听见。",
    "公约写得挺好，关键是执行，建议物业和协会一起巡查。",
]

REVIEW_COMMENTS = [
    "居委会的同志很负责，电梯的事情跑了好几趟。",
    "物业维修响应还是慢，报修后要等好几天。",
    "希望每个季度公开一次物业费收支。",
    "停车问题协调得不错，希望规划方案早点落地。",
    "社区活动多了，老年人很喜欢，继续保持。",
]


def seed_consultations(
    session: Session,
    users: dict[str, User],
    residents: list[str],
    staff_name: str,
    rng: random.Random,
    now: datetime,
) -> int:
    """Write the three demo consultations; returns how many answers were given."""
    staff = users[staff_name]
    people = [users[name] for name in residents if name in users]
    answered = 0
    plan, rules, review_of = story.parking(now), story.dog_rules(now), story.review(now)

    parking = service.create_consultation(
        session,
        actor=staff,
        title="7/8号楼院内停车区规划方案征求意见",
        description=PARKING_PLAN,
        closes_at=plan.closes,
        audience="household",
        questions=[
            QuestionDraft(
                QuestionKind.SINGLE,
                "你更支持哪个停车区方案？",
                ["方案一：B区 18 个固定车位", "方案二：B区 12 个车位 + 充电区和绿地", "都不支持，维持现状"],
            ),
            QuestionDraft(
                QuestionKind.MULTIPLE,
                "停车区还需要配套哪些设施？",
                ["夜间照明", "监控探头", "电动车充电桩", "道闸或限高杆", "补种绿化"],
                max_choices=2,
            ),
            QuestionDraft(
                QuestionKind.SINGLE,
                "车位怎么分配比较公平？",
                ["本楼住户登记，按顺序分配", "摇号分配", "不固定车位，先到先停"],
            ),
            QuestionDraft(QuestionKind.RATING, "你对目前院内的停车秩序打几分？"),
            QuestionDraft(QuestionKind.TEXT, "其他意见和建议", required=False),
        ],
    )
    answered += _answer(
        session,
        parking,
        people[1 : len(people) // 3],  # the first demo resident is left to try it
        rng,
        weights=[5, 3, 1],
        texts=[
            "晚上一定要有照明，老人走路不安全。",
            "方案二好，给孩子们留点绿地。",
            "消防通道一定要保证，上次救护车都进不来。",
        ],
    )
    _backdate(session, parking, opened=plan.plan, closes=plan.closes, rng=rng)

    dogs = service.create_consultation(
        session,
        actor=staff,
        title="《文明养犬公约（草案）》征求意见",
        description=DOG_RULES,
        closes_at=now + timedelta(days=1),
        questions=[
            QuestionDraft(
                QuestionKind.SINGLE, "你同意这份公约草案吗？", ["同意", "基本同意，建议修改", "不同意"]
            ),
            QuestionDraft(
                QuestionKind.MULTIPLE,
                "公约中你最关心哪些条款？",
                ["出门牵绳", "及时清理粪便", "办理犬证和免疫", "大型犬避开高峰", "夜间不扰民"],
                max_choices=3,
            ),
            QuestionDraft(QuestionKind.RATING, "你对小区目前的养犬环境满意吗？"),
            QuestionDraft(QuestionKind.TEXT, "修改建议", required=False),
        ],
    )
    answered += _answer(session, dogs, people, rng, weights=[6, 3, 1], texts=DOG_COMMENTS)
    _backdate(session, dogs, opened=rules.opens, closes=rules.closes, rng=rng)

    # Every demo resident takes part (many demo households share an address, so not one per household).
    review = service.create_review(
        session, actor=staff, year=review_of.year, closes_at=now + timedelta(days=1), audience="member"
    )
    answered += _answer(session, review, people, rng, weights=[1], texts=REVIEW_COMMENTS)
    _backdate(session, review, opened=review_of.opens, closes=review_of.closes, rng=rng)
    session.flush()
    return answered


def _backdate(
    session: Session, consultation: Consultation, *, opened: datetime, closes: datetime, rng: random.Random
) -> None:
    """Move a consultation (answered just now) and its answers back in time."""
    consultation.opens_at = opened
    consultation.created_at = opened
    consultation.closes_at = closes
    session.add(consultation)
    last = min(closes, utcnow()) - opened
    for response in session.exec(
        select(ConsultationResponse).where(ConsultationResponse.consultation_id == consultation.id)
    ).all():
        response.created_at = response.updated_at = opened + last * rng.uniform(0.05, 0.95)
        session.add(response)
    session.flush()


# How each 民主评议 subject tends to be rated (the 居委会 well, the 物业 less so).
_SUBJECT_MOOD = {"社区居委会": 4.5, "物业公司": 3.2}


def _answer(
    session: Session,
    consultation: Consultation,
    people: list[User],
    rng: random.Random,
    *,
    weights: list[int],
    texts: list[str],
) -> int:
    """Each person answers; a household that already answered, or a resident not verified where
    one answer per household is asked, is skipped."""
    views = queries.questions(session, consultation)
    count = 0
    comments = list(texts)
    for person in people:
        drafts = []
        for view in views:
            q = view.question
            if q.kind == QuestionKind.SINGLE:
                pick = rng.choices(
                    range(len(view.options)), weights=(weights + [1] * 9)[: len(view.options)]
                )[0]
                drafts.append(AnswerDraft(q.id, [view.options[pick].id]))  # type: ignore[arg-type, list-item]
            elif q.kind == QuestionKind.MULTIPLE:
                k = rng.randint(1, q.max_choices or len(view.options))
                drafts.append(AnswerDraft(q.id, [o.id for o in rng.sample(view.options, k)]))  # type: ignore[arg-type, misc]
            elif q.kind == QuestionKind.RATING:
                mood = _SUBJECT_MOOD.get(q.subject, 3.8 if q.subject else 2.6)
                drafts.append(AnswerDraft(q.id, rating=max(1, min(5, round(rng.gauss(mood, 0.9))))))  # type: ignore[arg-type]
            elif comments and rng.random() < 0.4:
                drafts.append(AnswerDraft(q.id, text=comments.pop(0)))  # type: ignore[arg-type]
        try:
            with session.begin_nested():
                service.submit_answers(session, actor=person, consultation=consultation, answers=drafts)
            count += 1
        except DomainError:
            continue  # not a verified household, or the household already answered
    return count
