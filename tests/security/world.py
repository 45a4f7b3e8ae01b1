"""A small community built through the factories and services, with one person of every role, for
the security tests: who may call which route, and who may read which private data.

`route_table(app)` lists every route of the app from its router, so a route added tomorrow shows up
in these tests without anyone remembering to add it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from factories import make_board, make_reply, make_topic, make_unit_contact, make_user
from forum.accounts import service as accounts
from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.models import Board, Category, Post, Topic
from forum.boards.models import Image as PostImage
from forum.boards.service import Upload
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings
from forum.cases import service as cases
from forum.cases.models import Case, Meeting, Unit
from forum.routes.deps import SESSION_COOKIE

ROLES = ("visitor", "resident", "staff", "unit_contact", "admin")
# Routes that are not the app's own: documentation, the schema itself, static files.
NOT_OURS = frozenset({"/static", "/docs", "/docs/oauth2-redirect", "/api/v1/openapi.json"})

# Private data of one resident, and a staff-only note: distinctive strings to look for in pages.
REAL_NAME = "秦淑芬真名"
PHONE = "13912345678"
ROOM = "Z0917"
STAFF_NOTE = "内部备注XN42物业经理私下说明"
PASSWORD = "correct-horse-42"


@dataclass(frozen=True)
class RouteInfo:
    name: str
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)


def route_table(app) -> list[RouteInfo]:  # type: ignore[no-untyped-def]
    """Every (name, method, path) the app answers, HEAD left out (it follows GET)."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None or path in NOT_OURS or not route.methods:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            found.append(RouteInfo(str(route.name), method, path))
    return found


@dataclass
class World:
    users: dict[str, User]  # by role; "visitor" is absent
    other_resident: User
    private_resident: User
    board: Board
    other_board: Board
    staff_board: Board  # 居务公开: only staff open topics there
    topic: Topic  # by the resident
    first_post: Post
    reply: Post  # by the resident; became `case`
    other_post: Post  # a 楼中楼 reply by the other resident
    throwaway_topics: list[Topic]  # by the resident, for the deleting routes
    throwaway_posts: list[Post]
    staff_topic: Topic
    case: Case
    private_case: Case  # of the private resident, with a staff-only note
    meeting: Meeting
    unit: Unit
    category: Category
    household_id: int
    image_name: str
    params: dict[str, object] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.users.get(role)


def png_bytes(size: tuple[int, int] = (24, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def build_world(session: Session, app) -> World:  # type: ignore[no-untyped-def]
    resident = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    admin = make_user(session, "管理员", role=RoleName.ADMIN)
    contact = make_unit_contact(session, "物业小刘")
    other = make_user(session, "八号楼王阿姨")
    private = make_user(session, "九号楼秦阿姨")
    board = make_board(session, "yishi", name="社区议事")
    other_board = make_board(session, "tiaozao", name="跳蚤市场")
    staff_board = make_board(session, "juwu", name="居务公开", staff_only_topics=True)
    topic = make_topic(session, board=board, author=resident, title="7号楼院内乱停车", tags=["tingche"])
    reply = make_reply(session, topic=topic, author=resident, body="晚上更严重，救护车都进不来")
    other_post = make_reply(session, topic=topic, author=other, body="楼中楼：同感", parent_floor=2)
    throwaway_topics = [
        make_topic(session, board=board, author=resident, title=f"待删主题{i}") for i in range(3)
    ]
    throwaway_posts = [
        make_reply(session, topic=topic, author=resident, body=f"待删回复{i}") for i in range(3)
    ]
    staff_topic = make_topic(session, board=staff_board, author=staff, title="2024年第三季度居务公开")
    first_post = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()

    unit = session.exec(select(Unit).where(Unit.name == "物业公司")).one()
    category = session.exec(select(Category).order_by(Category.id)).first()
    assert category is not None
    case = case_intake.open_case(session, actor=staff, post=reply, title="7号楼院内乱停车", unit=unit.id)
    session.commit()
    extra = _parallel_domains(session, staff=staff, admin=admin)

    accounts.request_household(
        session, actor=private, building="9", unit="2", room=ROOM, real_name=REAL_NAME, phone=PHONE
    )
    household = accounts.household_of(session, private)
    assert household is not None
    private_case = case_intake.open_case(
        session,
        actor=staff,
        source="phone",
        title="楼道堆放杂物",
        description="九号楼二单元楼道堆满纸箱",
        resident=private.username,
        unit=unit.id,
        is_private=True,
    )
    cases.comment(session, actor=staff, case=private_case, note=STAFF_NOTE, public=False)
    meeting = case_meetings.record_meeting(
        session,
        actor=staff,
        kind="coordination",
        title="停车协调会",
        starts_at=datetime.now(UTC) + timedelta(days=2),
        place="居委会二楼会议室",
        case_ids=[case.id],  # type: ignore[list-item]
    )
    session.commit()
    with_picture = boards.reply(  # a floor with a picture, posted the way residents post one
        session,
        actor=resident,
        topic=topic,
        body="现场照片",
        uploads=[Upload("photo.png", png_bytes())],
        store=app.state.images,
    )
    session.commit()
    [stored] = session.exec(select(PostImage).where(PostImage.post_id == with_picture.id)).all()
    world = World(
        users={"resident": resident, "staff": staff, "unit_contact": contact, "admin": admin},
        other_resident=other,
        private_resident=private,
        board=board,
        other_board=other_board,
        staff_board=staff_board,
        topic=topic,
        first_post=first_post,
        reply=reply,
        other_post=other_post,
        throwaway_topics=throwaway_topics,
        throwaway_posts=throwaway_posts,
        staff_topic=staff_topic,
        case=case,
        private_case=private_case,
        meeting=meeting,
        unit=unit,
        category=category,
        household_id=household.id,  # type: ignore[arg-type]
        image_name=f"{stored.key}.{stored.ext}",
    )
    world.params = {
        "slug": board.slug,
        "topic_id": topic.id,
        "post_id": reply.id,
        "floor": 2,
        "board_id": board.id,
        "category_id": category.id,
        "case_id": case.id,
        "meeting_id": meeting.id,
        "unit_id": unit.id,
        "user_id": other.id,
        "household_id": household.id,
        "username": resident.username,
        "name": world.image_name,
        # Ids of things no one has (yet): the routes answer 404 for every role.
        "attachment_id": 987654,
        "action": "dismiss",
    } | extra
    return world


def _parallel_domains(session: Session, *, staff: User, admin: User) -> dict[str, object]:
    """A notice, a consultation and a sensitive word, through their services."""
    from forum.consultations import service as consultations
    from forum.guards import service as guards
    from forum.notices import service as notices

    notice = notices.create_notice(
        session,
        actor=staff,
        title="关于小区停车管理的通知",
        body="即日起夜间禁止占用消防通道。",
        category="announcement",
    )
    consultation = consultations.create_consultation(
        session,
        actor=staff,
        title="院内停车区怎么划",
        closes_at=datetime.now(UTC) + timedelta(days=7),
        questions=[
            consultations.QuestionDraft(kind="single", prompt="您支持吗？", options=["支持", "不支持"])
        ],
    )
    [word] = guards.add_words(session, actor=admin, words="违禁词甲", level="mask")
    session.commit()
    return {"notice_id": notice.id, "consultation_id": consultation.id, "word_id": word.id}


def client_as(app, session: Session, user: User | None) -> tuple[TestClient, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A browser logged in as `user` (or nobody), with its CSRF token, and the API headers of a
    bearer token for the same user."""
    client = TestClient(app)
    api_headers: dict[str, str] = {}
    if user is not None:
        web, _ = accounts.start_session(session, user=user, kind="web", days=1)
        api, _ = accounts.start_session(session, user=user, kind="api", days=1)
        session.commit()
        client.cookies.set(SESSION_COOKIE, web)
        api_headers = {"Authorization": f"Bearer {api}"}
    client.get("/login")  # the CSRF cookie
    return client, api_headers


def fill_path(route: RouteInfo, params: dict[str, object]) -> str:
    missing = [p for p in route.params if p not in params]
    assert not missing, (
        f"route {route.name} ({route.method} {route.path}): no test value for path parameter(s) "
        f"{missing}; add one to tests/security/world.py"
    )
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(params[m.group(1)]), route.path)
