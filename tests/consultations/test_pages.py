"""征求意见 pages, with and without htmx: the list, the staff form (and “添加更多问题”), answering
and changing through the form, refusals shown as Chinese messages, results with SVG charts whose
bars have the right proportions, and the XLSX / CSV exports read back."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from consultations.helpers import close_now, full_answer, ids, parking, resident, staff
from factories import form_post, login
from forum.consultations import service
from forum.consultations.models import Consultation, ConsultationResponse
from forum.timeutil import SHANGHAI, utcnow

SVG = "{http://www.w3.org/2000/svg}"


def local(delta: timedelta) -> str:
    return (utcnow() + delta).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.rollback()  # end the test's read transaction: see what the app committed since
    return session.exec(select(func.count()).select_from(model)).one()


def charts(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg class=\"chart\".*?</svg>", html, re.S)]


def bar_widths(svg: ET.Element) -> list[float]:
    return [
        float(r.get("width", "0").rstrip("%"))
        for r in svg.iter(f"{SVG}rect")
        if r.get("class") == "chart-bar"
    ]


class TestStaffForm:
    def test_staff_publish_a_consultation_through_the_form(self, client, session):  # type: ignore[no-untyped-def]
        staff(session)
        login(client, "社工小李")
        page = client.get("/consultations/new")
        assert page.status_code == 200 and page.text.count('data-testid="question-fields"') == 3
        response = form_post(
            client,
            "/consultations/new",
            {
                "title": "7/8号楼停车区方案",
                "description": "方案见附件",
                "closes_at": local(timedelta(days=7)),
                "audience": "household",
                "question_count": "3",
                "q0_kind": "single",
                "q0_prompt": "支持规划停车区吗？",
                "q0_options": "支持\n不支持\n\n",
                "q0_required": "1",
                "q1_kind": "multiple",
                "q1_prompt": "需要哪些设施？",
                "q1_options": "照明\n监控\n充电桩",
                "q1_max": "2",
                "q2_kind": "text",
                "q2_prompt": "",
                "q2_options": "",
            },
        )
        assert response.status_code == 303, response.text
        consultation = session.exec(select(Consultation)).one()
        assert response.headers["location"].endswith(f"/consultations/{consultation.id}")
        assert consultation.audience == "household"
        (_, o1), (_, o2) = ids(session, consultation)
        assert len(o1) == 2 and len(o2) == 3

    def test_a_bad_form_comes_back_with_a_message_and_what_was_typed(self, client, session):  # type: ignore[no-untyped-def]
        staff(session)
        login(client, "社工小李")
        response = form_post(
            client,
            "/consultations/new",
            {
                "title": "停车区方案",
                "closes_at": local(timedelta(days=7)),
                "question_count": "1",
                "q0_kind": "single",
                "q0_prompt": "支持吗？",
                "q0_options": "支持",
            },
        )
        assert response.status_code == 400
        assert "至少需要两个选项" in response.text and "停车区方案" in response.text
        bad_time = form_post(
            client, "/consultations/new", {"title": "停车", "closes_at": "下周五", "question_count": "1"}
        )
        assert bad_time.status_code == 400 and "截止时间格式" in bad_time.text
        assert count(session, Consultation) == 0

    def test_add_question_without_javascript_and_with_htmx(self, client, session):  # type: ignore[no-untyped-def]
        staff(session)
        login(client, "社工小李")
        response = form_post(
            client,
            "/consultations/new",
            {"title": "停车", "question_count": "3", "q0_prompt": "第一题", "add_question": "1"},
        )
        assert response.status_code == 200
        assert response.text.count('data-testid="question-fields"') == 4 and "第一题" in response.text
        assert count(session, Consultation) == 0
        fragment = client.get("/consultations/new/question?index=4", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert 'name="q4_prompt"' in fragment.text and 'hx-swap-oob="true"' in fragment.text
        assert 'value="5"' in fragment.text and "<html" not in fragment.text

    @pytest.mark.parametrize("url", ["/consultations/new", "/consultations/review/new"])
    def test_residents_get_no_staff_forms(self, client, session, url):  # type: ignore[no-untyped-def]
        resident(session, "七号楼老张")
        login(client, "七号楼老张")
        assert client.get(url).status_code == 403
        posted = form_post(
            client, url, {"title": "我也想发", "year": "2025", "closes_at": local(timedelta(days=3))}
        )
        assert posted.status_code == 403 and "没有权限" in posted.text
        assert count(session, Consultation) == 0

    def test_staff_start_the_yearly_review(self, client, session):  # type: ignore[no-untyped-def]
        staff(session)
        login(client, "社工小李")
        page = client.get("/consultations/review/new")
        assert "物业公司" in page.text
        response = form_post(
            client,
            "/consultations/review/new",
            {
                "year": "2025",
                "subjects": ["社区居委会", "物业公司"],
                "criteria": "服务态度\n办事效率",
                "closes_at": local(timedelta(days=14)),
                "audience": "household",
            },
        )
        assert response.status_code == 303, response.text
        review = session.exec(select(Consultation)).one()
        assert review.kind == "review" and review.review_year == 2025
        assert len(ids(session, review)) == 5


class TestAnswering:
    def form(self, session, consultation, pick=0, many=(0, 1), rating="4", text=""):  # type: ignore[no-untyped-def]
        (q1, o1), (q2, o2), (q3, _), (q4, _) = ids(session, consultation)
        return {
            f"q{q1}": str(o1[pick]),
            f"q{q2}": [str(o2[i]) for i in many],
            f"q{q3}": rating,
            f"q{q4}": text,
        }

    def test_answer_then_change_with_the_form_prefilled(self, client, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        resident(session, "七号楼老张")
        anonymous = client.get(f"/consultations/{consultation.id}")
        assert "登录后即可参与" in anonymous.text and "disabled" in anonymous.text
        login(client, "七号楼老张")
        url = f"/consultations/{consultation.id}/answers"
        first = form_post(client, url, self.form(session, consultation, text="加装照明"))
        assert first.status_code == 303 and first.headers["location"].endswith("?saved=new#answer")
        page = client.get(first.headers["location"])
        assert "已提交，谢谢参与" in page.text and "截止前可修改" in page.text and "修改意见" in page.text
        (q1, o1), *_ = ids(session, consultation)
        assert re.search(rf'name="q{q1}" value="{o1[0]}" checked', page.text)
        assert "加装照明" in page.text
        second = form_post(client, url, self.form(session, consultation, pick=1))
        assert second.headers["location"].endswith("?saved=changed#answer")
        assert count(session, ConsultationResponse) == 1

    def test_refusals_show_a_message_and_save_nothing(self, client, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session))
        resident(session, "七号楼老张")
        login(client, "七号楼老张")
        url = f"/consultations/{consultation.id}/answers"
        too_many = form_post(client, url, self.form(session, consultation, many=(0, 1, 2)))
        assert too_many.status_code == 400 and "最多选 2 项" in too_many.text
        forged = form_post(
            client, url, {**self.form(session, consultation), f"q{ids(session, consultation)[0][0]}": "abc"}
        )
        assert forged.status_code == 400 and "选项无效" in forged.text
        bad_rating = form_post(client, url, self.form(session, consultation, rating="7"))
        assert bad_rating.status_code == 400 and "1–5 分" in bad_rating.text
        missing = form_post(client, url, {})
        assert missing.status_code == 400 and "必答题" in missing.text
        assert count(session, ConsultationResponse) == 0
        close_now(session, consultation)
        late = form_post(client, url, self.form(session, consultation))
        assert late.status_code == 409 and "已经截止" in late.text
        assert count(session, ConsultationResponse) == 0

    def test_second_household_member_is_told_the_household_answered(self, client, make_client, session):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), audience="household")
        resident(session, "七号楼老张", home=("7", "2", "301"))
        resident(session, "张家闺女", home=("7", "2", "301"))
        login(client, "七号楼老张")
        url = f"/consultations/{consultation.id}/answers"
        assert form_post(client, url, self.form(session, consultation)).status_code == 303
        other = make_client()
        login(other, "张家闺女")
        page = other.get(f"/consultations/{consultation.id}")
        assert "您家已有成员提交过意见" in page.text
        refused = form_post(other, url, self.form(session, consultation, pick=1))
        assert refused.status_code == 409 and "您家已有成员提交过意见" in refused.text
        assert count(session, ConsultationResponse) == 1

    def test_list_shows_open_first_with_deadline_then_closed(self, client, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        old = parking(session, actor, title="去年的绿化方案")
        close_now(session, old)
        parking(session, actor, title="停车区方案")
        page = client.get("/consultations")
        assert page.status_code == 200
        assert page.text.index("停车区方案") < page.text.index("去年的绿化方案")
        assert "还剩" in page.text and "查看结果" in page.text


class TestResults:
    def answered(self, session, **kw):  # type: ignore[no-untyped-def]
        consultation = parking(session, staff(session), **kw)
        for i, pick in enumerate([0, 0, 0, 1]):
            service.submit_answers(
                session,
                actor=resident(session, f"居民{i}"),
                consultation=consultation,
                answers=full_answer(
                    session,
                    consultation,
                    pick=pick,
                    rating=5 - i,
                    text='=HYPERLINK("x")' if i == 0 else "多装灯",
                ),
            )
        session.commit()
        return consultation

    def test_residents_see_results_only_after_the_close(self, client, session):  # type: ignore[no-untyped-def]
        consultation = self.answered(session)
        login(client, "居民1")
        hidden = client.get(f"/consultations/{consultation.id}/results")
        assert hidden.status_code == 403 and "截止" in hidden.text
        close_now(session, consultation)
        shown = client.get(f"/consultations/{consultation.id}/results")
        assert shown.status_code == 200 and "多装灯" in shown.text

    def test_the_charts_bars_have_the_right_proportions(self, client, session):  # type: ignore[no-untyped-def]
        consultation = self.answered(session)
        close_now(session, consultation)
        html = client.get(f"/consultations/{consultation.id}/results").text
        single, _multiple, rating = charts(html)
        widths = bar_widths(single)
        assert widths[0] == pytest.approx(3 * widths[1]) and widths[2] == 0  # 支持 3, 不支持 1, 无所谓 0
        assert widths[0] == pytest.approx(0.75 * 76)  # 75% of respondents
        labels = [t.text for t in single.iter(f"{SVG}text")]
        assert "支持" in labels and "3 人 · 75%" in labels
        assert bar_widths(rating) == pytest.approx([19.0, 19.0, 19.0, 19.0, 0])  # 5, 4, 3, 2 points once each

    def test_staff_export_xlsx_and_csv_that_read_back(self, client, session):  # type: ignore[no-untyped-def]
        consultation = self.answered(session)
        login(client, "社工小李")
        xlsx = client.get(f"/consultations/{consultation.id}/export.xlsx")
        assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["汇总", "答卷"]
        rows = list(book["答卷"].iter_rows(values_only=True))
        assert rows[0][:4] == ("答卷编号", "首次提交", "最后修改", "1. 你支持在7/8号楼之间规划停车区吗？")
        assert len(rows) == 5 and [r[3] for r in rows[1:]] == ["支持", "支持", "支持", "不支持"]
        assert rows[1][4] == "划线车位；夜间照明"
        assert [r[5] for r in rows[1:]] == [5, 4, 3, 2]
        assert rows[1][6].startswith("'=")  # a formula typed by a resident stays text
        summary = [r for r in book["汇总"].iter_rows(values_only=True)]
        assert ("支持", 3, 75.0) in summary and ("参与份数", 4) in [r[:2] for r in summary]
        text = client.get(f"/consultations/{consultation.id}/export.csv")
        assert text.status_code == 200 and text.content.startswith("\ufeff".encode())
        parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert parsed[0][3] == "1. 你支持在7/8号楼之间规划停车区吗？" and len(parsed) == 5
        assert parsed[1][6].startswith("'=")

    def test_residents_may_not_export(self, client, session):  # type: ignore[no-untyped-def]
        consultation = self.answered(session)
        close_now(session, consultation)
        login(client, "居民1")
        assert client.get(f"/consultations/{consultation.id}/export.xlsx").status_code == 403
        assert client.get(f"/consultations/{consultation.id}/export.csv").status_code == 403

    def test_staff_close_early_from_the_page(self, client, session):  # type: ignore[no-untyped-def]
        consultation = self.answered(session)
        login(client, "社工小李")
        response = form_post(client, f"/consultations/{consultation.id}/close")
        assert response.status_code == 303 and response.headers["location"].endswith("/results")
        session.refresh(consultation)
        assert consultation.closed_early_at is not None

    def test_review_results_by_unit(self, client, session):  # type: ignore[no-untyped-def]
        actor = staff(session)
        review = service.create_review(
            session,
            actor=actor,
            year=2025,
            closes_at=utcnow() + timedelta(days=3),
            subjects=["社区居委会", "物业公司"],
            criteria=["服务态度", "办事效率"],
            audience="member",
        )
        session.commit()
        from forum.consultations import queries

        views = queries.questions(session, review)
        service.submit_answers(
            session,
            actor=resident(session, "老张"),
            consultation=review,
            answers=[
                service.AnswerDraft(v.question.id, rating=5 if v.question.subject == "社区居委会" else 2)  # type: ignore[arg-type]
                for v in views
                if v.question.subject
            ],
        )
        session.commit()
        close_now(session, review)
        html = client.get(f"/consultations/{review.id}/results").text
        assert 'data-testid="by-subject"' in html and "5.00" in html and "2.00" in html
        widths = bar_widths(charts(html)[0])
        assert widths == pytest.approx([76.0, 76.0 * 2 / 5])
