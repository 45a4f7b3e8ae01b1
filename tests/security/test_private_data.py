"""Private data never reaches someone who may not see it: a resident's real name, phone and 门牌,
and a staff-only note on their case, are looked for in the answer of every GET route (pages and
API, found through the router) as a visitor, another resident and a unit's contact. Staff see them
where they are meant to."""

from __future__ import annotations

import pytest

from security.world import (
    PHONE,
    REAL_NAME,
    ROOM,
    STAFF_NOTE,
    World,
    build_world,
    client_as,
    fill_path,
    route_table,
)

SECRETS = {"real name": REAL_NAME, "phone": PHONE, "门牌": ROOM, "staff note": STAFF_NOTE}


def _urls(app, world: World) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET route, filled in with the world's objects and again with the private resident's
    (their profile, their private case), plus searches for each secret."""
    private = {
        "case_id": world.private_case.id,
        "username": world.private_resident.username,
        "user_id": world.private_resident.id,
    }
    urls = []
    for route in route_table(app):
        if route.method != "GET":
            continue
        for params in (world.params, world.params | private):
            url = fill_path(route, params)
            if url not in urls:
                urls.append(url)
    # Searches for a part of each secret (a page may echo the query itself, which is no leak).
    for part in (REAL_NAME[:3], PHONE[:8], ROOM[:3], STAFF_NOTE[6:12]):
        urls += [f"/search?q={part}", f"/api/v1/search?q={part}", f"/search/similar?title={part}"]
        urls += [f"/cases/queue?building={part}", f"/mod/users?username={part}"]
    return urls


def _get(client, headers, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, headers=headers if url.startswith("/api/") else {}, follow_redirects=False)
    assert response.status_code < 500, (url, response.status_code)
    return response.content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("who", ["visitor", "other resident", "unit contact", "resident"])
def test_private_data_is_not_shown_to_others(app, session, who: str) -> None:  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    viewer = {
        "visitor": None,
        "other resident": world.other_resident,
        "unit contact": world.users["unit_contact"],
        "resident": world.users["resident"],
    }[who]
    client, headers = client_as(app, session, viewer)
    leaks = []
    for url in _urls(app, world):
        text = _get(client, headers, url)
        leaks += [f"{label} in {url}" for label, secret in SECRETS.items() if secret in text]
    client.close()
    assert not leaks, f"as {who}:\n" + "\n".join(leaks)


def test_staff_see_private_data_where_they_need_it(app, session) -> None:  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    client, headers = client_as(app, session, world.users["staff"])
    profile = _get(client, headers, f"/u/{world.private_resident.username}")
    assert REAL_NAME in profile and PHONE in profile and ROOM in profile
    review = _get(client, headers, "/admin/households")
    assert REAL_NAME in review and PHONE in review and ROOM in review
    assert STAFF_NOTE in _get(client, headers, f"/cases/{world.private_case.id}")
    assert STAFF_NOTE in _get(client, headers, f"/api/v1/cases/{world.private_case.id}")
    client.close()


def test_residents_see_their_own_private_data_but_not_staff_notes(app, session) -> None:  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    client, headers = client_as(app, session, world.private_resident)
    profile = _get(client, headers, f"/u/{world.private_resident.username}")
    assert REAL_NAME in profile and PHONE in profile and ROOM in profile
    case = _get(client, headers, f"/cases/{world.private_case.id}")
    assert "楼道堆放杂物" in case and STAFF_NOTE not in case  # their own case, without the staff note
    assert STAFF_NOTE not in _get(client, headers, f"/api/v1/cases/{world.private_case.id}")
    client.close()


def test_unit_contact_sees_the_private_case_of_their_unit_without_the_note(app, session) -> None:  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    client, _ = client_as(app, session, world.users["unit_contact"])
    response = client.get(f"/cases/{world.private_case.id}")
    assert response.status_code == 200 and "楼道堆放杂物" in response.text
    assert STAFF_NOTE not in response.text
    visitor, _ = client_as(app, session, None)
    assert visitor.get(f"/cases/{world.private_case.id}").status_code == 404
    client.close()
    visitor.close()
