"""What everyone sees of a case: the unit's answer and every public event in the linked thread,
photos of the report and of the fix, Markdown like posts, residents' updates."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from factories import form_post, login, make_board, make_topic, make_unit_contact, make_user, png
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Image, Post, Topic
from forum.boards.service import Upload
from forum.cases import intake, photos, service
from forum.cases.models import CaseEvent
from forum.errors import Conflict


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    unit = make_unit_contact(session, "物业小刘")
    topic = make_topic(
        session,
        board=board,
        author=poster,
        title="7号楼院内乱停车",
        body="**消防通道**被堵住了：\n\n- 一户限一个车位\n- 外来车辆登记",
        tags=["tingche"],
    )
    case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    session.commit()
    return poster, staff, unit, topic, case


def floors(session, topic_id: int) -> list[Post]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(Post).where(Post.topic_id == topic_id).order_by(col(Post.floor))).all())


class TestThread:
    def test_unit_answer_and_status_changes_appear_as_floors(self, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, unit, topic, case = world
        replies_before = session.get(Topic, topic.id).reply_count  # type: ignore[union-attr]
        service.perform(session, actor=staff, case=case, action="accept")
        service.perform(session, actor=unit, case=case, action="comment", note="已安排保安夜间巡查")
        service.perform(
            session, actor=staff, case=case, action="note", note="内部：物业态度消极", private=True
        )
        session.commit()
        echoed = [p for p in floors(session, topic.id) if p.origin == "case"]
        assert [p.author_id for p in echoed] == [staff.id, unit.id]
        assert "已安排保安夜间巡查" in echoed[1].body and "单位答复" in echoed[1].body
        assert all("物业态度消极" not in p.body for p in echoed)
        fresh = session.get(Topic, topic.id)
        session.refresh(fresh)
        assert fresh.reply_count == replies_before + 2 and fresh.last_poster_id == unit.id  # type: ignore[union-attr]

    def test_private_cases_stay_out_of_the_thread(self, session, world):  # type: ignore[no-untyped-def]
        poster, staff, _unit, _topic, _case = world
        board = make_board(session, "other")
        topic = make_topic(session, board=board, author=poster, title="邻居噪音", tags=["linli"])
        case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic), is_private=True)
        service.perform(session, actor=staff, case=case, action="accept", note="已受理")
        session.commit()
        assert [p.origin for p in floors(session, topic.id)] == [""]

    def test_echo_floors_are_not_edited_as_posts(self, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, _unit, topic, case = world
        service.perform(session, actor=staff, case=case, action="accept")
        echo = next(p for p in floors(session, topic.id) if p.origin)
        with pytest.raises(Conflict, match="办理记录"):
            boards.edit_post(session, actor=staff, post=echo, body="改掉")
        with pytest.raises(Conflict, match="办理记录"):
            boards.delete_post(session, actor=staff, post=echo)

    def test_readers_of_the_thread_see_the_answer(self, client, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, unit, topic, case = world
        service.perform(session, actor=staff, case=case, action="accept")
        service.perform(session, actor=unit, case=case, action="comment", note="停车区已经划线")
        session.commit()
        html = client.get(f"/t/{topic.id}").text
        assert 'data-testid="case-floor"' in html and "停车区已经划线" in html


class TestCasePage:
    def test_description_and_notes_render_as_markup(self, client, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, _unit, _topic, case = world
        service.perform(
            session, actor=staff, case=case, action="comment", note="处理方案：\n\n- 划线\n- **登记**"
        )
        session.commit()
        html = client.get(f"/cases/{case.id}").text
        assert "<strong>消防通道</strong>" in html and "<li>一户限一个车位</li>" in html
        assert "<li>划线</li>" in html and "<strong>登记</strong>" in html
        assert "- 一户限一个车位" not in html and "**" not in html

    def test_photos_of_the_report_and_of_the_fix(self, client, app, session, world):  # type: ignore[no-untyped-def]
        poster, staff, unit, topic, case = world
        store = app.state.images
        boards.reply(
            session, actor=poster, topic=topic, body="补一张图", uploads=[Upload("a.png", png())], store=store
        )
        service.perform(session, actor=staff, case=case, action="accept")
        service.perform(session, actor=unit, case=case, action="start")
        service.perform(
            session,
            actor=unit,
            case=case,
            action="resolve",
            note="整改完成",
            uploads=[Upload("after.png", png("blue"))],
            store=store,
        )
        session.commit()
        kinds = [p.kind for p in photos.photos_of(session, case)]
        assert kinds == ["after"]  # the reply's picture is not a linked post's
        resolve = session.exec(select(CaseEvent).where(CaseEvent.kind == "resolve")).one()
        assert photos.photos_of(session, case)[0].event_id == resolve.id
        html = client.get(f"/cases/{case.id}").text
        assert "整改后" in html

    def test_photos_only_with_actions_that_take_them(self, app, session, world):  # type: ignore[no-untyped-def]
        _poster, staff, _unit, _topic, case = world
        from forum.errors import Invalid

        with pytest.raises(Invalid, match="照片"):
            service.perform(
                session,
                actor=staff,
                case=case,
                action="accept",
                uploads=[Upload("x.png", png())],
                store=app.state.images,
            )

    def test_private_case_photos_are_served_to_its_people_only(
        self, client, app, session, world, make_client
    ):  # type: ignore[no-untyped-def]
        poster, staff, *_ = world
        case = intake.report_concern(
            session,
            actor=poster,
            description="家门口的监控拍到有人撬锁",
            category="xiaofang",
            is_private=True,
            uploads=[Upload("door.png", png())],
            store=app.state.images,
        )
        session.commit()
        key = session.exec(select(Image.key).order_by(col(Image.id).desc())).first()
        neighbour = make_user(session, "隔壁")
        assert client.get(f"/media/{key}.thumb.jpg").status_code == 404
        login(client, poster.username)
        assert client.get(f"/media/{key}.thumb.jpg").status_code == 200
        other = make_client()
        login(other, neighbour.username)
        assert other.get(f"/media/{key}.thumb.jpg").status_code == 404
        assert other.get(f"/cases/{case.id}").status_code == 404
        assert staff is not None

    def test_resident_adds_an_update_with_a_photo(self, client, session, world):  # type: ignore[no-untyped-def]
        poster, staff, *_rest, case = world
        login(client, poster.username)
        response = form_post(
            client,
            f"/cases/{case.id}/act",
            {"action": "update", "note": "还没修好，今晚又堵了"},
            files=[("photos", ("again.png", png(), "image/png"))],
        )
        assert response.status_code == 303, response.text
        event = session.exec(select(CaseEvent).where(CaseEvent.kind == "update")).one()
        assert event.actor_id == poster.id and event.is_public
        assert [p.kind for p in photos.photos_of(session, case)] == ["report"]
        assert "还没修好，今晚又堵了" in client.get(f"/cases/{case.id}").text
        assert staff is not None

    def test_contact_details_are_for_staff_and_the_unit(self, client, session, world, make_client):  # type: ignore[no-untyped-def]
        poster, staff, unit, *_ = world
        case = intake.report_concern(
            session,
            actor=poster,
            description="门口路灯坏了",
            category="wuye",
            contact="电话 139-0000-0000",
        )
        service.perform(session, actor=staff, case=case, action="accept")
        session.commit()
        assert "139-0000-0000" not in client.get(f"/cases/{case.id}").text
        login(client, unit.username)
        assert "139-0000-0000" in client.get(f"/cases/{case.id}").text
