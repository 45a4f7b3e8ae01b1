"""我要反映 and 提交给社区: a resident files a concern themselves, through the service, the page
and the API, with photos; no 社工 involved until triage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from factories import api_token, form_post, login, make_board, make_topic, make_unit_contact, make_user, png
from forum.accounts.models import Household, HouseholdStatus, RoleName
from forum.boards.models import Image, Topic
from forum.boards.service import Upload
from forum.cases import access, intake, photos, queries, service
from forum.cases.models import Case, CasePhoto, Source, Status
from forum.errors import Invalid, NotPermitted
from forum.moderation.errors import Muted
from forum.timeutil import utcnow


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing", name="民情反映")
    resident = make_user(session, "七号楼老张")
    session.add(
        Household(
            user_id=resident.id,  # type: ignore[arg-type]
            building="7",
            unit="2",
            room="301",
            status=HouseholdStatus.APPROVED,
        )
    )
    session.commit()
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    unit = make_unit_contact(session, "物业小刘", "物业公司")
    return board, resident, staff, unit


@pytest.fixture
def store(app):  # type: ignore[no-untyped-def]
    return app.state.images


class TestReportConcern:
    def test_public_report_lands_as_submitted_with_a_thread_and_photos(self, session, world, store):  # type: ignore[no-untyped-def]
        board, resident, _staff, unit = world
        case = intake.report_concern(
            session,
            actor=resident,
            description="7号楼2单元电梯停了两天。老人上下楼很困难",
            category="wuye",
            building="7",
            entrance="2",
            contact="电话 13800000000，晚上方便",
            uploads=[Upload("lift.png", png()), Upload("door.png", png("blue"))],
            store=store,
        )
        session.commit()
        assert case.status == Status.SUBMITTED and case.source == Source.REPORT
        assert case.poster_id == resident.id and case.opened_by_id == resident.id
        assert case.title == "7号楼2单元电梯停了两天"
        assert (case.building, case.entrance, case.contact) == ("7", "2", "电话 13800000000，晚上方便")
        assert case.household_id is not None
        # No unit hears of it before staff triage.
        assert case.unit_id is None
        topic = session.get(Topic, case.topic_id)
        assert topic is not None and topic.board_id == board.id and not case.is_private
        found = photos.photos_of(session, case)
        assert [p.kind for p in found] == ["post", "post"]
        # Staff triage: accepting routes it by its category to the default unit, who hears of it.
        service.perform(session, actor=world[2], case=case, action="accept")
        session.commit()
        assert case.unit_id is not None and access.who(session, unit, case)

    def test_private_report_has_no_thread_and_keeps_its_photos_on_the_case(self, session, world, store):  # type: ignore[no-untyped-def]
        _board, resident, staff, _unit = world
        case = intake.report_concern(
            session,
            actor=resident,
            description="楼上邻居家暴，晚上经常听到哭声",
            category="linli",
            is_private=True,
            uploads=[Upload("a.png", png())],
            store=store,
        )
        session.commit()
        assert case.is_private and case.topic_id is None
        assert [p.kind for p in photos.photos_of(session, case)] == ["report"]
        other = make_user(session, "邻居")
        assert not access.can_see(session, other, case)
        assert access.can_see(session, staff, case) and access.can_see(session, resident, case)

    def test_category_is_required_and_photos_are_checked(self, session, world, store):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        with pytest.raises(Invalid, match="分类"):
            intake.report_concern(session, actor=resident, description="路灯坏了", category="")
        with pytest.raises(Invalid):
            intake.report_concern(
                session,
                actor=resident,
                description="路灯坏了",
                category="huanjing",
                is_private=True,
                uploads=[Upload("fake.png", b"not an image")],
                store=store,
            )
        with pytest.raises(Invalid, match="最多"):
            intake.report_concern(
                session,
                actor=resident,
                description="路灯坏了",
                category="huanjing",
                is_private=True,
                uploads=[Upload(f"{n}.png", png()) for n in range(10)],
                store=store,
            )

    def test_visitors_and_muted_residents_cannot_report(self, session, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        from forum.errors import NotAuthenticated

        with pytest.raises(NotAuthenticated):
            intake.report_concern(session, actor=None, description="路灯坏了", category="huanjing")
        resident.muted_until = utcnow() + timedelta(days=1)
        with pytest.raises(Muted):
            intake.report_concern(session, actor=resident, description="路灯坏了", category="huanjing")

    def test_household_prefills_building_and_entrance(self, session, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        assert intake.household_prefill(session, resident) == {"building": "7", "entrance": "2"}
        assert intake.household_prefill(session, make_user(session, "新来的")) == {}


class TestSubmitTopic:
    def test_author_hands_in_own_topic(self, session, world):  # type: ignore[no-untyped-def]
        board, resident, *_ = world
        topic = make_topic(session, board=board, author=resident, title="地库漏水", tags=["wuye"])
        case = intake.submit_topic(session, actor=resident, topic=topic)
        assert case.topic_id == topic.id and case.source == Source.REPORT and case.poster_id == resident.id
        assert case.status == Status.SUBMITTED

    def test_only_the_author(self, session, world):  # type: ignore[no-untyped-def]
        board, resident, *_ = world
        topic = make_topic(session, board=board, author=resident, title="地库漏水", tags=["wuye"])
        with pytest.raises(NotPermitted):
            intake.submit_topic(session, actor=make_user(session, "路人"), topic=topic)

    def test_several_tags_need_a_choice(self, session, world):  # type: ignore[no-untyped-def]
        board, resident, staff, _ = world
        topic = make_topic(
            session, board=board, author=resident, title="停车又扰民", tags=["tingche", "shigong"]
        )
        with pytest.raises(Invalid, match="多个分类"):
            intake.submit_topic(session, actor=resident, topic=topic)
        with pytest.raises(Invalid, match="多个分类"):
            intake.open_case(session, actor=staff, post=intake.boards.first_post(session, topic))
        case = intake.submit_topic(session, actor=resident, topic=topic, category="shigong")
        assert case.category_id is not None


class TestPages:
    def test_resident_files_through_the_page_with_a_photo(self, client, session, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        login(client, resident.username)
        form = client.get("/cases/report")
        assert form.status_code == 200 and 'value="7"' in form.text and 'value="2"' in form.text
        response = form_post(
            client,
            "/cases/report",
            {"description": "垃圾桶满了三天没人清", "category": "huanjing", "building": "7", "entrance": "2"},
            files=[("photos", ("bin.png", png(), "image/png"))],
        )
        assert response.status_code == 303, response.text
        case_url = response.headers["location"]
        page = client.get(case_url)
        assert page.status_code == 200 and "垃圾桶满了三天没人清" in page.text and "新提交" in page.text
        assert 'data-testid="case-photos"' in page.text
        key = session.exec(select(Image.key).order_by(Image.id.desc())).first()  # type: ignore[union-attr]
        assert client.get(f"/media/{key}.thumb.jpg").status_code == 200
        assert "垃圾桶满了三天没人清" in client.get("/me/cases").text
        profile = client.get(f"/u/{resident.username}")
        assert 'data-testid="profile-cases"' in profile.text and "垃圾桶满了三天没人清" in profile.text

    def test_a_broken_rule_keeps_what_was_typed(self, client, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        login(client, resident.username)
        response = form_post(client, "/cases/report", {"description": "电梯又坏了，困了人", "category": ""})
        assert response.status_code == 400
        assert "电梯又坏了，困了人" in response.text and "请选择问题分类" in response.text

    def test_visitors_are_sent_to_log_in(self, client, world):  # type: ignore[no-untyped-def]
        response = client.get("/cases/report", follow_redirects=False)
        assert response.status_code == 303 and "/login" in response.headers["location"]

    def test_submit_own_topic_from_the_topic_page(self, client, session, world):  # type: ignore[no-untyped-def]
        board, resident, *_ = world
        topic = make_topic(session, board=board, author=resident, title="地库漏水", tags=["wuye"])
        login(client, resident.username)
        assert 'data-testid="submit-topic"' in client.get(f"/t/{topic.id}").text
        response = form_post(client, f"/t/{topic.id}/concern")
        assert response.status_code == 303
        assert 'data-testid="case-banner"' in client.get(f"/t/{topic.id}").text

    def test_similar_open_cases_offer_me_too(self, client, session, world):  # type: ignore[no-untyped-def]
        _board, resident, staff, _ = world
        existing = intake.report_concern(
            session, actor=staff, description="7号楼电梯坏了，一直停运", category="wuye"
        )
        session.commit()
        login(client, resident.username)
        html = client.get("/cases/report/similar", params={"description": "电梯坏了好几天"}).text
        assert f"/cases/{existing.id}/support" in html and 'data-testid="similar-support"' in html


class TestApi:
    def test_resident_files_through_the_api_with_photos(self, client, session, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        headers = api_token(client, resident.username)
        response = client.post(
            "/api/v1/cases",
            json={
                "category": "wuye",
                "description": "地下车库入口积水",
                "building": "7",
                "contact": "站内消息",
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "submitted" and body["source"] == "report" and body["building"] == "7"
        added = client.post(
            f"/api/v1/cases/{body['id']}/photos",
            data={"note": "今天更严重了"},
            files=[("photos", ("water.png", png(), "image/png"))],
            headers=headers,
        )
        assert added.status_code == 201, added.text
        kinds = [p["kind"] for p in added.json()["photos"]]
        assert "report" in kinds and added.json()["timeline"][-1]["kind"] == "update"
        mine = client.get("/api/v1/me/cases", headers=headers).json()
        assert [c["id"] for c in mine] == [body["id"]]

    def test_errors_are_json(self, client, world):  # type: ignore[no-untyped-def]
        _board, resident, *_ = world
        headers = api_token(client, resident.username)
        response = client.post("/api/v1/cases", json={"description": "路灯坏了"}, headers=headers)
        assert response.status_code == 422 and "分类" in response.json()["detail"]
        assert client.post("/api/v1/cases", json={"category": "wuye", "description": "x"}).status_code == 401
        assert client.get("/api/v1/me/cases").status_code == 401

    def test_staff_still_record_offline_concerns(self, client, session, world):  # type: ignore[no-untyped-def]
        _board, resident, staff, _ = world
        response = client.post(
            "/api/v1/cases",
            json={
                "source": "phone",
                "title": "路灯不亮",
                "description": "3号楼前路灯",
                "resident": resident.username,
            },
            headers=api_token(client, staff.username),
        )
        assert response.status_code == 201 and response.json()["source"] == "phone"
        case = session.get(Case, response.json()["id"])
        assert case is not None
        logged = queries.my_cases(session, viewer=staff).logged
        assert [r.case.id for r in logged] == [case.id]
        assert session.exec(select(CasePhoto)).all() == []
