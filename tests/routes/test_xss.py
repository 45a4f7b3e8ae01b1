"""HTML and script typed into every text field a user controls comes back inert."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from factories import form_post, login, make_board, make_topic, make_user
from forum.accounts.models import RoleName

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "[点我](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "**<iframe src=//evil>**",
    "> <details open ontoggle=alert(1)>",
    "\u202e<b>倒序</b>",
]


class _Elements(HTMLParser):
    """The real elements and attributes of a page (escaped text is just text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in ("iframe", "object", "embed", "base", "meta") or (
            tag == "meta" and "http-equiv" not in attrs
        ), tag
        if tag == "script":
            assert attrs.get("src", "").startswith(("/static/", "http://testserver/static/")), attrs  # type: ignore[union-attr]
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:text")), (
                    tag,
                    value,
                )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_title_body_reply_and_subreply_is_inert(client, session, payload):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    alice = make_user(session, "七号楼老张")
    topic = make_topic(
        session, board=board, author=alice, title=f"标题{payload}"[:60], body=f"正文 {payload}"
    )
    login(client, "七号楼老张")
    form_post(client, f"/t/{topic.id}/reply", {"body": f"回复 {payload}"})
    form_post(client, f"/t/{topic.id}/reply", {"body": f"楼中楼 {payload}", "parent_floor": "2"})
    for url in (f"/t/{topic.id}", "/b/yishi", "/", f"/p/{topic.id}/subreplies", "/u/七号楼老张"):
        assert_inert(client.get(url).text)


def test_payload_in_admin_fields_and_household_is_inert(client, session):  # type: ignore[no-untyped-def]
    make_user(session, "管理员", role=RoleName.ADMIN)
    make_user(session, "七号楼老张")
    login(client, "管理员")
    payload = "<img src=x onerror=alert(1)>"
    form_post(client, "/admin/boards", {"slug": "xss", "name": payload[:20], "description": payload})
    form_post(client, "/admin/categories", {"slug": "xss", "name": "<b>x</b>"})
    for url in ("/", "/admin", "/b/xss"):
        assert_inert(client.get(url).text)
    resident = client  # same browser, different user
    login(resident, "七号楼老张")
    response = form_post(resident, "/me/household", {"building": "<b>7</b>", "unit": "1", "room": "1"})
    assert response.status_code == 400 and "只能包含" in response.text, response.text[-3000:]
    assert_inert(response.text)


def test_search_like_query_strings_are_escaped(client, session):  # type: ignore[no-untyped-def]
    make_board(session, "yishi")
    response = client.get("/b/yishi", params={"tag": "<script>alert(1)</script>"[:32]})
    assert_inert(response.text)
    response = client.get("/login", params={"next": '"><script>alert(1)</script>'})
    assert_inert(response.text)
