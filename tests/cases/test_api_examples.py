"""The example cases of DOMAIN.md, replayed end to end through the HTTP API."""

from __future__ import annotations

import pytest

from factories import api_token, make_board, make_unit_contact, make_user
from forum.accounts.models import RoleName


@pytest.fixture
def api(client, session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing", name="民情反映")
    for name in ("七号楼老张", "八号楼李姐", "jiayuan_mama", "王大爷"):
        make_user(session, name)
    make_user(session, "社工小李", role=RoleName.STAFF)
    make_user(session, "信息员老王", role=RoleName.VOLUNTEER)
    make_unit_contact(session, "物业小刘", "物业公司")
    make_unit_contact(session, "驻区单位老陈", "驻区单位")
    tokens = {
        name: api_token(client, name)
        for name in (
            "七号楼老张",
            "八号楼李姐",
            "jiayuan_mama",
            "王大爷",
            "社工小李",
            "信息员老王",
            "物业小刘",
            "驻区单位老陈",
        )
    }

    class Api:
        def post(self, who: str, url: str, body: dict, expect: int = 201) -> dict:  # type: ignore[type-arg]
            response = client.post(url, json=body, headers=tokens[who])
            assert response.status_code == expect, response.text
            return response.json()  # type: ignore[no-any-return]

        def get(self, url: str, who: str | None = None) -> dict:  # type: ignore[type-arg]
            response = client.get(url, headers=tokens[who] if who else {})
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]

        def topic(self, who: str, title: str, body: str, tags: list[str]) -> int:
            return self.post(
                who, f"/api/v1/boards/{board.id}/topics", {"title": title, "body": body, "tags": tags}
            )["id"]

        def act(self, who: str, case_id: int, action: str, expect: int = 201, **kw: object) -> dict:  # type: ignore[type-arg]
            return self.post(who, f"/api/v1/cases/{case_id}/events", {"action": action, **kw}, expect)

    return Api()


def kinds(case: dict) -> list[str]:  # type: ignore[type-arg]
    return [e["kind"] for e in case["timeline"]]


def test_parking_in_the_yard_of_buildings_7_and_8(api, client):  # type: ignore[no-untyped-def]
    topic = api.topic("七号楼老张", "7/8号楼院内乱停车", "院子里天天停满车，消防通道都堵了", ["tingche"])
    case = api.post("信息员老王", "/api/v1/cases", {"topic_id": topic})
    assert (case["status"], case["unit"], case["category"]) == ("submitted", "物业公司", "小区停车")
    cid = case["id"]
    api.act("社工小李", cid, "accept", note="已受理，转物业公司")
    api.act("物业小刘", cid, "start")
    for n, (when, decision) in enumerate(
        [
            ("2026-03-02T14:00:00+08:00", "物业先摸清车辆数量"),
            ("2026-03-16T14:00:00+08:00", "在7/8号楼之间规划停车区"),
        ],
        1,
    ):
        api.post(
            "社工小李",
            "/api/v1/meetings",
            {
                "kind": "coordination",
                "title": f"7/8号楼停车第{n}次协调会",
                "starts_at": when,
                "place": "居委会会议室",
                "attendees": "七号楼老张、居民代表、物业公司",
                "decisions": decision,
                "case_ids": [cid],
            },
        )
    api.act("物业小刘", cid, "comment", note="停车区已经划线，共 24 个车位")
    api.act("物业小刘", cid, "resolve", note="规划了停车区")
    rated = api.act("七号楼老张", cid, "rate", rating="satisfied", note="现在整齐多了")
    assert rated["status"] == "rated" and rated["rating"] == "satisfied"
    assert kinds(rated) == [
        "opened",
        "accept",
        "start",
        "meeting",
        "meeting",
        "unit_reply",
        "resolve",
        "rate",
    ]
    page = client.get(f"/t/{topic}").text
    assert "已转为民情意见 #" in page and "已评价" in page and "物业公司" in page
    # The unit's answer is in the thread itself, not only behind the banner.
    assert "停车区已经划线，共 24 个车位" in page


def test_lift_running_only_at_certain_hours(api):  # type: ignore[no-untyped-def]
    topic = api.topic("八号楼李姐", "楼门电梯分时段运行", "晚上十点以后电梯就停了，老人上下楼太难", ["wuye"])
    cid = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})["id"]
    api.act("社工小李", cid, "accept")
    api.act("物业小刘", cid, "start")
    resolved = api.act("物业小刘", cid, "resolve", note="电梯改为24小时运行")
    assert resolved["status"] == "resolved" and resolved["unit"] == "物业公司"
    assert api.act("八号楼李姐", cid, "rate", rating="basically")["status"] == "rated"


def test_bus_stop_platform_too_high_goes_to_the_resident_organisation(api):  # type: ignore[no-untyped-def]
    topic = api.topic("王大爷", "48路公交站台太高", "老年人上下车很不方便", ["fuli"])
    case = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})
    assert case["unit"] == "社区居委会"
    cid = case["id"]
    api.act("社工小李", cid, "accept")
    moved = api.act("社工小李", cid, "assign", unit="驻区单位", note="站台归驻区建设单位")
    assert moved["unit"] == "驻区单位"
    api.act("物业小刘", cid, "start", expect=403)  # 物业 no longer answers for it
    api.act("驻区单位老陈", cid, "start")
    api.act("驻区单位老陈", cid, "resolve", note="修了缓坡道")
    assert api.get(f"/api/v1/cases/{cid}")["status"] == "resolved"


def test_duplicate_parking_complaint_is_merged(api, client):  # type: ignore[no-untyped-def]
    first = api.topic("七号楼老张", "7号楼院里乱停车", "消防通道被堵", ["tingche"])
    second = api.topic("jiayuan_mama", "8号楼门口停满了车", "推婴儿车都过不去", ["tingche"])
    main = api.post("社工小李", "/api/v1/cases", {"topic_id": first})["id"]
    dup = api.post("社工小李", "/api/v1/cases", {"topic_id": second})["id"]
    assert (
        client.put(f"/api/v1/cases/{dup}/supports", headers=api_token(client, "王大爷")).json()[
            "support_count"
        ]
        == 1
    )
    merged = api.act("社工小李", dup, "merge", into=main, note="同一问题")
    assert merged["status"] == "duplicate" and merged["merged_into_id"] == main
    target = api.get(f"/api/v1/cases/{main}")
    assert target["support_count"] == 1 and len(target["post_ids"]) == 2
    assert "merged_in" in kinds(target)
    assert "已转为民情意见 #" + str(main) in client.get(f"/t/{second}").text


def test_unhappy_rating_reopens_the_case(api):  # type: ignore[no-untyped-def]
    topic = api.topic("八号楼李姐", "半夜施工太吵", "工地凌晨还在打桩", ["shigong"])
    case = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})
    cid = case["id"]
    assert case["unit"] == "施工单位"
    api.act("社工小李", cid, "accept")
    api.act("社工小李", cid, "start")
    api.act("社工小李", cid, "resolve", note="已与施工单位约谈")
    reopened = api.act("八号楼李姐", cid, "rate", rating="unsatisfied", note="昨晚还在施工")
    assert reopened["status"] == "in_progress"
    assert reopened["timeline"][-1]["note"] == "昨晚还在施工"
    api.act("八号楼李姐", cid, "rate", rating="satisfied", expect=409)
    api.act("社工小李", cid, "resolve", note="施工单位承诺22点后停工并发放扰民费")
    closed = api.act("社工小李", cid, "close", note="二次办结")
    assert closed["status"] == "closed"


class TestRefusals:
    def test_refused_transition_is_409_and_changes_nothing(self, api):  # type: ignore[no-untyped-def]
        topic = api.topic("七号楼老张", "楼道堆物", "3单元楼道堆满纸箱", ["xiaofang"])
        cid = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})["id"]
        before = api.get(f"/api/v1/cases/{cid}")
        response = api.act("社工小李", cid, "resolve", expect=409, note="x")
        assert response["detail"]
        assert api.get(f"/api/v1/cases/{cid}") == before

    def test_residents_and_visitors_are_refused(self, api, client):  # type: ignore[no-untyped-def]
        topic = api.topic("七号楼老张", "楼道灯坏了", "2单元楼道灯不亮", [])
        api.post("jiayuan_mama", "/api/v1/cases", {"topic_id": topic}, expect=403)
        cid = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})["id"]
        api.act("jiayuan_mama", cid, "accept", expect=403)
        assert client.post(f"/api/v1/cases/{cid}/events", json={"action": "accept"}).status_code == 401

    def test_bad_input_is_4xx_json(self, api, client):  # type: ignore[no-untyped-def]
        topic = api.topic("七号楼老张", "路灯不亮", "小区北门路灯坏了", [])
        cid = api.post("社工小李", "/api/v1/cases", {"topic_id": topic})["id"]
        assert api.act("社工小李", cid, "explode", expect=422)["detail"] == "未知的操作"
        assert api.act("社工小李", cid, "reject", expect=422)["detail"] == "不予受理需要填写理由"
        assert api.act("社工小李", cid, "accept", version=99, expect=409)["detail"].startswith(
            "该民情意见刚刚"
        )
        assert api.act("社工小李", cid, "merge", into=cid, expect=422)
        assert api.act("社工小李", cid, "merge", into=999, expect=422)  # a field of the request, not the URL
        assert api.act("社工小李", cid, "set_deadline", due_date="明天", note="x", expect=422)
        api.post("社工小李", "/api/v1/cases", {"topic_id": topic}, expect=409)
        api.post("社工小李", "/api/v1/cases", {"title": "只有标题"}, expect=422)
        assert client.get("/api/v1/cases/424242").status_code == 404
        assert client.get("/api/v1/cases?status=bogus").status_code == 422
        assert client.get("/api/v1/cases?sort=bogus").status_code == 422

    def test_private_case_hidden_from_public(self, api, client):  # type: ignore[no-untyped-def]
        case = api.post(
            "社工小李",
            "/api/v1/cases",
            {
                "title": "家庭纠纷调解",
                "description": "涉及隐私",
                "source": "walk_in",
                "is_private": True,
                "category": "linli",
            },
        )
        assert client.get(f"/api/v1/cases/{case['id']}").status_code == 404
        assert all(c["id"] != case["id"] for c in client.get("/api/v1/cases").json()["items"])
        assert any(c["id"] == case["id"] for c in api.get("/api/v1/cases", "社工小李")["items"])
        assert client.get(f"/cases/{case['id']}").status_code == 404


def test_list_filters_sorting_and_paging(api):  # type: ignore[no-untyped-def]
    ids = []
    for i, tag in enumerate(["tingche", "tingche", "wuye", "yanggou", "tingche"]):
        topic = api.topic("七号楼老张", f"问题{i}", f"描述{i}", [tag])
        ids.append(
            api.post("社工小李", "/api/v1/cases", {"topic_id": topic, "building": str(i % 2 + 7)})["id"]
        )
    api.act("社工小李", ids[0], "accept")
    listing = api.get("/api/v1/cases?status=submitted&limit=2", "社工小李")
    seen = [c["id"] for c in listing["items"]]
    while listing["next_cursor"]:
        listing = api.get(
            f"/api/v1/cases?status=submitted&limit=2&cursor={listing['next_cursor']}", "社工小李"
        )
        seen += [c["id"] for c in listing["items"]]
    assert seen == sorted(ids[1:], reverse=True)
    assert [c["id"] for c in api.get("/api/v1/cases?building=8", "社工小李")["items"]] == [ids[3], ids[1]]
    assert len(api.get("/api/v1/cases?unit=1", "社工小李")["items"]) == 4  # 物业公司: 停车 x3, 物业 x1
    oldest = api.get("/api/v1/cases?sort=oldest", "社工小李")["items"]
    assert [c["id"] for c in oldest] == ids
