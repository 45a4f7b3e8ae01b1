"""Moderation in a real browser: a resident reports a floor, staff find it in the queue and hide
it, and the floor then reads 该内容已被管理员隐藏; a muted resident is told until when; the queue
and the report form at desktop and phone widths (tests/e2e/screenshots/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import PHONE, assert_no_horizontal_overflow, screenshot
from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.moderation import service as moderation
from moderation.helpers import established

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HIDDEN = "该内容已被管理员隐藏"


def _community(db):  # type: ignore[no-untyped-def]
    board = make_board(db, "tiaozao", name="跳蚤市场")
    seller = make_user(db, "跳蚤小铺主")
    spammer = make_user(db, "发票代开8888")
    resident = make_user(db, "jiayuan_mama")
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    topic = make_topic(
        db,
        board=board,
        author=seller,
        title="出九成新儿童自行车",
        body="孩子长大了骑不了，100元，7号楼自提。",
    )
    make_reply(db, topic=topic, author=resident, body="还在吗？周末想去看看")
    ad = make_reply(
        db, topic=topic, author=spammer, body="代开各类正规发票，税点低，量大从优。有需要的加微信 fp_8888。"
    )
    return topic, ad, spammer, resident, staff


@pytest.mark.parametrize("javascript", [True, False])
def test_resident_reports_staff_hide_floor_is_hidden(db, open_page, javascript):  # type: ignore[no-untyped-def]
    topic, ad, _spammer, resident, staff = _community(db)

    page = open_page(user=resident, javascript=javascript)
    page.goto(f"/t/{topic.id}")
    floor = page.locator(f"#floor-{ad.floor}")
    expect(floor).to_contain_text("代开各类正规发票")
    expect(page.locator("#floor-2").get_by_test_id("report-link")).to_have_count(0)  # her own floor
    floor.get_by_test_id("report-link").click()
    page.wait_for_url(re.compile(rf"/p/{ad.id}/report$"))
    expect(page.get_by_test_id("report-form")).to_be_visible()
    page.locator(".chip-check", has_text="广告").click()
    page.get_by_test_id("report-text").fill("发票广告，跳蚤市场不是打广告的地方")
    if javascript:
        screenshot(page, "report-form")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-done")).to_be_visible()

    desk = open_page(user=staff, javascript=javascript)
    desk.goto("/")
    desk.get_by_test_id("staff-menu").locator("summary").click()
    desk.get_by_test_id("mod-queue-link").click()
    item = desk.get_by_test_id("queue-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("代开各类正规发票")
    expect(item.get_by_test_id("report-count")).to_have_text("1 人举报")
    expect(item).to_contain_text("广告 × 1")
    item.locator("summary").click()
    expect(item).to_contain_text("jiayuan_mama")
    if javascript:
        screenshot(desk, "moderation-queue")
    item.get_by_test_id("decide-reason").fill("商业广告")
    item.get_by_test_id("decide-hide").click()
    expect(desk.get_by_test_id("queue-empty")).to_be_visible()

    page.goto(f"/t/{topic.id}")
    floor = page.locator(f"#floor-{ad.floor}")
    expect(floor.locator(".post-removed")).to_have_text(HIDDEN)
    expect(floor).not_to_contain_text("代开各类正规发票")
    if javascript:
        floor.scroll_into_view_if_needed()
        screenshot(page, "moderation-hidden-floor", full_page=False)


def test_auto_hidden_post_on_a_phone_and_a_muted_resident(db, open_page):  # type: ignore[no-untyped-def]
    topic, ad, spammer, _resident, staff = _community(db)
    # Long-standing, verified neighbours: each report weighs 1 (forum.moderation.weight).
    for name in ("七号楼老张", "八号楼李阿姨", "豆豆妈"):
        moderation.report_post(db, actor=established(db, name), post=ad, reason="ad", hide_threshold=3)
    moderation.mute_user(db, actor=staff, target=spammer, days=7, reason="发广告", post=ad)
    db.commit()

    phone = open_page(PHONE, user=staff)
    phone.goto("/mod")
    expect(phone.get_by_test_id("auto-hidden")).to_be_visible()
    expect(phone.get_by_test_id("report-count")).to_have_text("3 人举报")
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "moderation-queue")

    muted = open_page(user=spammer)
    muted.goto(f"/t/{topic.id}")
    open_page.allow("status of 403")  # the refusal page answers 403
    muted.get_by_test_id("reply-body").fill("我再发一次")
    muted.get_by_test_id("reply-submit").click()
    expect(muted.locator(".error-page")).to_contain_text("你已被禁言至")
    muted.goto("/notifications")
    expect(muted.get_by_test_id("moderation-notice")).to_contain_text("禁言 7 天")
    screenshot(muted, "moderation-muted-inbox", full_page=False)
