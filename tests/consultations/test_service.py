"""征求意见 rules, service by service: creating (staff only, every field checked), answering once
and changing it, one answer per household, refusals after the close, invalid answers saving
nothing, results and their visibility, 民主评议 from the template."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consultations.helpers import close_now, full_answer, ids, parking, resident, staff
from factories import make_user
from forum.accounts.models import RoleName
from forum.consultations import queries, service
from forum.consultations.models import ConsultationAnswer, ConsultationResponse
from forum.consultations.service import AnswerDraft, QuestionDraft
from forum.errors import Conflict, Invalid, NotAuthenticated, NotPermitted
from forum.timeutil import utcnow


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model)).one()


class TestCreate:
    def test_staff_publish_a_consultation_with_ordered_questions_and_options(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        views = queries.questions(session, consultation)
        assert [v.question.kind for v in views] == ["single", "multiple", "rating", "text"]
        assert [o.label for o in views[0].options] == ["支持", "不支持", "无所谓"]
        assert views[1].question.max_choices == 2
        assert views[3].question.required is False
        assert "<strong>24 个车位</strong>" in consultation.description_html
        assert consultation.state(utcnow()) == "open"

    @pytest.mark.parametrize("role", [RoleName.RESIDENT, RoleName.VOLUNTEER, RoleName.UNIT_CONTACT])
    def test_non_staff_may_not_publish(self, session, role):  # type: ignore[no-untyped-def]
        with pytest.raises(NotPermitted):
            parking(session, make_user(session, role=role))
        with pytest.raises(NotAuthenticated):
            parking(session, None)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": " "}, "请填写标题"),
            ({"title": "长" * 61}, "标题不能超过"),
            ({"description": "字" * 5001}, "说明不能超过"),
            ({"closes_at": utcnow() - timedelta(hours=1)}, "截止时间必须晚于现在"),
            ({"opens_at": utcnow() + timedelta(days=9)}, "截止时间必须晚于开始时间"),
            ({"closes_at": utcnow() + timedelta(days=400)}, "不能超过一年"),
            ({"audience": "everyone"}, "未知的参与方式"),
            ({"questions": []}, "至少需要一个问题"),
            ({"questions": [QuestionDraft("poll", "问题")]}, "未知的题型"),
            ({"questions": [QuestionDraft("single", "只有一个选项", ["支持"])]}, "至少需要两个选项"),
            ({"questions": [QuestionDraft("single", "重复", ["支持", "支持"])]}, "选项不能重复"),
            ({"questions": [QuestionDraft("multiple", "多选", ["甲", "乙"], max_choices=3)]}, "最多可选项数"),
            ({"questions": [QuestionDraft("rating", "评分", ["甲", "乙"])]}, "不需要选项"),
            ({"questions": [QuestionDraft("text", "")]}, "请填写第 1 题的题目"),
            ({"questions": [QuestionDraft("single", "长选项", ["甲", "乙" * 101])]}, "选项不能超过 100 个字"),
            ({"questions": [QuestionDraft("text", "问")] * 81}, "问题不能超过 80 个"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_saved(self, session, changes, message):  # type: ignore[no-untyped-def]
        actor = staff(session)
        with pytest.raises(Invalid, match=message):
            parking(session, actor, **changes)
        session.rollback()
        from forum.consultations.models import Consultation

        assert count(session, Consultation) == 0

    def test_naive_times_are_community_time(self, session):  # type: ignore[no-untyped-def]
        from datetime import datetime

        closes = (utcnow() + timedelta(days=3)).astimezone().replace(tzinfo=None)
        consultation = parking(
            session, staff(session), closes_at=datetime(closes.year, closes.month, closes.day, 18, 0)
        )
        local = consultation.closes_at.astimezone(service.SHANGHAI)
        assert (local.hour, local.minute) == (18, 0)


class TestAnswer:
    def test_a_resident_answers_and_may_change_the_answer_until_the_close(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        zhang = resident(session, "七号楼老张")
        first = service.submit_answers(
            session,
            actor=zhang,
            consultation=consultation,
            answers=full_answer(session, consultation, text="加装照明"),
        )
        session.commit()
        assert first.created
        again = service.submit_answers(
            session,
            actor=zhang,
            consultation=consultation,
            answers=full_answer(session, consultation, pick=1, rating=2),
        )
        session.commit()
        assert not again.created and again.response.id == first.response.id
        assert count(session, ConsultationResponse) == 1
        mine = queries.answers_of(session, again.response)
        (q1, o1), _, (q3, _), (q4, _) = ids(session, consultation)
        assert mine[q1].option_ids == [o1[1]] and mine[q3].rating == 2 and q4 not in mine

    def test_answering_after_the_close_is_refused_and_changes_nothing(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        zhang = resident(session, "七号楼老张")
        service.submit_answers(
            session, actor=zhang, consultation=consultation, answers=full_answer(session, consultation)
        )
        session.commit()
        close_now(session, consultation)
        with pytest.raises(Conflict, match="已经截止"):
            service.submit_answers(
                session,
                actor=zhang,
                consultation=consultation,
                answers=full_answer(session, consultation, pick=2),
            )
        with pytest.raises(Conflict, match="已经截止"):
            service.submit_answers(
                session,
                actor=resident(session, "新来的"),
                consultation=consultation,
                answers=full_answer(session, consultation),
            )
        session.rollback()
        (q1, o1), *_ = ids(session, consultation)
        assert session.exec(
            select(ConsultationAnswer.option_id).where(ConsultationAnswer.question_id == q1)
        ).all() == [o1[0]]
        assert count(session, ConsultationResponse) == 1

    def test_a_consultation_not_yet_open_takes_no_answers(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(
            session,
            staff(session),
            opens_at=utcnow() + timedelta(days=1),
            closes_at=utcnow() + timedelta(days=5),
        )
        with pytest.raises(Conflict, match="开始"):
            service.submit_answers(
                session,
                actor=resident(session, "老张"),
                consultation=consultation,
                answers=full_answer(session, consultation),
            )

    def test_visitors_must_log_in(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        with pytest.raises(NotAuthenticated):
            service.submit_answers(
                session, actor=None, consultation=consultation, answers=full_answer(session, consultation)
            )

    def test_one_answer_per_household_a_second_member_is_refused(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), audience="household")
        father = resident(session, "七号楼老张", home=("7", "2", "301"))
        daughter = resident(session, "张家闺女", home=("7号楼", "2单元", "301室"))
        neighbour = resident(session, "七号楼老李", home=("7", "2", "302"))
        service.submit_answers(
            session, actor=father, consultation=consultation, answers=full_answer(session, consultation)
        )
        session.commit()
        with pytest.raises(Conflict, match="您家已有成员提交过意见"):
            service.submit_answers(
                session,
                actor=daughter,
                consultation=consultation,
                answers=full_answer(session, consultation, pick=1),
            )
        session.rollback()
        service.submit_answers(
            session, actor=neighbour, consultation=consultation, answers=full_answer(session, consultation)
        )
        # The member who answered may still change the household's answer.
        changed = service.submit_answers(
            session,
            actor=father,
            consultation=consultation,
            answers=full_answer(session, consultation, pick=2),
        )
        session.commit()
        assert not changed.created
        assert count(session, ConsultationResponse) == 2
        standing = service.standing(session, user=daughter, consultation=consultation)
        assert not standing.can_answer and "您家已有成员" in standing.reason

    def test_household_consultations_need_an_approved_household(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), audience="household")
        with pytest.raises(NotPermitted, match="住户认证"):
            service.submit_answers(
                session,
                actor=resident(session, "没认证的"),
                consultation=consultation,
                answers=full_answer(session, consultation),
            )

    def test_the_database_refuses_a_racing_duplicate(self, session):  # type: ignore[no-untyped-def]
        """Two first answers that both passed the check: the unique constraint lets one in."""
        consultation = parking(session, staff(session))
        zhang = resident(session, "七号楼老张")
        service.submit_answers(
            session, actor=zhang, consultation=consultation, answers=full_answer(session, consultation)
        )
        session.commit()
        from unittest import mock

        with (
            mock.patch.object(service, "own_response", return_value=None),
            pytest.raises(Conflict, match="已经提交过"),
        ):
            service.submit_answers(
                session, actor=zhang, consultation=consultation, answers=full_answer(session, consultation)
            )
        session.rollback()
        assert count(session, ConsultationResponse) == 1

    def test_a_racing_second_household_member_is_refused_by_the_database(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), audience="household")
        father = resident(session, "七号楼老张", home=("7", "2", "301"))
        daughter = resident(session, "张家闺女", home=("7", "2", "301"))
        service.submit_answers(
            session, actor=father, consultation=consultation, answers=full_answer(session, consultation)
        )
        session.commit()
        from unittest import mock

        with (
            mock.patch.object(service, "own_response", return_value=None),
            pytest.raises(Conflict, match="您家"),
        ):
            service.submit_answers(
                session, actor=daughter, consultation=consultation, answers=full_answer(session, consultation)
            )


class TestInvalidAnswers:
    @pytest.fixture
    def setup(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        consultation = parking(session, actor)
        other = parking(session, actor, title="另一个征求意见")
        return consultation, other, resident(session, "七号楼老张")

    def cases(self, session, consultation, other):  # type: ignore[no-untyped-def]
        (q1, o1), (q2, o2), (q3, _), (q4, _) = ids(session, consultation)
        (p1, r1), *_ = ids(session, other)
        ok = full_answer(session, consultation)
        return [
            ([AnswerDraft(q1, [r1[0]]), *ok[1:]], "选项无效"),  # an option of another consultation
            ([AnswerDraft(q1, [o2[0]]), *ok[1:]], "选项无效"),  # an option of another question
            ([AnswerDraft(q1, [o1[0], o1[1]]), *ok[1:]], "只能选一项"),
            ([ok[0], AnswerDraft(q2, o2[:3]), *ok[2:]], "最多选 2 项"),
            ([*ok[:2], AnswerDraft(q3, rating=6), ok[3]], "1–5 分"),
            ([*ok[:2], AnswerDraft(q3, rating=0), ok[3]], "1–5 分"),
            ([*ok[:3], AnswerDraft(q4, text="字" * 2001)], "不能超过 2000"),
            (ok[1:], "第 1 题是必答题"),
            ([*ok, AnswerDraft(p1, [r1[0]])], "不属于本次征求意见"),
            ([*ok, AnswerDraft(q1, [o1[0]])], "重复作答"),
            ([AnswerDraft(q1, rating=3), *ok[1:]], "选择题"),
        ]

    def test_each_invalid_answer_is_refused_and_nothing_saved(self, session, setup):  # type: ignore[no-untyped-def]
        consultation, other, zhang = setup
        for answers, message in self.cases(session, consultation, other):
            with pytest.raises(Invalid, match=message):
                service.submit_answers(session, actor=zhang, consultation=consultation, answers=answers)
            session.rollback()
        assert count(session, ConsultationResponse) == 0 and count(session, ConsultationAnswer) == 0

    def test_an_invalid_change_keeps_the_earlier_answer(self, session, setup):  # type: ignore[no-untyped-def]
        consultation, _other, zhang = setup
        service.submit_answers(
            session, actor=zhang, consultation=consultation, answers=full_answer(session, consultation)
        )
        session.commit()
        before = session.exec(select(ConsultationAnswer.option_id, ConsultationAnswer.rating)).all()
        with pytest.raises(Invalid):
            service.submit_answers(
                session,
                actor=zhang,
                consultation=consultation,
                answers=full_answer(session, consultation, rating=9),
            )
        session.rollback()
        assert session.exec(select(ConsultationAnswer.option_id, ConsultationAnswer.rating)).all() == before


class TestResults:
    def test_counts_percentages_averages_and_texts(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        for i, (pick, many, rating, text) in enumerate(
            [(0, (0, 1), 5, "加装照明"), (0, (0,), 4, ""), (1, (2, 3), 2, "不要占绿地"), (0, (0, 3), 3, "")]
        ):
            service.submit_answers(
                session,
                actor=resident(session, f"居民{i}"),
                consultation=consultation,
                answers=full_answer(session, consultation, pick=pick, many=many, rating=rating, text=text),
            )
        session.commit()
        tally = queries.results(session, consultation)
        assert tally.response_count == 4
        single, multiple, rating, text = tally.questions
        assert [(c.option.label, c.count, c.percent) for c in single.options] == [
            ("支持", 3, 75.0),
            ("不支持", 1, 25.0),
            ("无所谓", 0, 0.0),
        ]
        assert [c.count for c in multiple.options] == [3, 1, 1, 2]
        assert rating.average == 3.5 and rating.distribution == {5: 1, 4: 1, 3: 1, 2: 1, 1: 0}
        assert sorted(text.texts) == ["不要占绿地", "加装照明"] and text.answered == 2

    def test_results_are_hidden_from_residents_until_the_close(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        consultation = parking(session, actor)
        zhang = resident(session, "七号楼老张")
        assert not service.results_available(zhang, consultation)
        assert not service.results_available(None, consultation)
        assert service.results_available(actor, consultation)
        with pytest.raises(NotPermitted, match="截止"):
            service.require_results(zhang, consultation)
        close_now(session, consultation)
        assert service.results_available(zhang, consultation) and service.results_available(
            None, consultation
        )

    def test_results_may_be_shown_while_open(self, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), results_visible_before_close=True)
        assert service.results_available(resident(session, "七号楼老张"), consultation)

    def test_staff_close_early_and_only_staff(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        consultation = parking(session, actor)
        with pytest.raises(NotPermitted):
            service.close_early(session, actor=resident(session, "老张"), consultation=consultation)
        service.close_early(session, actor=actor, consultation=consultation)
        assert consultation.state(utcnow()) == "closed" and consultation.closed_early_at is not None
        with pytest.raises(Conflict):
            service.close_early(session, actor=actor, consultation=consultation)

    def test_upcoming_deadlines_lists_open_consultations_soonest_first(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        later = parking(session, actor, title="晚截止", closes_at=utcnow() + timedelta(days=9))
        sooner = parking(session, actor, title="早截止", closes_at=utcnow() + timedelta(days=2))
        closed = parking(session, actor, title="已截止")
        close_now(session, closed)
        parking(session, actor, title="未开始", opens_at=utcnow() + timedelta(days=1))
        assert [c.id for c in queries.upcoming_deadlines(session, utcnow())] == [sooner.id, later.id]


class TestReview:
    def test_the_yearly_review_rates_every_subject_on_every_criterion(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        review = service.create_review(
            session, actor=actor, year=2025, closes_at=utcnow() + timedelta(days=10)
        )
        session.commit()
        views = queries.questions(session, review)
        subjects = list(dict.fromkeys(v.question.subject for v in views if v.question.subject))
        assert subjects[:2] == ["社区居委会", "物业公司"] and "驻区单位" in subjects
        assert {v.question.criterion for v in views if v.question.subject} == set(service.REVIEW_CRITERIA)
        assert (
            views[-1].question.kind == "text" and review.kind == "review" and review.audience == "household"
        )
        assert review.title == "2025年度民主评议"

    def test_results_by_unit(self, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        review = service.create_review(
            session,
            actor=actor,
            year=2025,
            closes_at=utcnow() + timedelta(days=10),
            subjects=["社区居委会", "物业公司"],
            criteria=["服务态度", "办事效率"],
            audience="member",
        )
        views = queries.questions(session, review)
        scores = [{"社区居委会": 5, "物业公司": 2}, {"社区居委会": 4, "物业公司": 3}]
        for i, by_subject in enumerate(scores):
            service.submit_answers(
                session,
                actor=resident(session, f"居民{i}"),
                consultation=review,
                answers=[
                    AnswerDraft(v.question.id, rating=by_subject[v.question.subject])  # type: ignore[arg-type]
                    for v in views
                    if v.question.subject
                ],
            )
        session.commit()
        tally = queries.results(session, review)
        assert tally.criteria == ["服务态度", "办事效率"]
        table = {row.subject: (row.average, row.criteria) for row in tally.by_subject}
        assert table["社区居委会"] == (4.5, {"服务态度": 4.5, "办事效率": 4.5})
        assert table["物业公司"] == (2.5, {"服务态度": 2.5, "办事效率": 2.5})

    def test_only_staff_start_a_review(self, session):  # type: ignore[no-untyped-def]
        with pytest.raises(NotPermitted):
            service.create_review(
                session, actor=resident(session, "老张"), year=2025, closes_at=utcnow() + timedelta(days=3)
            )
