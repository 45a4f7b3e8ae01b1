"""/api/v1/consultations: list, detail with questions, staff-only publishing, answers (201, then
200 on change; 409 after the close or for a second household member; 422 for invalid answers),
results (403 before the close unless shown early)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consultations.helpers import close_now, resident, staff
from factories import api_token
from forum.consultations.models import Consultation, ConsultationAnswer, ConsultationResponse
from forum.timeutil import utcnow

BODY = {
    "title": "7/8号楼院内停车区规划方案",
    "description": "物业拟规划 24 个车位",
    "audience": "member",
    "questions": [
        {"kind": "single", "prompt": "支持规划停车区吗？", "options": ["支持", "不支持"]},
        {
            "kind": "multiple",
            "prompt": "需要哪些设施？",
            "options": ["照明", "监控", "充电桩"],
            "max_choices": 2,
        },
        {"kind": "rating", "prompt": "对现在的停车秩序打分"},
        {"kind": "text", "prompt": "其他建议", "required": False},
    ],
}


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def api(client, session):  # type: ignore[no-untyped-def]
    staff(session)
    resident(session, "七号楼老张", home=("7", "2", "301"))
    resident(session, "张家闺女", home=("7", "2", "301"))
    resident(session, "八号楼李姐")

    class Api:
        tokens = {
            name: api_token(client, name) for name in ("社工小李", "七号楼老张", "张家闺女", "八号楼李姐")
        }

        def call(self, method: str, url: str, who: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
            return client.request(method, url, headers=self.tokens[who] if who else {}, **kw)  # type: ignore[arg-type]

        def create(self, **changes: object) -> dict:  # type: ignore[type-arg]
            body = {**BODY, "closes_at": (utcnow() + timedelta(days=7)).isoformat(), **changes}
            response = self.call("POST", "/api/v1/consultations", "社工小李", json=body)
            assert response.status_code == 201, response.text
            return response.json()  # type: ignore[no-any-return]

    return Api()


def answers(detail: dict, pick: int = 0, many: tuple[int, ...] = (0,), rating: int = 4) -> dict:  # type: ignore[type-arg]
    q = detail["questions"]
    return {
        "answers": [
            {"question_id": q[0]["id"], "option_ids": [q[0]["options"][pick]["id"]]},
            {"question_id": q[1]["id"], "option_ids": [q[1]["options"][i]["id"] for i in many]},
            {"question_id": q[2]["id"], "rating": rating},
            {"question_id": q[3]["id"], "text": "晚上加装照明"},
        ]
    }


def test_staff_publish_and_everyone_reads(api):  # type: ignore[no-untyped-def]
    created = api.create()
    assert [q["kind"] for q in created["questions"]] == ["single", "multiple", "rating", "text"]
    assert created["state"] == "open" and created["questions"][1]["max_choices"] == 2
    listed = api.call("GET", "/api/v1/consultations").json()
    assert [c["id"] for c in listed] == [created["id"]] and listed[0]["results_available"] is False
    detail = api.call("GET", f"/api/v1/consultations/{created['id']}").json()
    assert detail["questions"][0]["options"][0]["label"] == "支持" and detail["my_answers"] is None


def test_non_staff_may_not_publish(api, session):  # type: ignore[no-untyped-def]
    body = {**BODY, "closes_at": (utcnow() + timedelta(days=7)).isoformat()}
    assert api.call("POST", "/api/v1/consultations", "七号楼老张", json=body).status_code == 403
    assert api.call("POST", "/api/v1/consultations", json=body).status_code == 401
    review = {"year": 2025, "closes_at": (utcnow() + timedelta(days=7)).isoformat()}
    assert api.call("POST", "/api/v1/consultations/reviews", "七号楼老张", json=review).status_code == 403
    assert count(session, Consultation) == 0


def test_invalid_consultations_are_422_with_a_message(api, session):  # type: ignore[no-untyped-def]
    bad = {**BODY, "closes_at": (utcnow() - timedelta(days=1)).isoformat()}
    response = api.call("POST", "/api/v1/consultations", "社工小李", json=bad)
    assert response.status_code == 422 and response.json()["detail"] == "截止时间必须晚于现在"
    too_long = {**BODY, "title": "长" * 500, "closes_at": (utcnow() + timedelta(days=1)).isoformat()}
    assert api.call("POST", "/api/v1/consultations", "社工小李", json=too_long).status_code == 422
    assert count(session, Consultation) == 0


def test_answer_201_then_change_200_and_my_answers_echo(api, session):  # type: ignore[no-untyped-def]
    detail = api.create()
    url = f"/api/v1/consultations/{detail['id']}/answers"
    first = api.call("POST", url, "八号楼李姐", json=answers(detail))
    assert first.status_code == 201 and first.json()["created"] is True
    second = api.call("POST", url, "八号楼李姐", json=answers(detail, pick=1, many=(1, 2)))
    assert second.status_code == 200 and second.json()["created"] is False
    assert second.json()["response_id"] == first.json()["response_id"]
    mine = api.call("GET", f"/api/v1/consultations/{detail['id']}", "八号楼李姐").json()["my_answers"]
    assert mine[0]["option_ids"] == [detail["questions"][0]["options"][1]["id"]]
    assert count(session, ConsultationResponse) == 1


def test_second_household_member_is_409(api, session):  # type: ignore[no-untyped-def]
    detail = api.create(audience="household")
    url = f"/api/v1/consultations/{detail['id']}/answers"
    assert api.call("POST", url, "七号楼老张", json=answers(detail)).status_code == 201
    refused = api.call("POST", url, "张家闺女", json=answers(detail, pick=1))
    assert refused.status_code == 409 and "您家已有成员" in refused.json()["detail"]
    unverified = api.call("POST", url, "八号楼李姐", json=answers(detail))
    assert unverified.status_code == 403 and "住户认证" in unverified.json()["detail"]
    assert count(session, ConsultationResponse) == 1


def test_after_the_close_answers_are_409_and_nothing_changes(api, session):  # type: ignore[no-untyped-def]
    detail = api.create()
    url = f"/api/v1/consultations/{detail['id']}/answers"
    api.call("POST", url, "八号楼李姐", json=answers(detail))
    close_now(session, session.get(Consultation, detail["id"]))
    late = api.call("POST", url, "八号楼李姐", json=answers(detail, pick=1))
    assert late.status_code == 409 and "截止" in late.json()["detail"]
    assert api.call("POST", url, "七号楼老张", json=answers(detail)).status_code == 409
    option_ids = session.exec(
        select(ConsultationAnswer.option_id).where(ConsultationAnswer.option_id.is_not(None))
    ).all()  # type: ignore[union-attr]
    assert (
        detail["questions"][0]["options"][0]["id"] in option_ids and count(session, ConsultationResponse) == 1
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a, d: a["answers"][0].update(option_ids=[d["questions"][1]["options"][0]["id"]]), "选项无效"),
        (
            lambda a, d: a["answers"][1].update(option_ids=[o["id"] for o in d["questions"][1]["options"]]),
            "最多选 2 项",
        ),
        (lambda a, d: a["answers"][2].update(rating=9), "1–5 分"),
        (lambda a, d: a["answers"].pop(0), "必答题"),
        (lambda a, d: a["answers"].append({"question_id": 999999, "rating": 3}), "不属于本次征求意见"),
    ],
)
def test_invalid_answers_are_422_and_nothing_saved(api, session, mutate, message):  # type: ignore[no-untyped-def]
    detail = api.create()
    body = answers(detail)
    mutate(body, detail)
    response = api.call("POST", f"/api/v1/consultations/{detail['id']}/answers", "八号楼李姐", json=body)
    assert response.status_code == 422 and message in response.json()["detail"]
    assert count(session, ConsultationResponse) == 0


def test_results_403_before_the_close_then_published(api, session):  # type: ignore[no-untyped-def]
    detail = api.create()
    api.call("POST", f"/api/v1/consultations/{detail['id']}/answers", "八号楼李姐", json=answers(detail))
    url = f"/api/v1/consultations/{detail['id']}/results"
    assert api.call("GET", url, "八号楼李姐").status_code == 403
    assert api.call("GET", url, "社工小李").status_code == 200
    close_now(session, session.get(Consultation, detail["id"]))
    results = api.call("GET", url).json()
    assert results["response_count"] == 1 and results["state"] == "closed"
    single = results["questions"][0]
    assert [(o["label"], o["count"], o["percent"]) for o in single["options"]] == [
        ("支持", 1, 100.0),
        ("不支持", 0, 0.0),
    ]
    assert results["questions"][2]["average"] == 4.0 and results["questions"][3]["texts"] == ["晚上加装照明"]


def test_results_shown_early_when_the_consultation_says_so(api):  # type: ignore[no-untyped-def]
    detail = api.create(results_visible_before_close=True)
    assert api.call("GET", f"/api/v1/consultations/{detail['id']}/results").status_code == 200


def test_review_by_api_and_results_by_subject(api, session):  # type: ignore[no-untyped-def]
    review = api.call(
        "POST",
        "/api/v1/consultations/reviews",
        "社工小李",
        json={
            "year": 2025,
            "closes_at": (utcnow() + timedelta(days=7)).isoformat(),
            "subjects": ["社区居委会", "物业公司"],
            "criteria": ["服务态度"],
            "audience": "member",
        },
    )
    assert review.status_code == 201, review.text
    detail = review.json()
    body = {
        "answers": [
            {"question_id": q["id"], "rating": 5 if q["subject"] == "物业公司" else 3}
            for q in detail["questions"]
            if q["subject"]
        ]
    }
    assert (
        api.call("POST", f"/api/v1/consultations/{detail['id']}/answers", "八号楼李姐", json=body).status_code
        == 201
    )
    closed = api.call("POST", f"/api/v1/consultations/{detail['id']}/close", "社工小李")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    results = api.call("GET", f"/api/v1/consultations/{detail['id']}/results").json()
    assert {s["subject"]: s["average"] for s in results["by_subject"]} == {"社区居委会": 3.0, "物业公司": 5.0}
