"""Builders for users, boards, topics and replies, through the real services."""

from __future__ import annotations

import itertools
import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from forum.accounts import service as accounts
from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


def make_user(session: Session, username: str | None = None, role: str = RoleName.RESIDENT) -> User:
    user = accounts.register(session, username=username or f"user{next(_seq)}", password=PASSWORD, role=role)
    session.commit()
    return user


def make_board(session: Session, slug: str | None = None, name: str = "社区议事", **kw: object) -> Board:
    admin = User(id=0, username="system", username_key="system", password_hash="", role=RoleName.ADMIN)
    n = next(_seq)
    board = boards.create_board(session, actor=admin, slug=slug or f"board-{n}", name=name, **kw)  # type: ignore[arg-type]
    session.commit()
    return board


def make_topic(
    session: Session,
    *,
    board: Board,
    author: User,
    title: str = "7号楼院内乱停车",
    body: str = "消防通道被堵住了",
    tags: list[str] | None = None,
) -> Topic:
    topic = boards.create_topic(session, actor=author, board=board, title=title, body=body, tags=tags or [])
    session.commit()
    return topic


def make_reply(session: Session, *, topic: Topic, author: User, body: str = "同感", **kw: object) -> Post:
    post = boards.reply(session, actor=author, topic=topic, body=body, **kw)  # type: ignore[arg-type]
    session.commit()
    return post


def png(color: str = "red", size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real PNG, for uploads."""
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def csrf(client: TestClient) -> str:
    """The CSRF token of this browser (fetching a page first if it has no cookie yet)."""
    if "forum_csrf" not in client.cookies:
        client.get("/login")
    return client.cookies["forum_csrf"]


def form_post(client: TestClient, url: str, data: dict | None = None, **kw: object):  # type: ignore[no-untyped-def]
    payload = {"csrf_token": csrf(client), **(data or {})}
    return client.post(url, data=payload, follow_redirects=False, **kw)  # type: ignore[arg-type]


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    response = form_post(client, "/login", {"username": username, "password": password})
    assert response.status_code == 303, response.text


def api_token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def floors_on_page(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="floor-(\d+)"', html)]


def make_unit_contact(session: Session, username: str, unit_name: str = "物业公司") -> User:
    """A user who answers for a unit (units come from the migration's seed)."""
    from sqlmodel import select

    from forum.cases.models import Unit, UnitMember

    user = make_user(session, username, role=RoleName.UNIT_CONTACT)
    unit = session.exec(select(Unit).where(Unit.name == unit_name)).one()
    session.add(UnitMember(unit_id=unit.id, user_id=user.id))  # type: ignore[arg-type]
    session.commit()
    return user
