"""The demo content for ``forum seed-demo`` (forum.demo.content): deterministic, sized for
pagination, consistent with the boards, categories and users it declares, and built around the
real 嘉园一里吧 cases."""

from __future__ import annotations

import random
import re

import pytest

from forum.demo.content import (
    BOARDS,
    CATEGORIES,
    RESIDENTS,
    STAFF,
    DemoTopic,
    build_topics,
)

USERNAME_RE = re.compile(r"^[A-Za-z0-9_\u4e00-\u9fff]{2,16}$")
MENTION_RE = re.compile(r"@([A-Za-z0-9_\u4e00-\u9fff]{2,20})")
BOARD_SLUGS = [slug for slug, _, _, _ in BOARDS]
CATEGORY_SLUGS = {slug for slug, _ in CATEGORIES}
USERS = set(RESIDENTS) | set(STAFF)


@pytest.fixture(scope="module", params=[1, 20090701, 4242])
def topics(request: pytest.FixtureRequest) -> list[DemoTopic]:
    return build_topics(random.Random(request.param))


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
