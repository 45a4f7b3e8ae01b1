"""民情意见 in a real browser: staff flag a reply into a case, accept and assign it, the unit's
contact answers, staff resolve, the poster rates — and the topic banner and the timeline follow.
Also 我也遇到 through htmx, refused actions from a stale page, and screenshots of the case pages at
desktop and phone widths (tests/e2e/screenshots/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import update
from sqlmodel import Session, col, select

from e2e.helpers import DESKTOP, PHONE, assert_no_horizontal_overflow, screenshot
from factories import make_board, make_reply, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName, User
from forum.boards.models import Board, Post, Topic
from forum.cases import followup as case_followup
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings
from forum.cases import service as cases
from forum.cases.models import Case, CaseEvent
from forum.cases.workflow import CaseAction
from forum.timeutil import utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CASE_URL = re.compile(r"/cases/(\d+)$")
REFUSED = "status of 409"  # chromium logs the case page re-shown with 409 as a console error


@dataclass
class Neighbourhood:
    board: Board
    topic: Topic
    reply: Post  # becomes the case
    poster: User  # wrote the reply
    neighbour: User  # wrote the topic
    staff: User
    contact: User  # answers for 物业公司


def neighbourhood(db: Session) -> Neighbourhood:
    board = make_board(db, "minqing", name="民情反映")
    zhang = make_user(db, "七号楼老张")
    wang = make_user(db, "八号楼王阿姨")
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    contact = make_unit_contact(db, "物业小刘")
    topic = make_topic(
        db,
        board=board,
        author=zhang,
        title="7/8号楼院内乱停车",
        body="7号楼和8号楼之间的院子天天停满车，消防通道被堵住了。",
        tags=["tingche"],
    )
    reply = make_reply(db, topic=topic, author=wang, body="晚上更严重，上周救护车都进不来，希望物业管一管。")
    return Neighbourhood(board, topic, reply, wang, zhang, staff, contact)


def status_of(page: Page) -> Locator:
    return page.locator(".case-title-row .status")


def timeline_kinds(page: Page) -> list[str]:
    return page.get_by_test_id("timeline").locator(".timeline-head strong").all_inner_texts()


def banner_text(case_id: int, status: str, unit: str = "物业公司") -> re.Pattern[str]:
    return re.compile(rf"已转为民情意见 #{case_id}\s*·\s*{status}\s*·\s*{unit}")


def test_flag_accept_assign_answer_resolve_and_rate(db, open_page):  # type: ignore[no-untyped-def]
    n = neighbourhood(db)
    topic_url = f"/t/{n.topic.id}"

    # 1. Staff turn the reply on floor 2 into a case; the form comes pre-filled from the topic's tag.
    staff = open_page(user=n.staff)
    staff.goto(topic_url)
    expect(staff.get_by_test_id("case-banner")).to_have_count(0)
    expect(staff.locator("#floor-1").get_by_test_id("flag-case")).to_be_visible()
    staff.locator("#floor-2").get_by_test_id("flag-case").click()
    staff.wait_for_url(re.compile(rf"/p/{n.reply.id}/flag$"))
    expect(staff.locator("h1")).to_have_text("转为民情意见")
    expect(staff.get_by_test_id("case-title")).to_have_value("7/8号楼院内乱停车")
    expect(staff.locator("select[name=category] option:checked")).to_have_text("小区停车")
    expect(staff.get_by_test_id("case-unit-select").locator("option:checked")).to_have_text("物业公司")
    staff.locator("input[name=building]").fill("7")
    staff.get_by_test_id("case-submit").click()
    staff.wait_for_url(CASE_URL)
    case_id = int(CASE_URL.search(staff.url).group(1))  # type: ignore[union-attr]
    expect(status_of(staff)).to_have_text("新提交")
    expect(staff.get_by_test_id("case-unit")).to_have_text("物业公司")
    expect(staff.locator(".case-description")).to_contain_text("救护车都进不来")
    assert timeline_kinds(staff) == ["立案"]

    # The same case left open in a second tab: its forms carry version 1.
    stale = open_page.tab(staff)
    stale.goto(f"/cases/{case_id}")
    open_page.allow(REFUSED)

    # 2. 受理, then 转办 to another unit and back.
    staff.get_by_test_id("action-accept").click()
    expect(status_of(staff)).to_have_text("已受理")

    # 受理 again from the stale tab: refused with the state's reason, nothing recorded twice.
    stale.get_by_test_id("action-accept").click()
    expect(stale.get_by_test_id("form-error")).to_have_text("只有新提交的民情意见可以受理")
    expect(status_of(stale)).to_have_text("已受理")
    assert timeline_kinds(stale) == ["立案", "受理"]

    # 施工单位 has nobody to answer for it here: the choice says so, and the page warns after it.
    staff.get_by_test_id("assign-unit").select_option(label="施工单位（暂无联系人）")
    staff.get_by_test_id("assign-note").fill("院里停的多是工地的车，先请施工单位清走。")
    staff.get_by_test_id("assign-submit").click()
    expect(staff.get_by_test_id("case-unit")).to_have_text("施工单位")
    expect(staff.get_by_test_id("unit-warning")).to_contain_text("还没有联系人")

    # 办结 from the stale tab (same status, older version): "刚刚已被他人更新", nothing changes.
    stale.get_by_test_id("action-note").fill("已处理")
    stale.get_by_test_id("action-resolve").click()
    expect(stale.get_by_test_id("form-error")).to_contain_text("刚刚已被他人更新")
    expect(status_of(stale)).to_have_text("已受理")
    expect(stale.get_by_test_id("case-unit")).to_have_text("施工单位")
    assert timeline_kinds(stale) == ["立案", "受理", "转办"]

    staff.get_by_test_id("assign-unit").select_option(label="物业公司")
    staff.get_by_test_id("assign-submit").click()
    expect(staff.get_by_test_id("case-unit")).to_have_text("物业公司")
    expect(staff.get_by_test_id("unit-warning")).to_have_count(0)
    assigned = staff.get_by_test_id("timeline").locator(".kind-assign")
    expect(assigned).to_have_count(2)
    expect(assigned.nth(0)).to_contain_text("物业公司 → 施工单位")
    expect(assigned.nth(0).locator(".timeline-note")).to_have_text("院里停的多是工地的车，先请施工单位清走。")
    expect(assigned.nth(1)).to_contain_text("施工单位 → 物业公司")

    # 3. A visitor sees the banner on the topic.
    visitor = open_page(PHONE)
    visitor.goto(topic_url)
    banner = visitor.get_by_test_id("case-banner")
    expect(banner).to_contain_text(banner_text(case_id, "已受理"))
    expect(banner).to_contain_text("我也遇到 · 0")
    expect(banner.get_by_test_id("support")).to_have_count(0)  # a button for members only

    # 6. A resident presses 我也遇到 on the banner: htmx swaps the button, the page stays.
    resident = open_page(user=n.neighbour)
    resident.goto(topic_url)
    resident.evaluate("window.__sameDocument = true")
    button = resident.get_by_test_id("case-banner").get_by_test_id("support")
    expect(button).to_have_text("我也遇到 · 0")
    with resident.expect_response(
        lambda r: (
            r.url.endswith(f"/cases/{case_id}/support") and r.request.headers.get("hx-request") == "true"
        )
    ):
        button.click()
    expect(button).to_have_text("我也遇到 · 1")
    expect(button).to_have_class(re.compile(r"\bis-active\b"))
    assert resident.evaluate("window.__sameDocument === true"), "我也遇到 reloaded the page"
    visitor.reload()
    expect(banner).to_contain_text("我也遇到 · 1")

    # 4. The unit's contact finds it under 我的待办, starts and answers publicly.
    unit = open_page(user=n.contact)
    unit.goto("/cases/todo")
    expect(unit.get_by_test_id("todo-link")).to_be_visible()  # 我的待办 is in their header
    row = unit.get_by_test_id("case-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已受理")
    row.get_by_role("link", name="7/8号楼院内乱停车").click()
    unit.wait_for_url(re.compile(rf"/cases/{case_id}$"))
    expect(unit.get_by_test_id("assign-submit")).to_have_count(0)  # 转办 and 受理 are for staff
    expect(unit.get_by_test_id("action-accept")).to_have_count(0)
    unit.get_by_test_id("action-start").click()
    expect(status_of(unit)).to_have_text("处理中")
    unit.get_by_test_id("comment-body").fill("已安排保安夜间巡查，下周在院内划定停车位。")
    unit.get_by_test_id("comment-submit").click()
    answer = unit.get_by_test_id("timeline").locator(".kind-unit_reply")
    expect(answer).to_contain_text("单位回复")
    expect(answer).to_contain_text("物业小刘")
    expect(answer).to_contain_text("已安排保安夜间巡查")

    # 5. Staff resolve with a note (a fresh page: the case moved on since theirs was drawn).
    staff.reload()
    staff.get_by_test_id("action-note").fill("院内已划定12个停车位，消防通道两侧加装隔离桩。")
    staff.get_by_test_id("action-resolve").click()
    expect(status_of(staff)).to_have_text("已解决")

    # The poster hears of it, opens the case from the inbox and rates it — on a phone without
    # JavaScript, where every step is a plain link or form.
    poster = open_page(PHONE, javascript=False, user=n.poster)
    poster.goto("/")
    expect(poster.get_by_test_id("unread-count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    poster.get_by_test_id("inbox-link").click()
    news = poster.get_by_test_id("notification").filter(has_text="已解决")
    expect(news).to_have_count(1)
    expect(news).to_contain_text(f"#{case_id} 7/8号楼院内乱停车")
    news.get_by_role("link").click()
    poster.wait_for_url(re.compile(rf"/cases/{case_id}$"))
    rate = poster.locator("#rate")
    expect(poster.get_by_test_id("action-panel")).to_have_count(0)  # 不满意 is the way to reopen
    screenshot(poster, "case-rate")
    rate.locator("textarea[name=note]").fill("车位划好了，晚上也有人巡查，谢谢！")
    rate.get_by_test_id("rate-satisfied").click()
    expect(status_of(poster)).to_have_text("已评价")
    expect(poster.locator("#rate")).to_have_count(0)
    rated = poster.get_by_test_id("timeline").locator(".kind-rate")
    expect(rated).to_contain_text("评价：满意")
    expect(rated).to_contain_text("车位划好了")
    assert timeline_kinds(poster) == ["立案", "受理", "转办", "转办", "开始处理", "单位回复", "办结", "评价"]
    assert_no_horizontal_overflow(poster)

    visitor.reload()
    expect(banner).to_contain_text(banner_text(case_id, "已评价"))
    expect(banner).not_to_contain_text("我也遇到")  # no more supporting a finished case


# --- screenshots ---------------------------------------------------------------------------------


def _backdate(db: Session, case: Case, days: float) -> None:
    """Spread a case's events over the last `days` days, so the timeline reads like real work."""
    now = utcnow()
    start = now - timedelta(days=days)
    events = db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))).all()
    step = (now - start - timedelta(hours=2)) / max(1, len(events))
    for i, event in enumerate(events):
        event.created_at = start + step * i
        db.add(event)
    db.execute(update(Case).where(col(Case.id) == case.id).values(created_at=start))
    db.commit()


@dataclass
class Showcase:
    full: Case  # followed up, with every kind of event
    working: Case  # 处理中, with supporters: the action panel and the banner's button
    n: Neighbourhood


def showcase(db: Session) -> Showcase:
    """A community's worth of cases in every state, built through the services."""
    n = neighbourhood(db)
    act = cases.transition
    A = CaseAction
    s, liu = n.staff, n.contact
    residents = [make_user(db, name) for name in ("jiayuan_mama", "豆豆妈", "三单元李叔", "退休教师老陈")]

    full = case_intake.open_case(db, actor=s, post=n.reply, building="7", location="7号楼和8号楼之间的院子")
    act(db, actor=s, case=full, action=A.ACCEPT)
    cases.assign(db, actor=s, case=full, unit="施工单位", note="院里停的多是工地的车，先请施工单位清走。")
    cases.assign(db, actor=s, case=full, unit="物业公司", note="工程车已撤，停车管理归物业。")
    cases.comment(db, actor=s, case=full, note="王阿姨电话已留档，晚上七点后方便联系。", public=False)
    act(db, actor=liu, case=full, action=A.START)
    cases.comment(db, actor=liu, case=full, note="已安排保安夜间巡查，下周在院内划定停车位。")
    case_meetings.record_meeting(
        db,
        actor=s,
        kind="coordination",
        title="7/8号楼停车协调会",
        starts_at=(utcnow() - timedelta(days=3)).replace(hour=6, minute=0, second=0, microsecond=0),
        place="居委会二楼会议室",
        attendees="七号楼老张、八号楼王阿姨、居民代表、物业公司",
        decisions="院内划定12个车位，消防通道两侧加装隔离桩，夜间由保安巡查。",
        case_ids=[full.id],  # type: ignore[list-item]
    )
    for r in residents[:3]:
        cases.support(db, actor=r, case=full)
    act(db, actor=liu, case=full, action=A.RESOLVE, note="院内已划定12个停车位，消防通道两侧加装隔离桩。")
    case_followup.rate(
        db, actor=n.poster, case=full, rating="satisfied", comment_text="车位划好了，晚上也有人巡查，谢谢！"
    )
    db.commit()
    _backdate(db, full, 12)

    lift_topic = make_topic(
        db,
        board=n.board,
        author=residents[0],
        title="3号楼电梯晚上十点就停了，老人上下楼太难",
        body="电梯只在白天运行，晚上回家要爬十几层。",
        tags=["wuye"],
    )
    working = case_intake.open_case(
        db, actor=s, post=_first_post(db, lift_topic), priority="urgent", building="3"
    )
    act(db, actor=s, case=working, action=A.ACCEPT)
    act(db, actor=liu, case=working, action=A.START)
    cases.comment(db, actor=liu, case=working, note="已和电梯维保公司联系，正在核算24小时运行的费用。")
    for r in [n.neighbour, n.poster, *residents[1:]]:
        cases.support(db, actor=r, case=working)
    db.commit()
    _backdate(db, working, 4)

    offline = [
        ("48路公交站台太高，老人上车困难", "phone", "yule", "驻区单位", [A.ACCEPT, A.START, A.RESOLVE], 20),
        ("工地夜间施工噪音扰民", "visit", "shigong", None, [A.ACCEPT], 9),  # overdue
        ("小区里遛狗不拴绳", "contact_card", "yanggou", None, [], 1),
        ("楼道堆放杂物，存在消防隐患", "log", "xiaofang", None, [A.ACCEPT, A.START], 2),
        ("楼上漏水，协商不成", "walk_in", "linli", None, [A.ACCEPT], 3),
        ("希望增加健身器材", "phone", "yule", None, [A.REJECT], 6),
    ]
    for title, source, category, unit, steps, days in offline:
        case = case_intake.open_case(
            db,
            actor=s,
            title=title,
            description=f"{title}。居民多次反映，希望社区协调解决。",
            source=source,
            category=category,
            unit=unit,
            building=str(days % 9 + 1),
            is_private=category == "linli",
        )
        for step in steps:
            note = {
                A.RESOLVE: "驻区单位已在站台加建坡道。",
                A.REJECT: "不属于社区可以协调的范围，已转告街道。",
            }
            act(db, actor=s, case=case, action=step, note=note.get(step, ""))
        db.commit()
        _backdate(db, case, days)
        if category == "shigong":
            db.execute(
                update(Case).where(col(Case.id) == case.id).values(due_at=utcnow() - timedelta(days=2))
            )
            db.commit()
    return Showcase(full, working, n)


def _first_post(db: Session, topic: Topic) -> Post:
    return db.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()


def test_screenshots_of_case_pages(db, open_page):  # type: ignore[no-untyped-def]
    shop = showcase(db)
    n = shop.n
    for viewport in (DESKTOP, PHONE):
        staff = open_page(viewport, user=n.staff)
        staff.goto(f"/cases/{shop.full.id}")
        expect(status_of(staff)).to_have_text("已评价")
        expect(staff.get_by_test_id("timeline").locator(".timeline-item")).to_have_count(10)
        assert_no_horizontal_overflow(staff)
        screenshot(staff, "case-timeline")

        staff.goto(f"/cases/{shop.working.id}")
        expect(staff.get_by_test_id("action-panel")).to_be_visible()
        assert_no_horizontal_overflow(staff)
        screenshot(staff, "case-actions")

        staff.goto("/cases/queue")
        expect(staff.get_by_test_id("case-row")).to_have_count(8)
        expect(staff.locator(".badge-overdue")).to_have_count(1)
        assert_no_horizontal_overflow(staff)
        screenshot(staff, "case-queue")

        visitor = open_page(viewport)
        visitor.goto("/cases")
        expect(visitor.get_by_test_id("case-row")).to_have_count(7)  # not the private one
        assert_no_horizontal_overflow(visitor)
        screenshot(visitor, "case-list")

        resident = open_page(viewport, user=n.neighbour)
        resident.goto(f"/t/{shop.working.topic_id}")
        expect(resident.get_by_test_id("case-banner")).to_contain_text(
            banner_text(shop.working.id, "处理中")  # type: ignore[arg-type]
        )
        assert_no_horizontal_overflow(resident)
        screenshot(resident, "topic-case-banner", full_page=False)
