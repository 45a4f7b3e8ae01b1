"""居务公开 in a real browser: staff publish a notice with a 财务 table, a PDF and a picture; a
verified resident finds it in the list on a phone, opens the PDF link, reads and comments; staff
then see the household counted as having read it. Screenshots at desktop and phone widths
(tests/e2e/screenshots/notice-*)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.helpers import DESKTOP, PHONE, assert_images_loaded, assert_no_horizontal_overflow, screenshot
from factories import make_user
from forum.accounts.models import RoleName
from notices.helpers import pdf_bytes, verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TITLE = "7号楼、8号楼院内停车区域划分方案（征求意见稿）"
BODY = (
    "经两次协调会讨论，物业公司拿出了停车区域划分方案，现征求两栋楼居民的意见。\n\n"
    "**区域划分**\n\n"
    "| 区域 | 位置 | 车位数 |\n"
    "| --- | --- | --- |\n"
    "| A区 | 7号楼东侧绿地边 | 24 |\n"
    "| B区 | 8号楼北侧 | 18 |\n"
    "| C区 | 两楼南侧出入口 | 6 |\n\n"
    "- 主路全程禁停，宽度不少于4米\n"
    "- 一户限登记一辆车"
)
NOTICE_URL = re.compile(r"/notices/(\d+)$")


def test_staff_publish_a_notice_and_a_resident_reads_and_comments(db, open_page, tmp_path: Path, image_file):  # type: ignore[no-untyped-def]
    staff_user = make_user(db, "社工小李", role=RoleName.STAFF)
    resident_user = verify(db, make_user(db, "七号楼老张"))
    pdf = tmp_path / "停车区域划分图.pdf"
    pdf.write_bytes(pdf_bytes(2))
    picture = image_file("车位示意.png", label="A区 24个车位")

    # 1. Staff write the notice from the list page, with a PDF and a picture attached.
    staff = open_page(user=staff_user)
    staff.goto("/notices")
    staff.get_by_test_id("new-notice").click()
    staff.get_by_test_id("notice-title").fill(TITLE)
    staff.get_by_label("通知公告").check()
    staff.get_by_test_id("notice-body").fill(BODY)
    staff.get_by_test_id("notice-attachments").set_input_files([str(pdf), str(picture)])
    screenshot(staff, "notice-form")
    staff.get_by_test_id("notice-submit").click()
    expect(staff).to_have_url(NOTICE_URL)
    notice_url = staff.url
    expect(staff.locator(".notice-title")).to_have_text(TITLE)
    expect(staff.get_by_test_id("notice-body").locator("table tr")).to_have_count(4)
    expect(staff.get_by_test_id("read-count")).to_have_text("已读住户 0 / 认证住户 1")
    assert_images_loaded(staff, ".notice-files img")

    # 2. A verified resident finds it on a phone and reads it.
    phone = open_page(PHONE, user=resident_user)
    phone.goto("/")
    phone.get_by_test_id("notices-link").click()
    expect(phone.get_by_test_id("notice-row").first).to_contain_text(TITLE)
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "notice-list")
    phone.get_by_role("link", name=TITLE).click()
    expect(phone).to_have_url(notice_url)
    expect(phone.get_by_test_id("notice-staff")).to_have_count(0)
    link = phone.get_by_test_id("attachment-link")
    expect(link).to_contain_text("停车区域划分图.pdf")
    with phone.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "停车区域划分图.pdf"

    # 3. … and asks a question under it; the comment is floor 2 of the notice's topic.
    phone.get_by_test_id("comment-body").fill("A区划线后，晨练的步道还留着吗？")
    phone.get_by_test_id("comment-submit").click()
    expect(phone.locator("#floor-2")).to_contain_text("晨练的步道还留着吗")
    assert_no_horizontal_overflow(phone)
    phone.locator(".notice-title").scroll_into_view_if_needed()
    screenshot(phone, "notice")

    # 4. Staff see the household counted, and answer in the 楼中楼.
    staff.reload()
    expect(staff.get_by_test_id("read-count")).to_have_text("已读住户 1 / 认证住户 1")
    staff.locator("#floor-2").get_by_test_id("sub-reply-toggle").click()
    staff.locator("#floor-2").get_by_test_id("sub-reply-body").fill("留着，绿地边保留1.5米步道。")
    staff.locator("#floor-2").get_by_role("button", name="发表").click()
    staff.goto(notice_url)
    expect(staff.locator("#floor-2 .sub-list")).to_contain_text("保留1.5米步道")
    screenshot(staff, "notice")

    # 5. A visitor on a desktop sees the list with the notice, without staff tools.
    visitor = open_page(DESKTOP)
    visitor.goto("/notices")
    expect(visitor.get_by_test_id("notice-row")).to_have_count(1)
    expect(visitor.get_by_test_id("new-notice")).to_have_count(0)
    screenshot(visitor, "notice-list")


def test_staff_edit_and_withdraw_and_residents_lose_it(db, open_page):  # type: ignore[no-untyped-def]
    staff_user = make_user(db, "社工小李", role=RoleName.STAFF)
    resident_user = make_user(db, "八号楼李阿姨")
    staff = open_page(user=staff_user)
    staff.goto("/notices/new")
    staff.get_by_test_id("notice-title").fill("2025年第三季度公益金收支公示")
    staff.get_by_label("财务公开").check()
    staff.get_by_test_id("notice-body").fill("| 项目 | 金额（元） |\n| --- | --- |\n| 绿化补种 | 6,300.00 |")
    staff.get_by_test_id("notice-submit").click()
    expect(staff).to_have_url(NOTICE_URL)
    notice_url = staff.url

    staff.get_by_test_id("edit-notice").click()
    staff.get_by_test_id("notice-body").fill("| 项目 | 金额（元） |\n| --- | --- |\n| 绿化补种 | 5,300.00 |")
    staff.get_by_test_id("notice-submit").click()
    expect(staff.get_by_test_id("edited-link")).to_contain_text("已修改")
    staff.get_by_test_id("edited-link").click()
    expect(staff.get_by_test_id("notice-version")).to_have_count(2)
    expect(staff.get_by_test_id("notice-version").last).to_contain_text("6,300.00")
    screenshot(staff, "notice-versions")

    resident = open_page(PHONE, user=resident_user)
    resident.goto(notice_url)
    expect(resident.get_by_test_id("notice-body")).to_contain_text("5,300.00")
    assert_no_horizontal_overflow(resident)

    staff.goto(notice_url)
    staff.get_by_text("撤回公告").click()
    staff.get_by_test_id("withdraw-reason").fill("数据需要重新核对")
    staff.get_by_test_id("withdraw-submit").click()
    expect(staff.get_by_test_id("withdrawn-alert")).to_contain_text("数据需要重新核对")

    resident.goto("/notices")
    expect(resident.get_by_test_id("notice-row")).to_have_count(0)
    open_page.allow("status of 404")  # the withdrawn notice's page, on purpose
    response = resident.goto(notice_url)
    assert response is not None and response.status == 404
