"""A muted account writes nothing others read, anywhere: not on the boards, not as a case (民情意见,
我要反映), not as an answer to a 征求意见. Each refusal is the clear 禁言 message (403; JSON in the
API), never a 500. A banned account is refused as well: by the service, and its sessions are gone."""

from __future__ import annotations

import pytest
from sqlmodel import select

from consultations.helpers import full_answer, ids, parking
from factories import api_token, form_post, login, make_user
from forum import policy
from forum.accounts.models import RoleName
from forum.cases import intake
from forum.cases.models import Case
from forum.consultations import service as consultations
from forum.consultations.models import ConsultationResponse
from forum.errors import NotPermitted
from forum.moderation import service as moderation
from forum.moderation.errors import Muted
from forum.policy import Action

OFFLINE = {"source": "visit", "title": "3单元楼道堆物", "description": "走访时居民反映3单元楼道堆满纸箱"}

# Actions a muted user keeps, and why: none of them puts their words in front of others.
MUTED_MAY = {
    Action.READ: "reading",
    Action.FOLLOW: "following a topic",
    Action.DELETE_OWN: "taking their own words down",
    Action.REQUEST_HOUSEHOLD: "an address for staff only",
    Action.RECEIVE_MAIL: "their own mail settings",
    Action.SEE_PRIVATE: "a read",
    Action.VIEW_CASE_QUEUE: "a read",
    Action.VIEW_AUDIT: "a read",
    Action.REVIEW_HOUSEHOLD: "staff duties; only an admin mutes staff",
    Action.MODERATE: "staff duties; only an admin mutes staff",
    Action.SANCTION: "staff duties; only an admin mutes staff",
    # These two also gate the staff's reads (drafts, results, exports): see policy.MUTED_CANNOT.
    Action.PUBLISH_NOTICE: "staff duties; only an admin mutes staff",
    Action.MANAGE_CONSULTATIONS: "staff duties; only an admin mutes staff",
    # Admins cannot be muted (moderation.service._check_target).
    Action.MANAGE_BOARDS: "admin only",
    Action.MANAGE_CATEGORIES: "admin only",
    Action.MANAGE_ROLES: "admin only",
    Action.MANAGE_UNITS: "admin only",
    Action.MANAGE_WORDS: "admin only",
}


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    volunteer = make_user(session, "信息员老王", role=RoleName.VOLUNTEER)
    resident = make_user(session, "八号楼李姐")
    consultation = parking(session, staff)
    return staff, volunteer, resident, consultation


def mute(session, staff, *users):  # type: ignore[no-untyped-def]
    for user in users:
        moderation.mute_user(session, actor=staff, target=user, days=7, reason="散布不实信息")
    session.commit()


def cases(session) -> list[Case]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(Case)).all())


def answer_form(session, consultation, text: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    (q1, o1), (q2, o2), (q3, _), (q4, _) = ids(session, consultation)
    return {f"q{q1}": str(o1[0]), f"q{q2}": [str(o2[0])], f"q{q3}": "4", f"q{q4}": text}


class TestThePolicy:
    def test_every_action_is_either_closed_to_the_muted_or_listed_as_harmless(self):  # type: ignore[no-untyped-def]
        # A new Action must be placed on one side or the other before this passes.
        assert set(Action) == policy.MUTED_CANNOT | MUTED_MAY.keys()
        assert not policy.MUTED_CANNOT & MUTED_MAY.keys()

    @pytest.mark.parametrize(
        "action",
        [Action.OPEN_CASE, Action.REPORT_CONCERN, Action.ANSWER_CONSULTATION, Action.RECORD_MEETING],
    )
    def test_cases_concerns_answers_and_meetings_are_closed_to_the_muted(self, session, people, action):  # type: ignore[no-untyped-def]
        _, volunteer, *_ = people
        # Meetings are recorded by staff, whom only an admin mutes.
        grid_worker = make_user(session, "网格员小周", role=RoleName.GRID_WORKER)
        muted = grid_worker if action == Action.RECORD_MEETING else volunteer
        assert policy.can(muted, action)
        mute(session, make_user(session, "管理员", role=RoleName.ADMIN), muted)
        with pytest.raises(Muted):
            policy.require(muted, action)


class TestMutedVolunteer:
    def test_cannot_open_a_case_through_the_service(self, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, *_ = people
        intake.open_case(session, actor=volunteer, **OFFLINE)  # type: ignore[arg-type]
        session.commit()
        mute(session, staff, volunteer)
        with pytest.raises(Muted, match="禁言至") as refused:
            intake.open_case(session, actor=volunteer, **OFFLINE)  # type: ignore[arg-type]
        assert refused.value.status_code == 403
        assert len(cases(session)) == 1

    @pytest.mark.parametrize("htmx", [False, True])
    def test_cannot_open_a_case_through_the_form(self, client, session, people, htmx):  # type: ignore[no-untyped-def]
        staff, volunteer, *_ = people
        mute(session, staff, volunteer)
        login(client, "信息员老王")
        assert client.get("/cases/new").status_code == 403
        headers = {"HX-Request": "true"} if htmx else {}
        response = form_post(client, "/cases/new", OFFLINE, headers=headers)
        assert response.status_code == 403 and "你已被禁言至" in response.text
        assert cases(session) == []

    def test_cannot_open_a_case_through_the_api(self, client, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, *_ = people
        mute(session, staff, volunteer)
        response = client.post("/api/v1/cases", json=OFFLINE, headers=api_token(client, "信息员老王"))
        assert response.status_code == 403
        assert response.json()["detail"].startswith("你已被禁言至")
        assert cases(session) == []

    def test_cannot_answer_a_consultation_through_the_service(self, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, _, consultation = people
        mute(session, staff, volunteer)
        with pytest.raises(Muted):
            consultations.submit_answers(
                session,
                actor=volunteer,
                consultation=consultation,
                answers=full_answer(session, consultation, text="物业收费不透明"),
            )
        assert session.exec(select(ConsultationResponse)).all() == []

    def test_cannot_answer_a_consultation_through_the_form_or_the_api(self, client, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, _, consultation = people
        mute(session, staff, volunteer)
        headers = api_token(client, "信息员老王")
        login(client, "信息员老王")
        url = f"/consultations/{consultation.id}/answers"
        page = form_post(client, url, answer_form(session, consultation, "物业收费不透明"))
        assert page.status_code == 403 and "你已被禁言至" in page.text
        q = [qid for qid, _ in ids(session, consultation)]
        body = {"answers": [{"question_id": q[3], "text": "物业收费不透明"}]}
        api = client.post(f"/api/v1/consultations/{consultation.id}/answers", json=body, headers=headers)
        assert api.status_code == 403 and api.json()["detail"].startswith("你已被禁言至")
        session.expire_all()
        assert session.exec(select(ConsultationResponse)).all() == []


class TestMutedResident:
    def test_cannot_file_a_concern(self, session, people):  # type: ignore[no-untyped-def]
        staff, _, resident, _ = people
        mute(session, staff, resident)
        with pytest.raises(Muted):
            intake.report_concern(session, actor=resident, description="路灯坏了一个星期", category="")
        assert cases(session) == []


class TestBannedVolunteer:
    def test_is_refused_by_the_services(self, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, _, consultation = people
        moderation.ban_user(session, actor=staff, target=volunteer, reason="冒充社工")
        session.commit()
        with pytest.raises(NotPermitted):
            intake.open_case(session, actor=volunteer, **OFFLINE)  # type: ignore[arg-type]
        with pytest.raises(NotPermitted):
            consultations.submit_answers(
                session,
                actor=volunteer,
                consultation=consultation,
                answers=full_answer(session, consultation, text="我还要说"),
            )
        assert cases(session) == []

    def test_its_sessions_and_tokens_no_longer_open_cases(self, client, session, people):  # type: ignore[no-untyped-def]
        staff, volunteer, *_ = people
        headers = api_token(client, "信息员老王")
        login(client, "信息员老王")
        moderation.ban_user(session, actor=staff, target=volunteer, reason="冒充社工")
        session.commit()
        assert form_post(client, "/cases/new", OFFLINE).status_code == 401
        assert client.post("/api/v1/cases", json=OFFLINE, headers=headers).status_code == 401
        assert cases(session) == []
