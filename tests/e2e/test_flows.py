"""The forum's main flows in a real browser against a real server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import PHONE, assert_images_loaded, assert_no_horizontal_overflow, screenshot
from factories import PASSWORD, make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOPIC_URL = re.compile(r"/t/\d+(\?[^#]*)?(#.*)?$")


def test_register_log_in_and_post_a_topic_with_an_image(db, open_page, image_file):  # type: ignore[no-untyped-def]
    make_board(db, "yishi", name="社区议事")
    picture = image_file("楼下停车.png", label="消防通道")
    page = open_page()

    page.goto("/")
    page.get_by_role("link", name="注册").click()
    page.locator("input[name=username]").fill("新来的小王")
    page.locator("input[name=password]").fill("xiaowang-2024")
    page.locator("input[name=password2]").fill("xiaowang-2024")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".nav-user")).to_contain_text("新来的小王")

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    page.get_by_role("link", name="登录").click()
    page.locator("input[name=username]").fill("新来的小王")
    open_page.allow("status of 400")  # the login form comes back with 400 and a message
    page.locator("input[name=password]").fill("wrong-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    page.locator("input[name=password]").fill("xiaowang-2024")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".nav-user")).to_contain_text("新来的小王")

    page.get_by_role("link", name="社区议事").first.click()
    page.get_by_test_id("new-topic").click()
    page.locator("input[name=title]").fill("7号楼门口消防通道又被堵了")
    page.locator("textarea[name=body]").fill(
        "今天早上八点，**7号楼**门口停了三辆车，消防车根本进不来。\n- 时间：早上八点\n- 地点：7号楼东侧"
    )
    page.locator(".chip-check", has_text="消防治安").click()
    page.locator("input[type=file][name=images]").set_input_files(str(picture))
    page.get_by_role("button", name="发表").click()

    page.wait_for_url(TOPIC_URL)
    expect(page.locator("h1")).to_contain_text("7号楼门口消防通道又被堵了")
    floor = page.locator("#floor-1")
    expect(floor.locator(".post-body strong")).to_have_text("7号楼")
    expect(floor.locator(".post-body li")).to_have_count(2)
    expect(floor.locator(".floor-author")).to_contain_text("新来的小王")
    expect(page.locator(".topic-head .tag")).to_have_text("消防治安")
    assert assert_images_loaded(page) == 1
    expect(floor.locator(".post-images img")).to_have_attribute("alt", "楼下停车.png")


def test_reply_sub_reply_and_expand_with_and_without_javascript(db, open_page):  # type: ignore[no-untyped-def]
    board = make_board(db)
    alice = make_user(db, "七号楼老张")
    bob = make_user(db, "jiayuan_mama")
    topic = make_topic(db, board=board, author=alice)
    make_reply(db, topic=topic, author=bob, body="我家楼下也是")
    for i in range(5):
        make_reply(db, topic=topic, author=alice if i % 2 else bob, body=f"楼中楼第{i + 1}条", parent_floor=2)

    page = open_page(user=bob)
    page.goto(f"/t/{topic.id}")

    # A new floor through the reply box.
    page.get_by_test_id("reply-body").fill("物业说下周装地锁，大家再等等")
    page.get_by_test_id("reply-submit").click()
    page.wait_for_url(re.compile(r"#floor-3$"))
    expect(page.locator("#floor-3 .post-body")).to_have_text("物业说下周装地锁，大家再等等")
    expect(page.locator("#floor-3")).to_be_in_viewport()

    # 楼中楼: the 回复 toggle under floor 3 opens a one-line form.
    floor3 = page.locator("#floor-3")
    expect(floor3.get_by_test_id("sub-reply-body")).to_be_hidden()
    floor3.get_by_test_id("sub-reply-toggle").click()
    floor3.get_by_test_id("sub-reply-body").fill("好的，谢谢通知")
    floor3.get_by_role("button", name="发表").click()
    page.wait_for_url(re.compile(r"#post-\d+$"))
    expect(page.locator("#floor-3 .sub")).to_have_count(1)
    expect(page.locator("#floor-3 .sub")).to_contain_text("好的，谢谢通知")

    # 展开: floor 2 shows 3 of its 5 sub-replies; htmx swaps in the rest without leaving the page.
    floor2 = page.locator("#floor-2")
    expect(floor2.locator(".sub")).to_have_count(3)
    more = floor2.get_by_test_id("subs-more")
    expect(more).to_have_text(re.compile("还有 2 条回复"))
    page.evaluate("window.__sameDocument = true")
    url = page.url
    with page.expect_response(
        lambda r: "/subreplies" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        more.click()
    expect(floor2.locator(".sub")).to_have_count(5)
    expect(floor2.locator(".sub").nth(4)).to_contain_text("楼中楼第5条")
    expect(more).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "展开 reloaded the page"
    assert page.url == url

    # Without JavaScript: 展开 is a link to a page of all sub-replies, 回复 is plain <details>.
    plain = open_page(javascript=False, user=alice)
    plain.goto(f"/t/{topic.id}")
    plain.locator("#floor-2").get_by_test_id("subs-more").click()
    plain.wait_for_url(re.compile(r"/p/\d+/subreplies$"))
    expect(plain.locator(".sub")).to_have_count(5)
    plain.get_by_role("link", name="返回 2 楼").click()
    plain.wait_for_url(re.compile(r"page=1#floor-2$"))
    floor2 = plain.locator("#floor-2")
    floor2.get_by_test_id("sub-reply-toggle").click()
    floor2.get_by_test_id("sub-reply-body").fill("没有脚本也能回复")
    floor2.get_by_role("button", name="发表").click()
    plain.wait_for_url(re.compile(r"#post-\d+$"))
    expect(plain.locator("#floor-2 .subs-more")).to_contain_text("还有 3 条回复")


def test_staff_pins_a_topic(db, open_page):  # type: ignore[no-untyped-def]
    board = make_board(db, "yishi", name="社区议事")
    alice = make_user(db, "七号楼老张")
    make_user(db, "社工小李", role=RoleName.STAFF)
    old = make_topic(db, board=board, author=alice, title="关于电梯加装的意见征集")
    for n in range(3):
        make_topic(db, board=board, author=alice, title=f"较新的帖子{n}")

    page = open_page(PHONE)  # the mod bar has to work on a phone too
    page.goto("/b/yishi")
    rows = page.get_by_test_id("topic-row")
    expect(rows.first).to_contain_text("较新的帖子2")
    expect(page.locator(".badge-pin")).to_have_count(0)

    page.goto(f"/t/{old.id}")
    expect(page.get_by_test_id("mod-bar")).to_have_count(0)  # not for residents or visitors
    page.get_by_role("link", name="登录", exact=True).first.click()  # and back here afterwards
    page.locator("input[name=username]").fill("社工小李")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(rf"/t/{old.id}$"))
    bar = page.get_by_test_id("mod-bar")
    bar.get_by_role("button", name="置顶", exact=True).click()
    expect(page.locator("h1 .badge-pin")).to_have_text("置顶")
    expect(bar.get_by_role("button", name="取消置顶")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "topic-staff", full_page=False)

    page.get_by_role("link", name="社区议事").first.click()
    page.wait_for_url(re.compile(r"/b/yishi$"))
    expect(rows.first).to_contain_text("关于电梯加装的意见征集")
    expect(rows.first.locator(".badge-pin")).to_have_text("置顶")
    expect(rows).to_have_count(4)


def test_notification_for_a_mention_and_a_reply(db, open_page):  # type: ignore[no-untyped-def]
    board = make_board(db)
    alice = make_user(db, "七号楼老张")
    bob = make_user(db, "jiayuan_mama")
    doudou = make_user(db, "豆豆妈")
    topic = make_topic(db, board=board, author=alice, title="周末一起清理楼道杂物")

    alice_page = open_page(user=alice)
    alice_page.goto("/")
    expect(alice_page.get_by_test_id("inbox-link")).to_be_visible()
    expect(alice_page.get_by_test_id("unread-count")).to_have_count(0)

    bob_page = open_page(PHONE, user=bob)
    bob_page.goto(f"/t/{topic.id}")
    bob_page.get_by_test_id("reply-body").fill("算我一个！@豆豆妈 你也来吧")
    bob_page.get_by_test_id("reply-submit").click()
    bob_page.wait_for_url(re.compile(r"#floor-2$"))
    expect(bob_page.locator("#floor-2 a.mention")).to_have_text("@豆豆妈")

    # The topic's author hears of the reply.
    alice_page.reload()
    expect(alice_page.get_by_test_id("unread-count")).to_have_text("1")
    alice_page.get_by_test_id("inbox-link").click()
    item = alice_page.get_by_test_id("notification")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("jiayuan_mama")
    expect(item).to_contain_text("周末一起清理楼道杂物")
    expect(item).to_contain_text("算我一个")
    item.get_by_role("link").click()
    alice_page.wait_for_url(re.compile(r"#floor-2$"))
    expect(alice_page.locator("#floor-2")).to_be_in_viewport()

    # The @mentioned user, in a third browser.
    mentioned = open_page(user=doudou)
    mentioned.goto("/")
    expect(mentioned.get_by_test_id("unread-count")).to_have_text("1")
    mentioned.get_by_test_id("inbox-link").click()
    expect(mentioned.get_by_test_id("notification")).to_contain_text("提到了你")
    assert_no_horizontal_overflow(bob_page)


def test_author_only_and_floor_links(db, open_page):  # type: ignore[no-untyped-def]
    board = make_board(db)
    alice = make_user(db, "七号楼老张")
    bob = make_user(db, "jiayuan_mama")
    topic = make_topic(db, board=board, author=alice)
    for i in range(39):
        make_reply(db, topic=topic, author=bob if i % 2 else alice, body=f"这是第{i + 2}楼")

    page = open_page()
    # 只看楼主: floor 1 and the author's replies (every other floor), then back to everyone.
    page.goto(f"/t/{topic.id}")
    expect(page.locator(".floor")).to_have_count(30)
    page.get_by_test_id("author-only").click()
    page.wait_for_url(re.compile(r"author=1"))
    floors = page.locator(".floor")
    expect(floors).to_have_count(21)
    assert [floors.nth(i).get_attribute("data-floor") for i in range(4)] == ["1", "2", "4", "6"]
    expect(page.locator(".floor .badge-op")).to_have_count(21)
    expect(page.get_by_test_id("author-only")).to_have_text("取消只看楼主")
    page.get_by_test_id("author-only").click()
    expect(page.locator(".floor")).to_have_count(30)

    # A shared link that names floor 37 but not the page: site.js asks the server where it is.
    page.goto(f"/t/{topic.id}#floor-37")
    page.wait_for_url(re.compile(rf"/t/{topic.id}\?page=2#floor-37$"))
    expect(page.locator("#floor-37")).to_be_in_viewport()
    expect(page.locator("#floor-37 .post-body")).to_have_text("这是第37楼")
    expect(page.locator(".pager .is-current").first).to_have_text("2")

    # A #floor-37 link followed on page 1 (hashchange) does the same.
    page.goto(f"/t/{topic.id}")
    expect(page.locator("#floor-30")).to_have_count(1)
    expect(page.locator("#floor-37")).to_have_count(0)
    page.evaluate(
        "() => { const a = document.createElement('a'); a.href = '#floor-37'; a.id = 'jump';"
        " a.textContent = '37楼'; document.querySelector('.topic-head').append(a); }"
    )
    page.locator("#jump").click()
    page.wait_for_url(re.compile(rf"/t/{topic.id}\?page=2#floor-37$"))
    expect(page.locator("#floor-37")).to_be_in_viewport()
