"""Search in a real browser: the header box's live results (htmx, debounced), opening a hit on the
right floor of a long topic, the /search page (traditional characters, highlighting, filters),
hostile and too-short queries, 类似的民情意见 under the new-topic title, and the same without
JavaScript. Screenshots of the live dropdown and the results page go to tests/e2e/screenshots/.

Nothing here writes to the forum, so the module shares one database and one server (the
`database_url` and `live_server` fixtures are overridden at module scope); the browser, `db` and
`open_page` (console errors and CSP violations fail the test) are the suite's own."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from e2e.conftest import LiveServer
from e2e.helpers import DESKTOP, PHONE, assert_no_horizontal_overflow, screenshot
from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.models import Topic
from forum.cases import intake as case_intake
from forum.cases.models import Case
from forum.config import Settings
from forum.db import make_engine

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FLOORS = 42  # 30 floors a page: floor 37 is on page 2
WORD = "晾衣架"
SHORT_HINT = "请至少输入两个字"
PASTED = "<script>alert(1)</script> 物业贴的通知原文就是这样"
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


# --- one site for the module ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def database_url(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A copy of the migrated template, as tests/conftest.py makes one, but for the whole module."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("search-db") / "forum.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"
        return
    name = f"forum_s_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(database_url=database_url, workdir=tmp_path_factory.mktemp("search-server"))
    server.start()
    yield server
    server.stop()


@dataclass
class Site:
    long_topic: Topic
    lift_topic: Topic
    bin_topic: Topic
    bin_case: Case
    resident: User
    admin: User
    board_slug: str


@pytest.fixture(scope="module")
def site(database_url: str, live_server: LiveServer) -> Site:
    """The community searched by every test (written while the server starts). Each test has its
    own words: 晾衣架 (floor 37 of a long topic), 电梯, script/alert, 垃圾桶."""
    engine = make_engine(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    with Session(engine, expire_on_commit=False) as db:
        yishi = make_board(db, "yishi", name="社区议事")
        minqing = make_board(db, "minqing", name="民情反映")
        zhang = make_user(db, "七号楼老张")
        mama = make_user(db, "jiayuan_mama")
        chen = make_user(db, "三单元小陈")
        staff = make_user(db, "社工小李", role=RoleName.STAFF)
        admin = make_user(db, "居委会管理员老王", role=RoleName.ADMIN)

        long_topic = make_topic(
            db,
            board=yishi,
            author=zhang,
            title="楼道堆物清理，大家说说各自楼里的情况",
            body="每层楼道都有杂物，影响通行。",
        )
        for floor in range(2, FLOORS + 1):
            body = (
                f"三单元五楼楼道里有人放了个{WORD}，半夜过去总被绊到，能不能挪一挪？"
                if floor == 37
                else f"第{floor}楼：这层还好，就是纸箱子多。"
            )
            boards.reply(db, actor=(mama, chen)[floor % 2], topic=long_topic, body=body)
        db.commit()

        lift_topic = make_topic(
            db, board=minqing, author=zhang, title="3号楼电梯又停了", body="早上八点电梯停在五楼不动。"
        )
        make_reply(db, topic=lift_topic, author=mama, body="我们单元的电梯上周也坏过两次")
        case_intake.open_case(
            db, actor=staff, title="5号楼电梯维修进度", description="电话反映维修一直没完成", source="phone"
        )
        make_topic(db, board=yishi, author=chen, title="通知里有段乱码", body=PASTED)
        bin_case = case_intake.open_case(
            db, actor=staff, title="东门垃圾桶满了没人清理", description="走访时居民反映", source="visit"
        )
        bin_topic = make_topic(
            db, board=minqing, author=chen, title="垃圾桶满了谁来清运", body="周末没人来收"
        )
        make_topic(db, board=minqing, author=chen, title="南门快递柜满了", body="快递放不进去")
        db.commit()
    engine.dispose()
    return Site(long_topic, lift_topic, bin_topic, bin_case, zhang, admin, minqing.slug)


# --- helpers --------------------------------------------------------------------------------------


def _live_query(url: str) -> str | None:
    """The q of a live-results request (None for any other request)."""
    parts = urlparse(url)
    params = parse_qs(parts.query)
    if parts.path != "/search" or params.get("live") != ["1"]:
        return None
    return params.get("q", [""])[0]


def type_live(page: Page, text: str) -> None:
    """Type `text` at the end of the header box, key by key, and wait until the live results for
    the box's whole value are in."""
    box = page.get_by_test_id("search-input")
    expected = box.input_value() + text
    with page.expect_response(lambda r: _live_query(r.url) == expected and r.ok):
        box.press_sequentially(text)
    expect(page.get_by_test_id("live-results")).to_be_visible()


def live_requests(page: Page) -> list[str]:
    """Every live-results query the page sends, in order."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(q) if (q := _live_query(r.url)) is not None else None)
    return sent


def dialogs_of(page: Page) -> list[str]:
    """Dialogs the page opens (an alert() from injected markup would be one); each is dismissed."""
    opened: list[str] = []

    def dismiss(dialog) -> None:  # type: ignore[no-untyped-def]
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


def assert_within_width(page: Page, selector: str) -> None:
    """The element is not cut off at the sides (a dropdown sticking out of a phone screen)."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    width = page.viewport_size["width"]  # type: ignore[index]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"{selector} at {box}, viewport {width}"


# --- tests ----------------------------------------------------------------------------------------


def test_live_results_open_the_hit_on_the_right_floor(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    topic = site.long_topic
    for viewport in (DESKTOP, PHONE):
        page = open_page(viewport)
        dialogs = dialogs_of(page)
        sent = live_requests(page)
        page.goto("/")
        live = page.get_by_test_id("live-results")
        expect(live).to_have_count(0)

        # 晾衣 already finds the floor (the index keeps jieba's parts of 晾衣架).
        type_live(page, "晾衣")
        assert sent == ["晾衣"], f"debounced: one request for two keys, not {sent}"
        hit = live.get_by_test_id("live-hit")
        expect(hit).to_have_count(1)
        expect(hit).to_contain_text("37楼")
        expect(hit.locator("mark")).to_have_text(["晾衣"])

        type_live(page, "架")
        expect(hit).to_have_count(1)
        expect(hit.locator("mark")).to_have_text([WORD])
        expect(hit).to_contain_text(topic.title)
        expect(live.locator(".live-all")).to_have_attribute("href", re.compile(rf"/search\?q={quote(WORD)}$"))
        expect(live.locator(".live-all")).to_have_text("查看全部 1 条结果")
        assert_within_width(page, "[data-testid=live-results]")
        assert_no_horizontal_overflow(page)
        screenshot(page, "search-live", full_page=False)

        hit.click()
        page.wait_for_url(re.compile(rf"/t/{topic.id}\?page=2#floor-37$"))
        floor = page.locator("#floor-37")
        expect(floor).to_contain_text(WORD)
        expect(floor).to_be_in_viewport()
        expect(page.locator(".pager .is-current").first).to_have_text("2")
        if viewport is DESKTOP:  # the sticky header must not cover the floor's first line
            header = page.locator(".site-header").bounding_box()
            top = floor.bounding_box()
            assert header is not None and top is not None
            assert top["y"] >= header["y"] + header["height"] - 1, (top, header)
        assert dialogs == []


def test_search_page_finds_simplified_text_for_traditional_characters(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    dialogs = dialogs_of(page)
    page.goto(f"/b/{site.board_slug}")
    type_live(page, "電梯")
    expect(page.get_by_test_id("live-hit")).to_have_count(3)
    # Enter leaves the live results for the full page (the form's ordinary GET).
    page.get_by_test_id("search-input").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=" + re.escape(quote("電梯")) + "$"))
    expect(page.get_by_test_id("search-page-input")).to_have_value("電梯")
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(3)
    expect(page.get_by_text("找到约 3 条结果")).to_be_visible()
    expect(page.locator(".search-group h2")).to_have_count(3)
    assert sorted(page.locator(".search-group h2").all_inner_texts()) == sorted(["帖子", "回复", "民情意见"])
    expect(page.locator(".search-hit-title mark", has_text="电梯")).to_have_count(3)
    expect(page.locator(".search-snippet mark", has_text="电梯")).to_have_count(2)  # the case's text has none
    assert page.locator("mark", has_text="電梯").count() == 0  # the text as written, not the query
    assert_no_horizontal_overflow(page)
    screenshot(page, "search-page")

    assert dialogs == []

    phone = open_page(PHONE)
    phone.goto("/search?q=" + quote("電梯"))
    expect(phone.get_by_test_id("search-hit")).to_have_count(3)
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "search-page")


def test_header_box_leaves_room_for_a_long_nav_and_the_dropdown_gets_out_of_the_way(
    site: Site, open_page
) -> None:  # type: ignore[no-untyped-def]
    """An administrator has the most header links; from phone to desktop width none of them breaks
    onto a second line, and the box keeps a usable width. The dropdown hides when the focus leaves
    the box, comes back with it, and closes when the box is cleared."""
    page = open_page({"width": 1280, "height": 700}, user=site.admin)
    page.goto("/")
    nav_links = page.locator(".header-nav .nav-link")
    box = page.get_by_test_id("search-input")
    for width in (1280, 1024, 900, 761, 600, 390):
        page.set_viewport_size({"width": width, "height": 700})
        heights = [
            b["height"] for b in (nav_links.nth(i).bounding_box() for i in range(nav_links.count())) if b
        ]
        assert max(heights) < 40, f"a nav link wraps at {width}px: {heights}"
        assert box.bounding_box()["width"] >= 180, f"the search box is squeezed at {width}px"  # type: ignore[index]
        assert_no_horizontal_overflow(page)

    page.set_viewport_size({"width": 900, "height": 700})
    type_live(page, "電梯")
    live = page.get_by_test_id("live-results")
    assert_within_width(page, "[data-testid=live-results]")
    page.locator("main h2").first.click()  # somewhere else on the page
    expect(live).to_be_hidden()
    box.focus()
    expect(live).to_be_visible()
    with page.expect_response(lambda r: _live_query(r.url) == "" and r.ok):
        box.fill("")
    expect(live).to_have_count(0)


def test_search_page_filters(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    page.goto("/search?q=" + quote("電梯"))
    page.locator("select[name=type]").select_option("reply")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="搜索", exact=True).click()
    assert navigation.value is not None and navigation.value.status == 200
    assert "type=reply" in page.url
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("上周也坏过两次")


def test_search_without_javascript(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(PHONE, javascript=False)
    page.goto("/")
    page.get_by_test_id("search-input").fill("電梯")
    page.get_by_test_id("search-input").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    topics = page.locator(".search-group", has=page.get_by_role("heading", name="帖子", exact=True))
    title = topics.locator(".search-hit-title")
    expect(title.locator("mark")).to_have_text(["电梯"])
    title.click()
    page.wait_for_url(re.compile(rf"/t/{site.lift_topic.id}\?page=1#floor-1$"))


def test_hostile_and_too_short_queries_are_shown_as_text(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    dialogs = dialogs_of(page)
    page.goto("/")
    live = page.get_by_test_id("live-results")

    # One character: a hint, not a search.
    type_live(page, "停")
    expect(live).to_contain_text(SHORT_HINT)
    expect(live.get_by_test_id("live-hit")).to_have_count(0)
    page.get_by_test_id("search-input").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page.get_by_test_id("search-message")).to_contain_text(SHORT_HINT)
    expect(page.get_by_test_id("search-hit")).to_have_count(0)

    # Markup in the query and in the text found stays text.
    query = "<script>alert(1)</script>"
    page.get_by_test_id("search-input").fill(query[:-1])
    type_live(page, query[-1])
    hit = live.get_by_test_id("live-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".live-snippet")).to_contain_text(PASTED)
    expect(hit.locator("mark")).to_have_text(["script", "alert", "1", "script"])
    assert page.locator("#live-results script").count() == 0
    page.get_by_test_id("search-input").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=%3Cscript"))
    expect(page.get_by_test_id("search-page-input")).to_have_value(query)
    expect(page.get_by_test_id("search-hit").locator(".search-snippet")).to_have_text(PASTED)
    assert page.locator("main script").count() == 0
    assert query in page.title()

    # Nothing found: the message quotes the query, as text.
    page.goto("/search?q=" + quote("<img src=x onerror=alert(2)>火星"))
    expect(page.locator(".empty-state")).to_contain_text(
        "没有找到与“<img src=x onerror=alert(2)>火星”相关的内容"
    )
    assert page.locator("main img").count() == 0
    assert dialogs == []


def test_similar_concerns_while_typing_a_new_topic_title(site: Site, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(user=site.resident)
    page.goto(f"/b/{site.board_slug}/new")
    title = page.get_by_test_id("topic-title")
    expect(page.get_by_test_id("similar")).to_have_count(0)
    with page.expect_response(lambda r: "/search/similar" in r.url and r.ok):
        title.press_sequentially("垃圾桶又满了")
    similar = page.get_by_test_id("similar")
    expect(similar).to_contain_text("类似的民情意见")
    case = site.bin_case
    expect(similar.locator("a")).to_have_count(2)
    expect(similar.get_by_role("link", name=f"#{case.id} {case.title}")).to_have_attribute(
        "href", re.compile(rf"/cases/{case.id}$")
    )
    expect(similar.get_by_role("link", name=site.bin_topic.title)).to_be_visible()
    expect(similar.locator("mark")).to_have_text(["垃圾桶", "垃圾桶"])
    expect(similar).not_to_contain_text("快递")  # 满了 alone is not similar enough
    assert_no_horizontal_overflow(page)
    screenshot(page, "search-similar", full_page=False)

    # Something unrelated: the suggestions go away.
    with page.expect_response(lambda r: "/search/similar" in r.url and r.ok):
        title.fill("花坛里的月季开了")
    expect(page.get_by_test_id("similar")).to_have_count(0)
