"""Meetings through the JSON API: one meeting as JSON and as an iCalendar file."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from factories import api_token, make_user
from forum.accounts.models import RoleName


@pytest.fixture
def meeting_id(client, session) -> int:  # type: ignore[no-untyped-def]
    make_user(session, "社工小李", role=RoleName.STAFF)
    response = client.post(
        "/api/v1/meetings",
        json={
            "kind": "coordination",
            "title": "7/8号楼停车协调会",
            "starts_at": "2026-03-02T14:00:00+08:00",
            "place": "社区二楼会议室",
            "decisions": "物业先摸清车辆数量",
        },
        headers=api_token(client, "社工小李"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


class TestMeetingCalendar:
    def test_ics_url_answers_an_icalendar_file(self, client, meeting_id) -> None:  # type: ignore[no-untyped-def]
        response = client.get(f"/api/v1/meetings/{meeting_id}.ics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/calendar")
        [event] = Calendar.from_ical(response.content).walk("VEVENT")
        assert "7/8号楼停车协调会" in str(event["summary"])
        assert str(event["location"]) == "社区二楼会议室"

    def test_json_url_still_answers_the_meeting(self, client, meeting_id) -> None:  # type: ignore[no-untyped-def]
        response = client.get(f"/api/v1/meetings/{meeting_id}")
        assert response.status_code == 200 and response.json()["title"] == "7/8号楼停车协调会"

    @pytest.mark.parametrize("url", ["/api/v1/meetings/999999.ics", "/api/v1/meetings/abc.ics"])
    def test_unknown_meeting_is_404_json(self, client, meeting_id, url) -> None:  # type: ignore[no-untyped-def]
        response = client.get(url)
        assert response.status_code == 404 and isinstance(response.json()["detail"], str), response.text
