"""Two staff acting on one case at the same moment, against a running server: exactly one wins,
the other gets 409 — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlmodel import select

from factories import PASSWORD, make_board, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake
from forum.cases.models import Case, CaseEvent
from live_server import live_server

pytestmark = pytest.mark.slow


def test_two_simultaneous_transitions_exactly_one_succeeds(session, database_url, tmp_path):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = [make_user(session, name, role=RoleName.STAFF) for name in ("社工小李", "社工小王")]
    case_ids = []
    for i in range(6):
        topic = make_topic(session, board=board, author=poster, title=f"问题{i}")
        case_ids.append(intake.open_case(session, actor=staff[0], post=boards.first_post(session, topic)).id)
    session.commit()
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    with live_server(database_url, data_dir, workers=2) as base:
        tokens = [
            httpx.post(f"{base}/api/v1/tokens", json={"username": s.username, "password": PASSWORD}).json()[
                "access_token"
            ]
            for s in staff
        ]
        for case_id in case_ids:
            barrier = threading.Barrier(2)
            results: list[int] = []
            # One accepts, the other refuses (不予受理): both start from 新提交, only one may.
            bodies = [{"action": "accept"}, {"action": "reject", "note": "不属于社区职责"}]

            def act(i: int, case_id=case_id, barrier=barrier, bodies=bodies, results=results) -> None:  # type: ignore[no-untyped-def]
                with httpx.Client(base_url=base, timeout=30) as http:
                    barrier.wait()
                    response = http.post(
                        f"/api/v1/cases/{case_id}/events",
                        json=bodies[i],
                        headers={"Authorization": f"Bearer {tokens[i]}"},
                    )
                    results.append(response.status_code)

            threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(results) == [201, 409], results
    session.expire_all()
    for case_id in case_ids:
        case = session.get(Case, case_id)
        assert case.status in ("accepted", "rejected") and case.version == 2
        events = session.exec(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
        assert sorted(events) == sorted(["opened", "accept" if case.status == "accepted" else "reject"])
