"""征求意见 in a real browser: staff publish a consultation through the form (adding a question
with htmx), residents read and answer it (one without JavaScript, one on a phone) and change their
answer; after the close a resident sees the results as SVG bar charts. Screenshots at desktop and
phone widths go to tests/e2e/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import select

from consultations.helpers import resident
from e2e.helpers import DESKTOP, PHONE, assert_no_horizontal_overflow, screenshot
from factories import make_user
from forum.accounts.models import RoleName
from forum.consultations import queries, service
from forum.consultations.models import Consultation
from forum.timeutil import SHANGHAI, utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DETAIL_URL = re.compile(r"/consultations/(\d+)$")


def test_staff_publish_residents_answer_and_see_the_chart_after_the_close(db, open_page):  # type: ignore[no-untyped-def]
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    zhang = resident(db, "七号楼老张", home=("7", "2", "301"))
    li = resident(db, "八号楼李姐", home=("8", "1", "502"))
    others = [resident(db, f"居民{i}", home=("7", str(i % 4 + 1), f"{i}01")) for i in range(1, 8)]

    # 1. Staff fill in the form: two questions, then one more added through htmx.
    page = open_page(DESKTOP, user=staff)
    page.goto("/consultations")
    page.get_by_test_id("new-consultation").click()
    page.get_by_test_id("c-title").fill("7/8号楼院内停车区规划方案征求意见")
    page.get_by_test_id("c-description").fill(
        "物业公司拟在7号楼和8号楼之间的空地规划 **24 个停车位**，并保留消防通道。\n请大家说说意见。"
    )
    closes = (utcnow() + timedelta(days=7)).astimezone(SHANGHAI)
    page.get_by_test_id("c-closes").fill(closes.strftime("%Y-%m-%dT18:00"))
    page.locator("input[name=audience][value=household]").check()
    fields = page.get_by_test_id("question-fields")
    expect(fields).to_have_count(3)
    fields.nth(0).get_by_test_id("q-prompt").fill("你支持在7/8号楼之间规划停车区吗？")
    fields.nth(0).get_by_test_id("q-options").fill("支持\n不支持\n无所谓")
    fields.nth(1).get_by_test_id("q-kind").select_option("multiple")
    fields.nth(1).get_by_test_id("q-prompt").fill("停车区最需要哪些设施？")
    fields.nth(1).get_by_test_id("q-options").fill("划线车位\n夜间照明\n监控\n充电桩")
    fields.nth(1).locator("input[name=q1_max]").fill("2")
    fields.nth(2).get_by_test_id("q-kind").select_option("rating")
    fields.nth(2).get_by_test_id("q-prompt").fill("你对目前院内停车秩序打几分？")
    page.get_by_test_id("add-question").click()
    expect(fields).to_have_count(4)
    expect(page.locator("#question-count")).to_have_value("4")
    fields.nth(3).get_by_test_id("q-kind").select_option("text")
    fields.nth(3).get_by_test_id("q-prompt").fill("其他意见和建议")
    fields.nth(3).locator("input[name=q3_required]").uncheck()
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header back on top for the full-page picture
    screenshot(page, "consultation-new")
    page.get_by_test_id("c-submit").click()
    page.wait_for_url(DETAIL_URL)
    consultation_id = int(DETAIL_URL.search(page.url).group(1))  # type: ignore[union-attr]
    expect(page.locator("h1")).to_have_text("7/8号楼院内停车区规划方案征求意见")
    expect(page.get_by_test_id("question")).to_have_count(4)
    expect(page.locator(".consult-description strong")).to_have_text("24 个停车位")

    # 2. A resident answers without JavaScript, then changes the answer.
    plain = open_page(DESKTOP, javascript=False, user=zhang)
    plain.goto("/consultations")
    plain.get_by_test_id("consultation-card").first.locator(".consult-title").click()
    questions = plain.get_by_test_id("question")
    questions.nth(0).get_by_label("支持", exact=True).check()
    questions.nth(1).get_by_label("夜间照明").check()
    questions.nth(1).get_by_label("划线车位").check()
    questions.nth(2).locator(".score").nth(3).click()
    questions.nth(3).locator("textarea").fill("希望晚上加装照明，老人走路安全。")
    plain.get_by_test_id("answer-submit").click()
    expect(plain.get_by_test_id("saved")).to_contain_text("已提交")
    expect(plain.get_by_test_id("answered-badge")).to_have_text("已提交 · 截止前可修改")
    expect(plain.get_by_test_id("answer-submit")).to_have_text("修改意见")
    expect(questions.nth(2).locator("input[value='4']")).to_be_checked()
    questions.nth(1).get_by_label("监控").check()  # a third choice: too many
    open_page.allow("status of 400")
    plain.get_by_test_id("answer-submit").click()
    expect(plain.get_by_test_id("form-error")).to_have_text("第 2 题最多选 2 项")
    questions.nth(1).get_by_label("划线车位").uncheck()
    plain.get_by_test_id("answer-submit").click()
    expect(plain.get_by_test_id("saved")).to_contain_text("已修改")

    # 3. Another household answers on a phone; results stay hidden until the close.
    phone = open_page(PHONE, user=li)
    phone.goto(f"/consultations/{consultation_id}")
    expect(phone.get_by_test_id("results-link")).to_have_count(0)
    q = phone.get_by_test_id("question")
    q.nth(0).get_by_label("支持", exact=True).check()
    q.nth(1).get_by_label("充电桩").check()
    q.nth(2).locator(".score").nth(1).click()
    phone.get_by_test_id("answer-submit").click()
    expect(phone.get_by_test_id("saved")).to_be_visible()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "consultation-answer")

    # More neighbours answer, then the deadline passes.
    consultation = db.get(Consultation, consultation_id)
    views = queries.questions(db, consultation)
    for i, user in enumerate(others):
        service.submit_answers(
            db,
            actor=user,
            consultation=consultation,
            answers=[
                service.AnswerDraft(views[0].question.id, [views[0].options[0 if i % 3 else 1].id]),  # type: ignore[arg-type]
                service.AnswerDraft(views[1].question.id, [views[1].options[i % 4].id]),  # type: ignore[arg-type]
                service.AnswerDraft(views[2].question.id, rating=i % 5 + 1),  # type: ignore[arg-type]
                service.AnswerDraft(views[3].question.id, text="车位别占了绿地" if i == 2 else None),  # type: ignore[arg-type]
            ],
        )
    db.execute(
        update(Consultation)
        .where(Consultation.id == consultation_id)  # type: ignore[arg-type]
        .values(closes_at=utcnow() - timedelta(minutes=5), opens_at=utcnow() - timedelta(days=7))
    )
    db.commit()

    # 4. After the close the resident sees the charts and the comments.
    phone.goto(f"/consultations/{consultation_id}")
    expect(phone.get_by_test_id("consultation-state")).to_have_text("已截止")
    expect(phone.get_by_test_id("answer-closed")).to_contain_text("已经截止")
    phone.get_by_test_id("results-link").click()
    expect(phone.get_by_test_id("result-count")).to_have_text("9")
    charts = phone.get_by_test_id("chart")
    expect(charts).to_have_count(3)
    first = charts.nth(0)
    expect(first.locator("text.chart-label").first).to_have_text("支持")
    widths = first.locator("rect.chart-bar").evaluate_all(
        "rs => rs.map(r => r.getBoundingClientRect().width)"
    )
    assert widths[0] > widths[1] > 0 and widths[2] == 0
    expect(phone.locator(".text-answers")).to_contain_text("希望晚上加装照明")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "consultation-results")
    desktop = open_page(DESKTOP, user=zhang)
    desktop.goto(f"/consultations/{consultation_id}/results")
    expect(desktop.get_by_test_id("chart")).to_have_count(3)
    screenshot(desktop, "consultation-results")
    desktop.goto("/consultations")
    screenshot(desktop, "consultation-list")
    assert db.exec(select(Consultation.id)).all() == [consultation_id]


def test_review_form_and_results_by_unit(db, open_page):  # type: ignore[no-untyped-def]
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    voters = [resident(db, f"居民{i}", home=("7", "1", f"{i}01")) for i in range(1, 6)]
    page = open_page(DESKTOP, user=staff)
    page.goto("/consultations/review/new")
    closes = (utcnow() + timedelta(days=10)).astimezone(SHANGHAI)
    page.locator("input[name=closes_at]").fill(closes.strftime("%Y-%m-%dT18:00"))
    page.get_by_role("button", name="发布民主评议").click()
    page.wait_for_url(DETAIL_URL)
    expect(page.locator(".subject-head").first).to_contain_text("社区居委会")
    screenshot(page, "consultation-review")
    review_id = int(DETAIL_URL.search(page.url).group(1))  # type: ignore[union-attr]
    review = db.get(Consultation, review_id)
    views = queries.questions(db, review)
    for i, voter in enumerate(voters):
        service.submit_answers(
            db,
            actor=voter,
            consultation=review,
            answers=[
                service.AnswerDraft(v.question.id, rating=max(1, 5 - n // 4 - i % 2))  # type: ignore[arg-type]
                for n, v in enumerate(views)
                if v.question.subject
            ],
        )
    db.commit()
    page.get_by_test_id("close-early").click()
    page.wait_for_url(re.compile(r"/results$"))
    expect(page.get_by_test_id("by-subject").locator("tbody tr").first).to_contain_text("社区居委会")
    screenshot(page, "consultation-review-results")
    phone = open_page(PHONE, user=voters[0])
    phone.goto(f"/consultations/{review_id}/results")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "consultation-review-results")
