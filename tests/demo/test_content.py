"""The demo content for ``forum seed-demo`` (forum.demo.content): deterministic, sized for
pagination, consistent with the boards, categories and users it declares, and built around the
real 嘉园一里吧 cases."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from forum.demo import story
from forum.demo.content import (
    BOARDS,
    CATEGORIES,
    HOMES,
    RESIDENTS,
    STAFF,
    DemoTopic,
    build_topics,
)
from forum.timeutil import SHANGHAI

USERNAME_RE = re.compile(r"^[A-Za-z0-9_\u4e00-\u9fff]{2,16}$")
MENTION_RE = re.compile(r"@([A-Za-z0-9_\u4e00-\u9fff]{2,20})")
BOARD_SLUGS = [slug for slug, _, _, _ in BOARDS]
CATEGORY_SLUGS = {slug for slug, _ in CATEGORIES}
USERS = set(RESIDENTS) | set(STAFF)


# (seed, the day it is built for): the reference day, a summer and a winter.
@pytest.fixture(
    scope="module",
    params=[
        (1, None),
        (20090701, datetime(2027, 6, 20, 3, tzinfo=UTC)),
        (4242, datetime(2027, 2, 10, 12, tzinfo=UTC)),
    ],
)
def built(request: pytest.FixtureRequest) -> tuple[datetime, list[DemoTopic]]:
    seed, now = request.param
    return now or story.REFERENCE_NOW, build_topics(random.Random(seed), now)


@pytest.fixture(scope="module")
def topics(built: tuple[datetime, list[DemoTopic]]) -> list[DemoTopic]:
    return built[1]


def _texts(topic: DemoTopic) -> list[str]:
    out = [topic.title, topic.body]
    for reply in topic.replies:
        out.append(reply.body)
        out += [sub.body for sub in reply.subreplies]
    return out


def _all_text(topic: DemoTopic) -> str:
    return "\n".join(_texts(topic))


def test_boards_and_categories_declared_as_specified() -> None:
    assert BOARD_SLUGS == [
        "yishi", "minqing", "gongkai", "tiaozao", "yumaoqiu", "lanqiu", "sheying", "wenxue", "zuqiu",
    ]  # fmt: skip
    assert [name for _, name, _, _ in BOARDS][:3] == ["社区议事", "民情反映", "居务公开"]
    assert [slug for slug, *_, staff_only in BOARDS if staff_only] == ["gongkai"]
    assert all(desc.strip() for _, _, desc, _ in BOARDS)
    expected = "消防治安 不文明养狗 小区停车 施工扰民 邻里纠纷 物业矛盾 娱乐配套 福利保障 环境整治"
    assert [name for _, name in CATEGORIES] == expected.split()
    assert all(slug.isascii() and slug.isalpha() for slug in CATEGORY_SLUGS)
    assert len(CATEGORY_SLUGS) == 9


def test_users_are_valid_and_distinct() -> None:
    assert 35 <= len(RESIDENTS) <= 50
    assert 3 <= len(STAFF) <= 4
    names = RESIDENTS + STAFF
    assert len({name.lower() for name in names}) == len(names)
    for name in names:
        assert USERNAME_RE.match(name), name


def test_deterministic_for_the_same_seed() -> None:
    assert build_topics(random.Random(7)) == build_topics(random.Random(7))
    assert build_topics(random.Random(7)) != build_topics(random.Random(8))


def test_counts_in_range(topics: list[DemoTopic]) -> None:
    assert 270 <= len(topics) <= 330
    floors = sum(len(t.replies) for t in topics)
    assert 2000 <= floors <= 3200
    per_board = {slug: sum(t.board == slug for t in topics) for slug in BOARD_SLUGS}
    assert all(n >= 10 for n in per_board.values()), per_board
    assert per_board["yishi"] + per_board["minqing"] >= len(topics) * 0.4
    assert max(per_board, key=per_board.__getitem__) in {"yishi", "minqing"}


def test_long_threads_and_subreplies(topics: list[DemoTopic]) -> None:
    assert sum(len(t.replies) > 40 for t in topics) >= 3  # the topic page paginates at 30 floors
    subs = [len(r.subreplies) for t in topics for r in t.replies]
    assert max(subs) >= 8
    assert sum(n > 0 for n in subs) >= 100
    assert max(subs) <= 12


def test_titles_unique_and_short(topics: list[DemoTopic]) -> None:
    titles = [t.title for t in topics]
    assert len(set(titles)) == len(titles)
    assert all(0 < len(title) <= 60 and title == title.strip() for title in titles)


def test_tags_are_valid_categories(topics: list[DemoTopic]) -> None:
    for topic in topics:
        assert len(topic.tags) <= 2, topic.title
        assert len(set(topic.tags)) == len(topic.tags)
        assert set(topic.tags) <= CATEGORY_SLUGS, topic.tags
        if topic.board not in {"yishi", "minqing"}:
            assert topic.tags == [], topic.title
    tagged = {tag for t in topics for tag in t.tags}
    assert tagged == CATEGORY_SLUGS  # every category is in use


def test_authors_are_known_users(topics: list[DemoTopic]) -> None:
    for topic in topics:
        assert topic.board in BOARD_SLUGS
        assert topic.author in USERS
        for reply in topic.replies:
            assert reply.author in USERS
            assert all(sub.author in USERS for sub in reply.subreplies)


def test_staff_only_board_has_staff_authors(topics: list[DemoTopic]) -> None:
    gongkai = [t for t in topics if t.board == "gongkai"]
    assert len(gongkai) >= 10
    assert all(t.author in STAFF for t in gongkai)
    assert 1 <= sum(t.pinned for t in gongkai) <= 4
    assert not any(t.pinned for t in topics if t.board != "gongkai")


def test_staff_reply_officially(topics: list[DemoTopic]) -> None:
    concerns = [t for t in topics if t.board == "minqing"]
    answered = [t for t in concerns if any(r.author in STAFF for r in t.replies)]
    assert len(answered) >= len(concerns) // 2
    assert any("已收到" in r.body for t in answered for r in t.replies if r.author in STAFF)


def test_mentions_name_known_users(topics: list[DemoTopic]) -> None:
    mentioned = 0
    for topic in topics:
        for text in _texts(topic)[1:]:
            for name in MENTION_RE.findall(text):
                assert name in USERS, text
                mentioned += 1
    assert mentioned >= 30


def test_text_is_real_content(topics: list[DemoTopic]) -> None:
    for topic in topics:
        assert 0.0 <= topic.days_ago <= 150.0
        for text in _texts(topic):
            assert text.strip(), topic.title
            assert "lorem" not in text.lower() and "TODO" not in text, text
            assert "{" not in text and "}" not in text, text  # no unfilled template slots
            assert re.search(r"[\u4e00-\u9fff]", text) or text in {"+1", "mark"}, text


def test_domain_example_cases_present(topics: list[DemoTopic]) -> None:
    def find(*words: str, tag: str) -> DemoTopic:
        hits = [t for t in topics if all(w in t.title + t.body for w in words) and tag in t.tags]
        assert hits, words
        return hits[0]

    parking = find("7、8号楼", "停车", tag="tingche")
    bus = find("48路", "站台", tag="fuli")
    lift = find("电梯", "分时段", tag="wuye")
    noise = find("扰民费", tag="shigong")
    dogs = find("养狗", "文明养犬协会", tag="yanggou")
    assert "物业" in _all_text(parking) and "协调会" in _all_text(parking)
    assert "缓坡道" in _all_text(bus)
    assert "24小时" in _all_text(lift)
    assert "施工单位" in _all_text(noise) and "协调会" in _all_text(noise)
    assert "文明养犬协会" in _all_text(dogs)
    for case in (parking, bus, lift, noise, dogs):
        assert case.board in {"yishi", "minqing"}
        assert case.featured
        assert len(case.replies) >= 40
        assert any(r.author in STAFF for r in case.replies)


# --- written for the days they are posted on (forum.demo.story) --------------------------------

THIS_WEEK = re.compile(
    r"(?<![下每上至；、])周([一二三四五六日])(?![至末])"
)  # 本周三, 周三下午 (not 每周三, 周一至周五)


def _posted(now: datetime, days_ago: float) -> date:
    return (now - timedelta(days=days_ago)).astimezone(SHANGHAI).date()


def test_this_weeks_days_are_still_ahead(built: tuple[datetime, list[DemoTopic]]) -> None:
    now, topics = built
    checked = 0
    for topic in topics:
        posted = _posted(now, topic.days_ago)
        for text in (topic.title, topic.body):
            for day in THIS_WEEK.findall(text):
                assert story.WEEKDAYS.index(day) > posted.weekday(), (topic.title, posted)
                checked += 1
    assert checked >= 10


def test_months_and_seasons_fit_the_day(built: tuple[datetime, list[DemoTopic]]) -> None:
    now, topics = built
    seasons = {
        "暖气": (11, 12, 1, 2, 3),
        "蚊子": (6, 7, 8, 9),
        "春节": (1, 2),
        "汛期": (6, 7, 8),
        "雪": (12, 1, 2),
    }
    for topic in topics:
        posted = _posted(now, topic.days_ago)
        month = re.search(r"(\d+)月份", topic.title)
        if month:  # a summary or a 公示 is about the month before
            assert int(month.group(1)) == (posted.month - 2) % 12 + 1, (topic.title, posted)
        for word, months in seasons.items():
            if word in topic.title:
                assert posted.month in months, (topic.title, posted)


def test_residents_speak_of_their_own_homes(topics: list[DemoTopic]) -> None:
    claims = re.compile(r"^(?:我报名，)?(\d+)号楼，一只|我住(\d+)号楼")
    checked = 0
    for topic in topics:
        for floor in topic.replies:
            found = claims.search(floor.body)
            if found and floor.author in HOMES:
                assert int(found.group(1) or found.group(2)) == HOMES[floor.author][0], floor.body
                checked += 1
        sale = re.search(r"在(\d+)号楼(\d+)单元", topic.body)
        if topic.board == "tiaozao" and sale:
            assert (int(sale.group(1)), int(sale.group(2))) == HOMES[topic.author][:2], topic.title
    assert checked >= 3
    assert HOMES["七号楼老张"][0] == 7 and HOMES["十号楼Tony"] == (10, 2, "1402")  # "住14层"


def test_stories_are_told_in_order(built: tuple[datetime, list[DemoTopic]]) -> None:
    now, topics = built
    examples = [t for t in topics if t.story]
    assert {t.story for t in examples} == {"parking", "bus", "lift", "noise", "dogs"}
    for topic in examples:
        pinned = [r.days_ago for r in topic.replies if r.days_ago is not None]
        assert pinned and pinned == sorted(pinned, reverse=True), topic.title
        assert sum(r.mark == "ack" for r in topic.replies) == 1, topic.title
    by_title = {t.title: t for t in topics}
    after = {
        "48路公交站台缓坡道完工通报": "bus.done",
        "关于全部楼门电梯改为24小时运行的通知": "lift.announce",
        "施工扰民补偿发放标准公示": "noise.meeting",
        "关于成立嘉园一里社区文明养犬协会的公告": "dogs.founding",
        "居民代表会议决议公示": "dog_rules.closes",
    }
    for title, moment in after.items():
        assert now - timedelta(days=by_title[title].days_ago) > story.moment(now, moment), title
    # The parking plan is consulted now: nothing says it is decided or painted yet.
    everything = "\n".join(_all_text(t) for t in topics)
    assert "车位编了号" not in everything and "规划方案已完成征求意见" not in everything


def test_concerns_name_the_unit_that_handles_them(topics: list[DemoTopic]) -> None:
    units = {"物业公司", "驻区单位", "施工单位", "街道城管科", "社区派出所", "社区居委会"}
    concerns = [t for t in topics if t.board == "minqing" and not t.story]
    assert all(t.unit in units and t.progress and t.fix for t in concerns)
    for topic in concerns:
        for floor in topic.replies:
            if floor.mark == "ack" and "转" in floor.body:
                assert topic.unit in floor.body, floor.body
            if floor.mark == "done":
                assert topic.fix in floor.body
