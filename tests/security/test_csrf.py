"""CSRF: every state-changing page route, found through the router, refuses a logged-in browser's
request that lacks the token of its CSRF cookie or carries a wrong one, and nothing changes. The API
takes no cookies at all (a bearer token only), so another site cannot make a browser call it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from security.test_permission_matrix import TABLE, _body, _param_value
from security.world import RouteInfo, build_world, client_as, fill_path, route_table

WRITES = ("POST", "PUT", "PATCH", "DELETE")
CSRF_MESSAGE = "页面已过期或请求来源无效"
# Open to anyone without a login, and they create no session from a cookie: nothing to forge.
API_WITHOUT_LOGIN = {"create_user", "create_token"}


def snapshot(engine) -> dict[str, list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    """Every row of every table, to show that a refused request changed nothing."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(text(f'SELECT * FROM "{table.name}"'))),
            )
            for table in SQLModel.metadata.sorted_tables
        }


# One-click unsubscribe from a mail (RFC 8058): authorised by the signed token in the link, not by
# the browser's session, so a forged request can do no more than the link itself.
TOKEN_LINKS = {"mail:unsubscribe"}


def _ui_writes(app) -> list[RouteInfo]:  # type: ignore[no-untyped-def]
    return [r for r in route_table(app) if r.method in WRITES and not r.is_api and r.name not in TOKEN_LINKS]


def _url(world, route: RouteInfo) -> str:  # type: ignore[no-untyped-def]
    row = TABLE.get(route.name)
    overrides = {k: _param_value(world, v) for k, v in row.params.items()} if row else {}
    return fill_path(route, dict(world.params) | overrides)


def test_there_are_state_changing_routes_to_check(app) -> None:  # type: ignore[no-untyped-def]
    names = {r.name for r in _ui_writes(app)}
    assert {"boards:reply", "accounts:login", "accounts:logout", "admin:set_role", "cases:act"} <= names


@pytest.mark.parametrize("mode", ["no token", "wrong token", "wrong header"])
def test_page_writes_without_the_right_token_are_refused_and_change_nothing(app, session, engine, mode):  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    client, _ = client_as(app, session, world.users["admin"])
    before = snapshot(engine)
    accepted = []
    for route in _ui_writes(app):
        row = TABLE.get(route.name)
        data = {k: str(v) for k, v in (_body(world, row) if row else {}).items()}
        headers = {}
        if mode == "wrong token":
            data["csrf_token"] = "forged-" + client.cookies["forum_csrf"][:20]
        elif mode == "wrong header":
            headers["X-CSRF-Token"] = "forged"
        response = client.request(
            route.method, _url(world, route), data=data, headers=headers, follow_redirects=False
        )
        if response.status_code != 403 or CSRF_MESSAGE not in response.text:
            accepted.append(f"{route.name} {route.method}: {response.status_code}")
    assert not accepted, f"accepted without a valid CSRF token ({mode}): {accepted}"
    assert snapshot(engine) == before
    # The session survived the forged logout.
    assert client.get("/admin").status_code == 200
    client.close()


def test_htmx_header_token_is_accepted(app, session):  # type: ignore[no-untyped-def]
    """The positive case, so the refusals above are about the token: the same write with the
    cookie's token in the X-CSRF-Token header goes through."""
    world = build_world(session, app)
    client, _ = client_as(app, session, world.users["resident"])
    response = client.post(
        f"/t/{world.topic.id}/reply",
        data={"body": "带着令牌"},
        headers={"X-CSRF-Token": client.cookies["forum_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.close()


def test_a_token_from_another_browser_is_refused(app, session, engine):  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    victim, _ = client_as(app, session, world.users["resident"])
    attacker, _ = client_as(app, session, None)
    before = snapshot(engine)
    response = victim.post(
        f"/t/{world.topic.id}/reply",
        data={"body": "别人的令牌", "csrf_token": attacker.cookies["forum_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 403 and CSRF_MESSAGE in response.text
    assert snapshot(engine) == before
    victim.close()
    attacker.close()


def test_api_writes_ignore_the_session_cookie(app, session, engine):  # type: ignore[no-untyped-def]
    """A logged-in browser's cookie does not authenticate an API call: 401, nothing changes."""
    world = build_world(session, app)
    client, _ = client_as(app, session, world.users["admin"])
    before = snapshot(engine)
    wrong = []
    writes = [r for r in route_table(app) if r.is_api and r.method in WRITES]
    assert len(writes) >= 10
    for route in writes:
        if route.name in API_WITHOUT_LOGIN:
            continue
        row = TABLE.get(route.name)
        body = _body(world, row) if row else {}
        response = client.request(
            route.method,
            _url(world, route),
            json=body if route.method != "DELETE" else None,
            headers={"X-CSRF-Token": client.cookies["forum_csrf"]},
        )
        if response.status_code != 401:
            wrong.append(f"{route.name} {route.method}: {response.status_code} {response.text[:120]}")
    assert not wrong, "API writes that a session cookie could drive:\n" + "\n".join(wrong)
    assert snapshot(engine) == before
    client.close()


def test_api_reads_do_not_use_the_session_cookie(app, session):  # type: ignore[no-untyped-def]
    world = build_world(session, app)
    client, headers = client_as(app, session, world.users["staff"])
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/api/v1/users/me", headers=headers).json()["username"] == "社工小李"
    client.close()
