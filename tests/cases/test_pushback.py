"""Units push back: 退单, 改派申请 and 延期申请, each approved or refused by staff; and staff are
warned when a case sits with a unit nobody answers for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from factories import form_post, login, make_board, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake, pushback, service, units
from forum.cases.models import CaseRequest, RequestStatus, Status
from forum.errors import Conflict, Invalid, NotPermitted
from forum.notifications.models import Notification
from forum.timeutil import SHANGHAI, utcnow


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    wuye = make_unit_contact(session, "物业小刘", "物业公司")
    builder = make_unit_contact(session, "施工队老周", "施工单位")
    topic = make_topic(session, board=board, author=poster, title="48路公交站台太高", tags=["wuye"])
    case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    service.perform(session, actor=staff, case=case, action="accept")
    session.commit()
    return staff, wuye, builder, case


def inbox_of(session, user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(Notification.detail).where(Notification.user_id == user.id)).all())


class TestReturn:
    def test_approved_return_takes_the_case_back_for_routing(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, _builder, case = world
        request = pushback.ask(
            session,
            actor=wuye,
            case=case,
            action=service.A.REQUEST_RETURN,
            reason="公交站台不属于物业管理范围",
        )
        assert request.status == RequestStatus.PENDING
        assert any("退单" in d for d in inbox_of(session, staff))
        with pytest.raises(Conflict, match="待审批"):
            pushback.ask(session, actor=wuye, case=case, action=service.A.REQUEST_RETURN, reason="再说一次")
        pushback.decide(session, actor=staff, case=case, request_id=request.id, approve=True)  # type: ignore[arg-type]
        assert case.unit_id is None and request.status == RequestStatus.APPROVED
        assert any("同意" in d for d in inbox_of(session, wuye))
        # The unit that sent it back no longer answers for it.
        with pytest.raises(NotPermitted):
            service.perform(session, actor=wuye, case=case, action="start")

    def test_refused_return_keeps_the_unit_and_needs_a_reason(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, _builder, case = world
        unit_id = case.unit_id
        request = pushback.ask(
            session, actor=wuye, case=case, action=service.A.REQUEST_RETURN, reason="不归我们管"
        )
        with pytest.raises(Invalid, match="理由"):
            pushback.decide(session, actor=staff, case=case, request_id=request.id, approve=False)  # type: ignore[arg-type]
        pushback.decide(
            session,
            actor=staff,
            case=case,
            request_id=request.id,
            approve=False,
            note="站台在小区红线内",  # type: ignore[arg-type]
        )
        assert case.unit_id == unit_id and request.status == RequestStatus.REFUSED
        with pytest.raises(Conflict, match="处理过"):
            pushback.decide(session, actor=staff, case=case, request_id=request.id, approve=True)  # type: ignore[arg-type]

    def test_only_the_cases_unit_may_ask_and_only_staff_decide(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, builder, case = world
        with pytest.raises(NotPermitted):
            pushback.ask(
                session, actor=builder, case=case, action=service.A.REQUEST_RETURN, reason="不是我们"
            )
        request = pushback.ask(
            session, actor=wuye, case=case, action=service.A.REQUEST_RETURN, reason="不是我们"
        )
        with pytest.raises(NotPermitted):
            pushback.decide(session, actor=wuye, case=case, request_id=request.id, approve=True)  # type: ignore[arg-type]
        assert staff is not None


class TestReassign:
    def test_approved_reassign_goes_to_the_suggested_unit(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, builder, case = world
        with pytest.raises(Invalid, match="建议改派"):
            pushback.ask(
                session, actor=wuye, case=case, action=service.A.REQUEST_REASSIGN, reason="施工造成的"
            )
        request = pushback.ask(
            session,
            actor=wuye,
            case=case,
            action=service.A.REQUEST_REASSIGN,
            reason="站台是施工方改的",
            unit="施工单位",
        )
        pushback.decide(session, actor=staff, case=case, request_id=request.id, approve=True, note="同意")  # type: ignore[arg-type]
        assert units.get_unit(session, case.unit_id).name == "施工单位"  # type: ignore[arg-type]
        assert any("新的待办" in d for d in inbox_of(session, builder))

    def test_refused_reassign_changes_nothing(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, _builder, case = world
        before = case.unit_id
        request = pushback.ask(
            session,
            actor=wuye,
            case=case,
            action=service.A.REQUEST_REASSIGN,
            reason="施工方的事",
            unit="施工单位",
        )
        pushback.decide(
            session, actor=staff, case=case, request_id=request.id, approve=False, note="先由物业协调"
        )  # type: ignore[arg-type]
        assert case.unit_id == before


class TestExtend:
    def test_approved_extension_moves_the_deadline(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, _builder, case = world
        new_day = (utcnow() + timedelta(days=30)).astimezone(SHANGHAI).date()
        with pytest.raises(Invalid, match="晚于当前期限"):
            pushback.ask(
                session,
                actor=wuye,
                case=case,
                action=service.A.REQUEST_EXTENSION,
                reason="等材料",
                due_date=utcnow().astimezone(SHANGHAI).date(),
            )
        request = pushback.ask(
            session,
            actor=wuye,
            case=case,
            action=service.A.REQUEST_EXTENSION,
            reason="坡道材料要定做",
            due_date=new_day,
        )
        pushback.decide(session, actor=staff, case=case, request_id=request.id, approve=True)  # type: ignore[arg-type]
        assert case.due_at is not None and case.due_at.astimezone(SHANGHAI).date() == new_day

    def test_refused_extension_keeps_the_deadline(self, session, world):  # type: ignore[no-untyped-def]
        staff, wuye, _builder, case = world
        due = case.due_at
        request = pushback.ask(
            session,
            actor=wuye,
            case=case,
            action=service.A.REQUEST_EXTENSION,
            reason="人手不够",
            due_date=(utcnow() + timedelta(days=40)).astimezone(SHANGHAI).date(),
        )
        pushback.decide(
            session, actor=staff, case=case, request_id=request.id, approve=False, note="请按期完成"
        )  # type: ignore[arg-type]
        assert case.due_at == due


def test_pushback_through_the_case_page(client, session, world, make_client):  # type: ignore[no-untyped-def]
    staff, wuye, _builder, case = world
    login(client, wuye.username)
    page = client.get(f"/cases/{case.id}")
    assert 'data-testid="pushback"' in page.text
    response = form_post(
        client, f"/cases/{case.id}/act", {"action": "request_return", "note": "公交站台不归物业管"}
    )
    assert response.status_code == 303
    assert 'data-testid="pending-request"' in client.get(f"/cases/{case.id}").text
    request = session.exec(select(CaseRequest)).one()
    staff_client = make_client()
    login(staff_client, staff.username)
    assert 'data-testid="approve-request"' in staff_client.get(f"/cases/{case.id}").text
    refused = form_post(
        staff_client, f"/cases/{case.id}/act", {"action": "refuse_request", "request_id": request.id}
    )
    assert refused.status_code == 400 and "驳回申请需要说明理由" in refused.text
    done = form_post(
        staff_client, f"/cases/{case.id}/act", {"action": "approve_request", "request_id": request.id}
    )
    assert done.status_code == 303
    session.commit()  # a fresh snapshot: the app wrote since this session last read
    session.refresh(case)
    assert case.unit_id is None and case.status == Status.ACCEPTED


def test_staff_are_warned_about_a_unit_without_contact(client, session, world):  # type: ignore[no-untyped-def]
    staff, _wuye, _builder, case = world
    service.assign(session, actor=staff, case=case, unit="街道城管科")
    session.commit()
    assert "还没有联系人" in (service.unit_warning(session, case) or "")
    session.commit()
    login(client, staff.username)
    assert 'data-testid="unit-warning"' in client.get(f"/cases/{case.id}").text
    session.commit()
    service.assign(session, actor=staff, case=case, unit="物业公司")
    assert service.unit_warning(session, case) is None
