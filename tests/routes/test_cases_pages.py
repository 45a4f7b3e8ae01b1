"""民情意见 pages through HTTP: flagging from a post, the case page and its forms, the banner on
the topic, 我也遇到, lists and CSV, meetings and .ics, the admin page for units."""

from __future__ import annotations

import csv
import io
import re

import pytest
from icalendar import Calendar

from factories import csrf, form_post, login, make_board, make_reply, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.timeutil import SHANGHAI


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing", name="民情反映")
    poster = make_user(session, "七号楼老张")
    make_user(session, "jiayuan_mama")
    make_user(session, "社工小李", role=RoleName.STAFF)
    make_user(session, "管理员", role=RoleName.ADMIN)
    make_unit_contact(session, "物业小刘")
    topic = make_topic(session, board=board, author=poster, title="7号楼院内乱停车", tags=["tingche"])
    reply = make_reply(session, topic=topic, author=poster, body="晚上更严重，救护车都进不来")
    return topic, reply


def _flag(client, post_id: int, **data: str) -> int:  # type: ignore[no-untyped-def]
    response = form_post(client, f"/p/{post_id}/flag", {"title": "7号楼院内乱停车", **data})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


class TestFlagging:
    def test_flag_form_is_prefilled_from_tags(self, client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        page = client.get(f"/p/{reply.id}/flag").text
        assert re.search(r'value="tingche"\s+selected', page)
        assert re.search(r'value="1"\s+selected>物业公司', page)

    def test_residents_see_no_flag_link_and_cannot_flag(self, client, world):  # type: ignore[no-untyped-def]
        topic, reply = world
        login(client, "jiayuan_mama")
        assert 'data-testid="flag-case"' not in client.get(f"/t/{topic.id}").text
        assert client.get(f"/p/{reply.id}/flag").status_code == 403
        assert form_post(client, f"/p/{reply.id}/flag", {"title": "x"}).status_code == 403

    def test_flagging_a_floor_puts_a_banner_on_the_topic(self, client, make_client, world):  # type: ignore[no-untyped-def]
        topic, reply = world
        login(client, "社工小李")
        assert 'data-testid="flag-case"' in client.get(f"/t/{topic.id}").text
        case_id = _flag(client, reply.id, category="tingche")
        visitor = make_client()
        page = visitor.get(f"/t/{topic.id}").text
        assert f"已转为民情意见 #{case_id}" in page and "新提交" in page and "物业公司" in page
        form_post(client, f"/cases/{case_id}/act", {"action": "accept", "version": "1"})
        assert "已受理" in visitor.get(f"/t/{topic.id}").text

    def test_invalid_flag_keeps_the_draft(self, client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        response = form_post(
            client, f"/p/{reply.id}/flag", {"title": "夜间停车", "building": "7号楼东侧靠近南门的那片空地"}
        )
        assert (
            response.status_code == 400
            and "楼号不能超过" in response.text
            and 'value="夜间停车"' in response.text
        )

    def test_offline_case(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        response = form_post(
            client,
            "/cases/new",
            {
                "title": "楼道堆物",
                "description": "3单元楼道堆满纸箱",
                "source": "visit",
                "category": "xiaofang",
                "building": "3",
            },
        )
        assert response.status_code == 303
        page = client.get(response.headers["location"]).text
        assert "走访" in page and "3号楼" in page and "社区派出所" in page


class TestCasePage:
    def test_full_flow_through_the_forms(self, client, make_client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id)
        url = f"/cases/{case_id}"
        assert form_post(client, f"{url}/act", {"action": "accept", "version": "1"}).status_code == 303
        unit = make_client()
        login(unit, "物业小刘")
        assert "7号楼院内乱停车" in unit.get("/cases/todo").text
        assert form_post(unit, f"{url}/act", {"action": "start"}).status_code == 303
        assert (
            form_post(unit, f"{url}/act", {"action": "comment", "note": "已安排保安夜间巡查"}).status_code
            == 303
        )
        assert form_post(unit, f"{url}/act", {"action": "resolve", "note": "划定停车区"}).status_code == 303
        poster = make_client()
        login(poster, "七号楼老张")
        page = poster.get(url).text
        assert 'data-testid="rate-satisfied"' in page and "单位回复" in page and "已安排保安夜间巡查" in page
        inbox = poster.get("/notifications").text
        assert "更新了民情意见" in inbox and "已解决" in inbox
        assert form_post(poster, f"{url}/act", {"action": "rate", "rating": "satisfied"}).status_code == 303
        assert "已评价" in client.get(url).text

    def test_refused_action_shows_chinese_message_and_changes_nothing(self, client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id)
        response = form_post(client, f"/cases/{case_id}/act", {"action": "resolve", "note": "x"})
        assert response.status_code == 409 and "只有已受理或处理中的民情意见可以办结" in response.text
        assert "新提交" in client.get(f"/cases/{case_id}").text
        stale = form_post(client, f"/cases/{case_id}/act", {"action": "accept", "version": "7"})
        assert stale.status_code == 409 and "请刷新页面后重试" in stale.text

    def test_private_notes_are_for_staff_only(self, client, make_client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id)
        form_post(
            client,
            f"/cases/{case_id}/act",
            {"action": "comment", "note": "户主电话13800001111", "private": "true"},
        )
        assert "13800001111" in client.get(f"/cases/{case_id}").text
        assert "13800001111" not in make_client().get(f"/cases/{case_id}").text
        resident = make_client()
        login(resident, "jiayuan_mama")
        assert "13800001111" not in resident.get(f"/cases/{case_id}").text

    def test_support_from_the_topic_with_and_without_htmx(self, client, make_client, world):  # type: ignore[no-untyped-def]
        topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id)
        resident = make_client()
        login(resident, "jiayuan_mama")
        assert 'data-testid="support"' in resident.get(f"/t/{topic.id}").text
        response = form_post(resident, f"/cases/{case_id}/support", {"on": "1", "back": f"/t/{topic.id}"})
        assert response.status_code == 303 and response.headers["location"] == f"/t/{topic.id}"
        fragment = resident.post(
            f"/cases/{case_id}/support",
            data={"on": "1"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(resident)},
        )
        assert "我也遇到 · 1" in fragment.text and "<html" not in fragment.text
        assert form_post(make_client(), f"/cases/{case_id}/support", {"on": "1"}).status_code == 401


class TestLists:
    def test_public_list_queue_and_csv(self, client, make_client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id, building="7")
        form_post(
            client,
            "/cases/new",
            {"title": '=HYPERLINK("x")', "description": "公式注入", "source": "phone", "is_private": "true"},
        )
        public = make_client().get("/cases").text
        assert "7号楼院内乱停车" in public and "HYPERLINK" not in public
        assert "HYPERLINK" in client.get("/cases/queue").text
        assert make_client().get("/cases/queue").status_code == 401
        exported = client.get("/cases/queue.csv?building=7")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["编号", "标题", "状态"] and rows[1][:3] == [
            str(case_id),
            "7号楼院内乱停车",
            "新提交",
        ]
        everything = list(csv.reader(io.StringIO(client.get("/cases/queue.csv").content.decode("utf-8-sig"))))
        assert any(r[1].startswith("'=HYPERLINK") for r in everything)

    @pytest.mark.parametrize(
        "query",
        [
            "status=bogus",
            "sort=bogus",
            "date_from=2026-13-40",
            "cursor=%%%",
            "date_from=2026-05-01&date_to=2026-01-01",
            "category=abc",
        ],
    )
    def test_bad_filters_are_explained(self, client, world, query):  # type: ignore[no-untyped-def]
        response = client.get(f"/cases?{query}")
        assert response.status_code == 422 and "<html" in response.text


class TestMeetings:
    def test_record_meeting_shows_on_timeline_and_exports_ics(self, client, world):  # type: ignore[no-untyped-def]
        _topic, reply = world
        login(client, "社工小李")
        case_id = _flag(client, reply.id)
        response = form_post(
            client,
            "/meetings/new",
            {
                "kind": "coordination",
                "title": "7/8号楼停车协调会",
                "starts_at": "2026-03-02T14:00",
                "ends_at": "2026-03-02T15:30",
                "place": "居委会二楼会议室",
                "attendees": "七号楼老张、物业公司",
                "decisions": "规划停车区",
                "case_ids": f"#{case_id}",
            },
        )
        assert response.status_code == 303
        meeting_url = response.headers["location"]
        assert "7/8号楼停车协调会" in client.get(f"/cases/{case_id}").text
        ics = client.get(meeting_url.replace("http://testserver", "") + "/ics")
        event = next(c for c in Calendar.from_ical(ics.content).walk() if c.name == "VEVENT")
        assert (
            str(event["summary"]) == "协调会：7/8号楼停车协调会"
            and str(event["location"]) == "居委会二楼会议室"
        )
        assert event.decoded("dtstart").astimezone(SHANGHAI).hour == 14

    def test_bad_meeting_input(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        for data, message in [
            ({"starts_at": "昨天"}, "时间格式"),
            ({"case_ids": "abc"}, "编号"),
            ({"ends_at": "2026-03-02T13:00"}, "结束时间"),
        ]:
            base = {"kind": "talk", "title": "恳谈会", "starts_at": "2026-03-02T14:00", "place": "会议室"}
            response = form_post(client, "/meetings/new", {**base, **data})
            assert response.status_code == 400 and message in response.text, data
        login(client, "jiayuan_mama")
        assert form_post(client, "/meetings/new", {"title": "x"}).status_code == 403


def test_admin_edits_units_members_and_routes(client, world):  # type: ignore[no-untyped-def]
    login(client, "管理员")
    assert form_post(client, "/admin/units", {"name": "街道市政科"}).status_code == 303
    page = client.get("/admin/units").text
    assert "街道市政科" in page
    assert form_post(client, "/admin/units", {"name": "街道市政科"}).status_code == 409
    assert form_post(client, "/admin/units/1/members", {"username": "jiayuan_mama"}).status_code == 303
    assert "jiayuan_mama" in client.get("/admin/units").text
    assert form_post(client, "/admin/routes/1", {"unit": "2", "deadline_days": "3"}).status_code == 303
    assert form_post(client, "/admin/routes/1", {"unit": "2", "deadline_days": "0"}).status_code == 422
    login(client, "社工小李")
    assert client.get("/admin/units").status_code == 403


def test_offline_case_tied_to_a_resident_and_filtered_by_handler(client, make_client, session, world):  # type: ignore[no-untyped-def]
    from forum.accounts import service as accounts

    accounts.request_household(
        session, actor=accounts.get_user_by_name(session, "七号楼老张"), building="7", unit="2", room="301"
    )
    session.commit()
    login(client, "社工小李")
    response = form_post(
        client,
        "/cases/new",
        {
            "title": "楼道灯不亮",
            "description": "电话反映2单元楼道灯坏了",
            "source": "phone",
            "resident": "七号楼老张",
        },
    )
    assert response.status_code == 303
    case_url = response.headers["location"].replace("http://testserver", "")
    assert "7号楼" in client.get(case_url).text  # building taken from the resident's household
    unknown = form_post(
        client, "/cases/new", {"title": "x", "description": "y", "source": "phone", "resident": "不存在的人"}
    )
    assert unknown.status_code == 400 and "找不到这个居民" in unknown.text
    case_id = case_url.rsplit("/", 1)[1]
    form_post(client, f"/cases/{case_id}/act", {"action": "assign", "handler": "社工小李"})
    staff_id = re.search(
        r'<option value="(\d+)"\s*>社工小李</option>', client.get("/cases/queue").text
    ).group(1)  # type: ignore[union-attr]
    queue = client.get(f"/cases/queue?handler={staff_id}").text
    assert "楼道灯不亮" in queue and "7号楼院内乱停车" not in queue
    resident = make_client()
    login(resident, "七号楼老张")
    assert "楼道灯不亮" in resident.get("/notifications").text


def test_filter_forms_submitted_as_is_work(client, world):  # type: ignore[no-untyped-def]
    """An untouched filter form sends empty values for "any": that is not an error."""
    login(client, "社工小李")
    empty = "status=&category=&unit=&handler=&source=&building=&date_from=&date_to=&sort=newest"
    assert client.get(f"/cases?{empty}").status_code == 200
    assert client.get(f"/cases/queue?{empty}").status_code == 200
