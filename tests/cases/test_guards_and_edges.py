"""What residents and units write on a case passes the word guards; private things stay private
(photos on staff notes, a merged private case's title, phone cases on a profile); stale unit
requests lapse; odd inputs get a clear error, never a 500."""

from __future__ import annotations

import pytest
from sqlmodel import select

from factories import api_token, form_post, login, make_board, make_topic, make_unit_contact, make_user, png
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Post
from forum.boards.service import Upload
from forum.cases import intake, pushback, service
from forum.cases.models import CaseEvent, RequestStatus
from forum.errors import Conflict, Invalid
from forum.guards import service as guards


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    admin = make_user(session, "管理员", role=RoleName.ADMIN)
    wuye = make_unit_contact(session, "物业小刘", "物业公司")
    builder = make_unit_contact(session, "施工队老周", "施工单位")
    guards.add_words(session, actor=admin, words="代开发票", level="block")
    guards.add_words(session, actor=admin, words="维权群", level="hold")
    guards.add_words(session, actor=admin, words="废物", level="mask")
    topic = make_topic(session, board=board, author=poster, title="电梯分时段运行", tags=["wuye"])
    case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    service.perform(session, actor=staff, case=case, action="accept")
    session.commit()
    return poster, staff, wuye, builder, topic, case


class TestWordGuards:
    def test_blocked_and_held_words_are_refused_masked_ones_masked(self, session, world):  # type: ignore[no-untyped-def]
        poster, _staff, wuye, _b, topic, case = world
        with pytest.raises(Invalid):
            service.perform(session, actor=poster, case=case, action="update", note="代开发票找我")
        with pytest.raises(Invalid, match="审核"):
            service.perform(session, actor=poster, case=case, action="update", note="大家加入维权群吧")
        with pytest.raises(Invalid, match="审核"):
            service.perform(session, actor=wuye, case=case, action="comment", note="欢迎加维权群")
        service.perform(session, actor=poster, case=case, action="update", note="物业真是废物")
        event = session.exec(select(CaseEvent).where(CaseEvent.kind == "update")).one()
        assert "废物" not in event.note
        floors = session.exec(select(Post.body).where(Post.topic_id == topic.id, Post.origin == "case")).all()
        assert all("维权群" not in body and "代开发票" not in body and "废物" not in body for body in floors)

    def test_rating_comments_are_screened_too(self, session, world):  # type: ignore[no-untyped-def]
        poster, _staff, wuye, _b, _topic, case = world
        service.perform(session, actor=wuye, case=case, action="start")
        service.perform(session, actor=wuye, case=case, action="resolve", note="已改为24小时运行")
        with pytest.raises(Invalid):
            service.perform(
                session, actor=poster, case=case, action="rate", rating="unsatisfied", note="代开发票"
            )
        assert case.status == "resolved"


class TestPrivacy:
    def test_no_photos_on_a_staff_only_note(self, app, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, *_rest, case = world
        with pytest.raises(Invalid, match="照片"):
            service.perform(
                session,
                actor=staff,
                case=case,
                action="comment",
                note="内部：现场照片",
                private=True,
                uploads=[Upload("x.png", png())],
                store=app.state.images,
            )

    def test_merging_a_private_case_keeps_its_title_private(self, session, world):  # type: ignore[no-untyped-def]
        poster, staff, *_rest, case = world
        secret = intake.report_concern(
            session, actor=poster, description="我家302漏水，邻居401不配合", category="linli", is_private=True
        )
        service.perform(session, actor=staff, case=secret, action="merge", into=case.id)
        merged_in = session.exec(select(CaseEvent).where(CaseEvent.kind == "merged_in")).one()
        assert "漏水" not in merged_in.detail and "不公开" in merged_in.detail

    def test_a_profile_shows_others_only_what_the_person_filed_in_public(self, client, session, world):  # type: ignore[no-untyped-def]
        poster, staff, *_ = world
        intake.open_case(
            session,
            actor=staff,
            source="phone",
            title="邻里噪音投诉",
            description="楼上装修",
            resident=poster.username,
        )
        session.commit()
        assert "邻里噪音投诉" not in client.get(f"/u/{poster.username}").text
        assert "电梯分时段运行" in client.get(f"/u/{poster.username}").text
        login(client, poster.username)
        assert "邻里噪音投诉" in client.get(f"/u/{poster.username}").text


class TestStaleRequests:
    def test_a_request_lapses_when_the_case_moves_to_another_unit(self, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, wuye, builder, _topic, case = world
        old = pushback.ask(
            session, actor=wuye, case=case, action=service.A.REQUEST_RETURN, reason="不归物业管"
        )
        service.assign(session, actor=staff, case=case, unit="施工单位")
        session.refresh(old)
        assert old.status == RequestStatus.REFUSED and "转交" in old.decision_note
        with pytest.raises(Conflict):
            pushback.decide(session, actor=staff, case=case, request_id=old.id, approve=True)  # type: ignore[arg-type]
        # The new unit may ask at once.
        pushback.ask(
            session, actor=builder, case=case, action=service.A.REQUEST_RETURN, reason="不是我们施工的"
        )


class TestOddInputs:
    def test_unit_references_that_only_look_like_numbers(self, client, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, *_rest, case = world
        headers = api_token(client, staff.username)
        for ref in ("²", "9" * 23):
            response = client.post(
                f"/api/v1/cases/{case.id}/events", json={"action": "assign", "unit": ref}, headers=headers
            )
            assert response.status_code == 422 and "未知的责任单位" in response.json()["detail"]

    def test_meeting_with_an_unknown_case_keeps_the_form(self, client, world):  # type: ignore[no-untyped-def]
        _poster, staff, *_ = world
        login(client, staff.username)
        response = form_post(
            client,
            "/meetings/new",
            {
                "kind": "coordination",
                "title": "电梯协调会",
                "starts_at": "2030-03-01T14:30",
                "place": "居委会",
                "minutes": "物业承诺24小时运行",
                "case_ids": "999",
            },
        )
        assert (
            response.status_code == 400 and "#999" in response.text and "物业承诺24小时运行" in response.text
        )
        headers = api_token(client, staff.username)
        body = {"kind": "coordination", "title": "会", "starts_at": "0001-01-01T00:00", "place": "居委会"}
        assert client.post("/api/v1/meetings", json=body, headers=headers).status_code == 422
        body = {**body, "starts_at": "2030-03-01T14:30", "case_ids": [2**70]}
        assert client.post("/api/v1/meetings", json=body, headers=headers).status_code == 422

    def test_merge_into_a_missing_case_is_a_form_error(self, client, world):  # type: ignore[no-untyped-def]
        _poster, staff, *_rest, case = world
        login(client, staff.username)
        response = form_post(client, f"/cases/{case.id}/act", {"action": "merge", "into": "99999"})
        assert response.status_code == 400 and "#99999" in response.text

    def test_a_description_longer_than_a_case_holds(self, session, world):  # type: ignore[no-untyped-def]
        poster, *_ = world
        with pytest.raises(Invalid, match="5000"):
            intake.report_concern(
                session, actor=poster, description="漏" * 5001, category="wuye", is_private=True
            )
        topic = make_topic(
            session, board=boards.get_board_by_slug(session, "minqing"), author=poster, body="长" * 9000
        )
        case = intake.submit_topic(session, actor=poster, topic=topic)
        assert len(case.description) <= 5000

    def test_api_fields_the_chosen_way_does_not_use_are_errors(self, client, session, world):  # type: ignore[no-untyped-def]
        poster, *_ = world
        other = make_topic(
            session, board=boards.get_board_by_slug(session, "minqing"), author=poster, title="路灯"
        )
        headers = api_token(client, poster.username)
        response = client.post(
            "/api/v1/cases", json={"topic_id": other.id, "is_private": True, "contact": "x"}, headers=headers
        )
        assert response.status_code == 422 and "contact" in response.json()["detail"]
        response = client.post(
            "/api/v1/cases",
            json={"category": "wuye", "description": "路灯坏了", "unit": "物业公司"},
            headers=headers,
        )
        assert response.status_code == 422 and "unit" in response.json()["detail"]
