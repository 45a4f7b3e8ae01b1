"""The whole loop on a 390 px phone: a resident files 我要反映 with a photo (no 社工 writes it for
them), the unit's contact answers with a photo of the fix, the neighbours read the answer in the
thread, and the resident rates from the 回访 notification. Screenshots: tests/e2e/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import PHONE, assert_images_loaded, assert_no_horizontal_overflow, screenshot
from factories import make_board, make_unit_contact, make_user
from forum.accounts.models import Household, HouseholdStatus, RoleName
from forum.cases import access, followup, service
from forum.cases import intake as case_intake
from forum.cases.models import Case, Status

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CASE_URL = re.compile(r"/cases/(\d+)$")


def test_report_answer_in_thread_and_rate_on_a_phone(db, open_page, image_file, image_store):  # type: ignore[no-untyped-def]
    make_board(db, "minqing", name="民情反映")
    zhang = make_user(db, "七号楼老张")
    db.add(Household(user_id=zhang.id, building="7", unit="2", room="301", status=HouseholdStatus.APPROVED))  # type: ignore[arg-type]
    db.commit()
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    contact = make_unit_contact(db, "物业小刘", "物业公司")
    # Someone else already reported a lift problem: offered while typing, one tap to join it.
    earlier = case_intake.report_concern(
        db, actor=make_user(db, "八号楼王阿姨"), description="8号楼电梯坏了，一直停在三楼", category="wuye"
    )
    db.commit()

    # 1. The resident files the concern from the home page's first button (the header's 我要反映
    # link is for wider screens); building and 单元 come from the household.
    me = open_page(PHONE, user=zhang)
    me.goto("/")
    expect(me.get_by_test_id("report-link")).to_be_hidden()
    me.get_by_test_id("report-hero").click()
    me.wait_for_url(re.compile(r"/cases/report$"))
    expect(me.get_by_test_id("report-building")).to_have_value("7")
    expect(me.get_by_test_id("report-entrance")).to_have_value("2")
    me.get_by_test_id("report-category").select_option("wuye")
    me.get_by_test_id("report-description").fill("7号楼2单元电梯坏了两天，老人上下楼很困难")
    similar = me.get_by_test_id("similar-open")
    expect(similar).to_contain_text(f"#{earlier.id}")
    similar.get_by_test_id("similar-support").first.click()
    expect(similar.get_by_test_id("support")).to_contain_text("我也遇到 · 1")
    me.get_by_test_id("report-photos").set_input_files(str(image_file("lift.png", scene="parking")))
    me.get_by_test_id("report-contact").fill("晚上打电话方便")
    assert_no_horizontal_overflow(me)
    screenshot(me, "concern-report")
    me.get_by_test_id("report-submit").click()
    me.wait_for_url(CASE_URL)
    case_id = int(CASE_URL.search(me.url).group(1))  # type: ignore[union-attr]
    expect(me.locator(".case-title-row .status")).to_have_text("新提交")
    expect(me.get_by_test_id("case-photos").locator("img")).to_have_count(1)
    assert_images_loaded(me, "[data-testid=case-photos] img")
    assert_no_horizontal_overflow(me)
    screenshot(me, "concern-filed")

    # 2. Staff triage it (the queue is tested elsewhere): accepting routes it to 物业公司.
    case = db.get(Case, case_id)
    assert case is not None and case.source == "report" and case.opened_by_id == zhang.id
    service.perform(db, actor=staff, case=case, action="accept", note="已受理，转物业公司")
    db.commit()
    assert access.who(db, contact, case)

    # 3. The unit's contact answers on their phone and resolves with a photo of the fix.
    unit = open_page(PHONE, user=contact)
    unit.goto("/cases/todo")
    unit.get_by_role("link", name=re.compile("电梯坏了两天")).click()
    unit.wait_for_url(re.compile(rf"/cases/{case_id}$"))
    unit.get_by_test_id("action-start").click()
    expect(unit.locator(".case-title-row .status")).to_have_text("处理中")
    unit.get_by_test_id("action-note").fill("已更换电梯控制板，今天下午恢复运行")
    unit.locator("input[name=photos]").first.set_input_files(str(image_file("fixed.png", scene="parking")))
    unit.get_by_test_id("action-resolve").click()
    expect(unit.locator(".case-title-row .status")).to_have_text("已解决")
    resolved = unit.get_by_test_id("timeline").locator(".kind-resolve")
    expect(resolved).to_contain_text("已更换电梯控制板")
    expect(resolved.locator("figcaption")).to_have_text("整改后")
    assert_images_loaded(unit, ".kind-resolve img")
    assert_no_horizontal_overflow(unit)
    screenshot(unit, "concern-unit-resolved")

    # 4. Neighbours reading the thread see the answer in it, not only a banner.
    db.refresh(case)
    neighbour = open_page(PHONE)
    neighbour.goto(f"/t/{case.topic_id}")
    echo = neighbour.get_by_test_id("case-floor").filter(has_text="已更换电梯控制板")
    expect(echo).to_have_count(1)
    expect(echo).to_contain_text("物业小刘")
    expect(neighbour.get_by_test_id("case-banner")).to_contain_text("已解决")
    assert_no_horizontal_overflow(neighbour)
    echo.scroll_into_view_if_needed()
    screenshot(neighbour, "concern-thread")

    # 5. Days later the 回访 asks 解决了吗; the resident answers from the notification in one tap.
    assert followup.ask_followups(db, after_days=0) == 1
    db.commit()
    me.goto("/notifications")
    notice = me.get_by_test_id("followup-notice")
    expect(notice).to_contain_text("解决了吗")
    assert_no_horizontal_overflow(me)
    screenshot(me, "concern-followup")
    notice.get_by_test_id("followup-satisfied").click()
    me.wait_for_url(re.compile(rf"/cases/{case_id}$"))
    expect(me.locator(".case-title-row .status")).to_have_text("已评价")
    expect(me.get_by_test_id("case-rating")).to_have_text("满意")
    db.refresh(case)
    assert case.status == Status.RATED and case.followed_up_at is None
    me.goto("/me/cases")
    expect(me.get_by_test_id("my-case").first).to_contain_text("已评价")
    screenshot(me, "concern-mine")
