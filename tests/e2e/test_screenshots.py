"""Screenshots of the main pages at desktop and phone widths, from a realistic little community
(tests/e2e/screenshots/, gitignored), and the topic page shown in the README (docs/topic.png,
refreshed with `UPDATE_DOCS_SCREENSHOT=1 .venv/bin/pytest tests/e2e -k screenshots`).

Also checks the layout on a phone: nothing wider than the screen, and CJK text in a CJK font."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from e2e.helpers import (
    DESKTOP,
    DOCS,
    PHONE,
    assert_images_loaded,
    assert_no_horizontal_overflow,
    make_image,
    rendered_fonts,
    screenshot,
)
from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.models import Post, Topic
from forum.boards.service import Upload
from forum.media.images import ImageStore
from forum.notifications.models import Notification
from forum.timeutil import utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# docs/topic.png is tracked: written when missing, or refreshed on request (UPDATE_DOCS_SCREENSHOT=1),
# so an ordinary test run leaves the work tree clean.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1"


@dataclass
class Community:
    topic: Topic
    viewer: User


def _age(db: Session, topic: Topic, posts: list[Post], hours: float) -> None:
    """Back-date a thread so its times read like a lived-in board (one floor every ~40 minutes)."""
    start = utcnow() - timedelta(hours=hours)
    for i, post in enumerate(posts):
        post.created_at = start + timedelta(minutes=40 * i)
        db.add(post)
    topic.created_at = start
    topic.last_posted_at = posts[-1].created_at
    db.add(topic)
    db.commit()


def build_community(db: Session, store: ImageStore) -> Community:
    yishi = make_board(
        db,
        "yishi",
        name="社区议事",
        description="社区大事小情一起商量：停车规划、电梯运行、文明养犬……重大事项先在这里征求意见。",
    )
    minqing = make_board(
        db,
        "minqing",
        name="民情反映",
        description="遇到问题在这里说，楼号单元写清楚。社工每天看帖，转相关单位处理，进展在帖里回复。",
    )
    make_board(
        db, "gongkai", name="居务公开", description="通知公告、财务公开、会议纪要。", staff_only_topics=True
    )
    make_board(db, "tiaozao", name="跳蚤市场", description="闲置转让、求购、免费送，嘉一邻居楼下面交。")
    make_board(db, "sheying", name="摄影交流", description="拍拍咱们社区：四季花草、活动现场、老街新貌。")

    zhang = make_user(db, "七号楼老张")
    li = make_user(db, "八号楼李阿姨")
    mama = make_user(db, "jiayuan_mama")
    chen = make_user(db, "老陈开车")
    doudou = make_user(db, "豆豆妈")
    xiaoli = make_user(db, "社工小李", role=RoleName.STAFF)
    for user in (zhang, li, doudou):
        user.verified_at = utcnow()
        db.add(user)
    db.commit()

    def thread(board, author: User, title: str, body: str, tags: list[str], replies, hours: float):  # type: ignore[no-untyped-def]
        topic = make_topic(db, board=board, author=author, title=title, body=body, tags=tags)
        posts = [boards.first_post(db, topic)]
        for who, text in replies:
            posts.append(make_reply(db, topic=topic, author=who, body=text))
        _age(db, topic, posts, hours)
        return topic

    notice = thread(
        yishi,
        xiaoli,
        "【意见征集】嘉园一里老楼加装电梯方案，请各楼住户投票",
        "各位居民：3号楼、5号楼加装电梯方案已出，本月底前请在帖内留言。",
        ["fuli"],
        [(li, "支持，早就该装了"), (chen, "低层住户的补偿怎么算？")],
        30,
    )
    boards.set_topic_flag(db, actor=xiaoli, topic=notice, flag="is_pinned", value=True)
    boards.set_topic_flag(db, actor=xiaoli, topic=notice, flag="is_featured", value=True)
    db.commit()
    thread(
        yishi,
        doudou,
        "晚上遛狗请拴绳，孩子被吓哭了",
        "昨晚八点多在中心花园，一只大狗没拴绳冲过来。",
        ["yanggou"],
        [(mama, "同感，大型犬一定要牵好"), (zhang, "建议物业在花园门口立个牌子")],
        9,
    )
    thread(
        yishi,
        chen,
        "西门空地能不能改成临时停车场？",
        "西门那块空地荒了两年了。",
        ["tingche"],
        [(zhang, "支持")],
        5,
    )

    # The README's topic: a real concern with photos, staff follow-up, a quote and 楼中楼.
    topic = boards.create_topic(
        db,
        actor=zhang,
        board=minqing,
        title="7号楼东侧消防通道长期被私家车占用，能不能划线管理？",
        body=(
            "这半个月几乎每天晚上，7号楼东侧的消防通道都停满了车，最多的时候停了四五辆。\n"
            "上周三晚上2单元有老人突发疾病，**120急救车在路口进不来**，担架是抬出去的。\n\n"
            "建议：\n- 消防通道两侧划黄色网格线、立禁停牌\n- 物业晚上九点后巡查一次\n"
            "- 长期占道的车辆联系车主挪走"
        ),
        tags=["xiaofang", "tingche"],
        uploads=[Upload("消防通道.png", make_image(label="消防通道 禁止停车"))],
        store=store,
    )
    db.commit()
    posts = [boards.first_post(db, topic)]
    posts.append(
        make_reply(db, topic=topic, author=li, body="支持老张！我们8号楼也一样，晚上回来连电动车都推不过去。")
    )
    subs = []
    for who, text, to in [
        (zhang, "谢谢李阿姨，人多了才好推动", None),
        (mama, "我家就在2单元，那天真是吓坏了", None),
        (li, "老人现在身体怎么样？", "jiayuan_mama"),
        (mama, "已经出院了，谢谢关心！", "八号楼李阿姨"),
    ]:
        subs.append((1, make_reply(db, topic=topic, author=who, body=text, parent_floor=2, reply_to=to)))
    posts.append(
        make_reply(
            db,
            topic=topic,
            author=xiaoli,
            body=(
                "感谢反映。已转物业和街道城管科，本周五下午三点在7号楼东侧现场协调，欢迎大家参加。\n"
                "处理进度会在本帖更新。"
            ),
            quote_floor=1,
        )
    )
    subs.append((2, make_reply(db, topic=topic, author=zhang, body="周五一定到！", parent_floor=3)))
    reply = boards.reply(
        db,
        actor=mama,
        topic=topic,
        body="今天早上七点拍的，又停了两辆，其中一辆已经停了三天没动了。",
        uploads=[Upload("早上七点.jpg", make_image(560, 380, fmt="JPEG", scene="parking"))],
        store=store,
    )
    db.commit()
    posts.append(reply)
    posts.append(
        make_reply(
            db,
            topic=topic,
            author=chen,
            body=(
                "说句公道话，小区车位确实不够，光划线治标不治本。"
                "@社工小李 西门那块空地能不能先改成临时停车场？"
            ),
        )
    )
    posts.append(make_reply(db, topic=topic, author=doudou, body="赞成划线，消防通道是救命通道，不能让。"))
    _age(db, topic, posts, 4)
    for i, (parent, sub) in enumerate(subs):
        sub.created_at = posts[parent].created_at + timedelta(minutes=7 * (i + 1))
        db.add(sub)
    for note in db.exec(select(Notification)).all():
        note.created_at = db.get(Post, note.post_id).created_at  # type: ignore[union-attr]
        db.add(note)
    db.commit()
    boards.like(db, actor=li, post=posts[0], on=True)
    boards.like(db, actor=mama, post=posts[0], on=True)
    boards.like(db, actor=zhang, post=posts[2], on=True)
    db.commit()
    return Community(topic=topic, viewer=zhang)


def _check_layout(page) -> None:  # type: ignore[no-untyped-def]
    assert_no_horizontal_overflow(page)
    # Chinese text is drawn with a CJK font (no tofu boxes, no mixed-in fallback glyphs).
    fonts = rendered_fonts(page, "h1, .section-title")
    assert fonts and all("CJK" in f or "PingFang" in f for f in fonts), fonts


def test_screenshots(db, image_store, open_page):  # type: ignore[no-untyped-def]
    world = build_community(db, image_store)
    topic = world.topic
    for viewport in (DESKTOP, PHONE):
        page = open_page(viewport, user=world.viewer)
        page.goto("/")
        phone = viewport is PHONE

        expect(page.get_by_test_id("unread-count")).to_be_visible()
        screenshot(page, "home")
        if phone:
            _check_layout(page)

        page.goto("/b/yishi")
        expect(page.get_by_test_id("topic-row").first.locator(".badge-pin")).to_be_visible()
        screenshot(page, "board")
        if phone:
            _check_layout(page)

        page.goto(f"/t/{topic.id}")
        expect(page.locator("#floor-2 .sub")).to_have_count(3)
        assert assert_images_loaded(page) == 2
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "topic")
        if phone:
            _check_layout(page)
        elif UPDATE_DOCS or not (DOCS / "topic.png").exists():
            DOCS.mkdir(exist_ok=True)
            page.screenshot(path=str(DOCS / "topic.png"), full_page=True)
        # 楼中楼 open: the 回复 form and all sub-replies.
        page.locator("#floor-2").get_by_test_id("subs-more").click()
        expect(page.locator("#floor-2 .sub")).to_have_count(4)
        page.locator("#floor-2").get_by_test_id("sub-reply-toggle").click()
        page.locator("#floor-2").scroll_into_view_if_needed()
        screenshot(page, "topic-subreplies", full_page=False)

        page.goto("/b/minqing/new")
        screenshot(page, "new-topic")
        if phone:
            _check_layout(page)

        page.goto("/notifications")
        expect(page.get_by_test_id("notification").first).to_be_visible()
        screenshot(page, "inbox")
        if phone:
            _check_layout(page)
