"""The header's staff menu: one "管理" entry that opens a list of the staff tools, on desktop and on a
phone, with and without JavaScript; it closes on a click elsewhere or Escape."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import DESKTOP, PHONE, assert_no_horizontal_overflow, screenshot
from factories import make_board, make_user
from forum.accounts.models import RoleName

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_opens_the_staff_menu_and_follows_a_link(db, open_page, viewport) -> None:  # type: ignore[no-untyped-def]
    make_board(db, "yishi", name="社区议事")
    admin = make_user(db, "管理员老周", role=RoleName.ADMIN)
    page = open_page(viewport, user=admin)
    page.goto("/")
    assert_no_horizontal_overflow(page)
    menu = page.get_by_test_id("staff-menu")
    links = menu.locator(".nav-menu-list a")
    expect(links.first).to_be_hidden()
    menu.locator("summary").click()
    expect(links).to_have_text(["民情工作台", "举报处理", "待审帖子", "认证审核", "版块与用户", "单位与归口"])
    width = page.viewport_size["width"]
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    screenshot(page, "staff-menu", full_page=False)
    page.keyboard.press("Escape")
    expect(links.first).to_be_hidden()
    menu.locator("summary").click()
    page.locator("main").click(position={"x": 5, "y": 5})
    expect(links.first).to_be_hidden()
    menu.locator("summary").click()
    page.get_by_test_id("mod-queue-link").click()
    expect(page).to_have_url(re.compile(r"/mod$"))


def test_the_menu_works_without_javascript_and_residents_do_not_get_it(db, open_page) -> None:  # type: ignore[no-untyped-def]
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    resident = make_user(db, "七号楼老张")
    page = open_page(user=staff, javascript=False)
    page.goto("/")
    page.get_by_test_id("staff-menu").locator("summary").click()
    page.get_by_test_id("case-queue-link").click()
    expect(page.locator("h1").first).to_contain_text("工作台")
    other = open_page(PHONE, user=resident)
    other.goto("/")
    expect(other.get_by_test_id("staff-menu")).to_have_count(0)
