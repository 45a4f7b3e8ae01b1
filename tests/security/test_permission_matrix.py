"""Who may call which route: every route of the app, found through its router, is called as a
visitor, a resident, a staff member, a unit's contact and an admin, and the answer is compared with
the table below. A route that is not in the table fails the test by name, so a new route cannot be
left unchecked.

Writes carry a valid CSRF token (UI) or a bearer token (API), so a refusal here is about
permission, not about the token. Each role gets a fresh community (its own database); routes that
delete or log out run last, on objects kept for them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from httpx import Response

from security.world import ROLES, RouteInfo, World, build_world, client_as, fill_path, route_table

# Expected outcome per role, in the order of ROLES: visitor, resident, staff, unit_contact, admin.
#   Y  allowed: 2xx/3xx, or a 400/409/413/422 about the content (not about who asks)
#   N  refused: 401/403
#   L  sent to the login page (a page that needs a user, for a visitor)
#   H  hidden: 404, the resource does not exist for this person


@dataclass(frozen=True)
class Row:
    expect: str
    body: dict[str, object] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> World attribute


ALL = "YYYYY"
MEMBERS = "NYYYY"
AUTHOR_OR_MOD = "NYYNY"  # the resident wrote the post; staff and admin moderate
STAFF = "NNYNY"
ADMIN = "NNNNY"
CASE_WORKERS = "NNYYY"  # staff, and the contact of the case's unit
LOGIN_FIRST = "LYYYY"

TOPIC = {"title": "楼下新开了一家早餐店", "body": "豆浆油条都有，价格公道"}
MEETING = {"kind": "coordination", "title": "停车协调会", "starts_at": "2030-03-01T14:30", "place": "居委会"}

TABLE: dict[str, Row] = {
    # --- forum pages
    "boards:home": Row(ALL),
    "boards:board": Row(ALL),
    "boards:new_topic": Row(LOGIN_FIRST),
    "boards:create_topic": Row(MEMBERS, TOPIC),
    "boards:topic": Row(ALL),
    "boards:floor": Row(ALL),
    "boards:post": Row(ALL),
    "boards:reply": Row(MEMBERS, {"body": "同意楼上"}),
    "boards:subreplies": Row(ALL),
    "boards:edit_form": Row(AUTHOR_OR_MOD),
    "boards:edit": Row(AUTHOR_OR_MOD, {"body": "补充：周末也这样"}),
    "boards:revisions": Row(AUTHOR_OR_MOD),
    "boards:delete": Row(AUTHOR_OR_MOD, params={"post_id": "throwaway_post_0"}),
    "boards:like": Row(MEMBERS),
    "boards:follow": Row(MEMBERS),
    "boards:moderate": Row(STAFF, {"action": "pin"}),
    "boards:move": Row(STAFF, {"board_id": "other_board"}),
    "boards:hide": Row(STAFF, params={"post_id": "throwaway_post_2"}),
    # --- 民情意见
    "cases:public": Row(ALL),
    "cases:queue": Row(STAFF),
    "cases:export": Row(STAFF),
    "cases:todo": Row(LOGIN_FIRST),
    "cases:new": Row(STAFF),
    "cases:flag_form": Row(STAFF),
    "cases:flag": Row(STAFF, {"title": "救护车进不来"}, params={"post_id": "first_post"}),
    "cases:create": Row(STAFF, {"title": "路灯不亮", "description": "三号楼门口", "source": "visit"}),
    "cases:case": Row(ALL),
    "cases:report_form": Row(LOGIN_FIRST),
    "cases:report": Row(MEMBERS, {"description": "三号楼门口路灯不亮", "category": "huanjing"}),
    "cases:report_similar": Row(ALL),
    "cases:submit_topic": Row("NYNNN"),  # the resident wrote the topic; only its author hands it in
    "cases:mine": Row(LOGIN_FIRST),
    "cases:act": Row(CASE_WORKERS, {"action": "comment", "note": "已联系物业"}),
    "cases:support": Row(MEMBERS),
    "cases:meetings": Row(ALL),
    "cases:new_meeting": Row(STAFF),
    "cases:create_meeting": Row(STAFF, MEETING),
    "cases:meeting": Row(ALL),
    "cases:meeting_ics": Row(ALL),
    "cases:units": Row(ADMIN),
    "cases:create_unit": Row(ADMIN, {"name": "绿化队"}),
    "cases:unit_member": Row(ADMIN, {"username": "八号楼王阿姨", "on": "1"}),
    "cases:set_route": Row(ADMIN, {"unit": "", "deadline_days": "7"}),
    # --- search
    "search:page": Row(ALL),
    "search:similar": Row(ALL),
    "api_search": Row(ALL),
    # --- accounts
    "accounts:register_form": Row(ALL),
    "accounts:register": Row(ALL),  # an empty form: 400 with the reason
    "accounts:login_form": Row(ALL),
    "accounts:login": Row(ALL),
    "accounts:logout": Row(ALL),
    "accounts:profile": Row(ALL),
    "accounts:household_form": Row(LOGIN_FIRST),
    "accounts:password_form": Row(LOGIN_FIRST),
    "accounts:password": Row(MEMBERS, {"current": "wrong", "password": "new-passphrase-1"}),
    "accounts:household": Row("NYNNN", {"building": "7", "unit": "1", "room": "101"}),
    "notifications:inbox": Row(LOGIN_FIRST),
    "notifications:read": Row(MEMBERS),
    # --- admin
    "admin:index": Row(ADMIN),
    "admin:create_board": Row(ADMIN, {"slug": "lanqiu", "name": "篮球队"}),
    "admin:update_board": Row(ADMIN, {"name": "社区议事厅"}),
    "admin:move_board": Row(ADMIN, {"direction": "1"}),
    "admin:create_category": Row(ADMIN, {"slug": "lvhua", "name": "绿化"}),
    "admin:rename_category": Row(ADMIN, {"name": "停车难"}),
    "admin:move_category": Row(ADMIN, {"direction": "1"}),
    "admin:set_role": Row(ADMIN, {"role": "resident"}),
    "admin:households": Row(STAFF),
    "admin:review_household": Row(STAFF, {"decision": "approve"}),
    "media:file": Row(ALL),
    # --- feeds (public, read by feed readers without a login)
    "feeds:board": Row(ALL),
    "feeds:case": Row(ALL),
    "feeds:calendar": Row(ALL),
    "feeds:notices": Row(ALL),
    # --- 居务公开 notices (staff publish; members comment)
    "notices:list": Row(ALL),
    "notices:new": Row("LNYNY"),
    "notices:create": Row(STAFF, {"title": "停水通知", "body": "周六上午停水", "category": "announcement"}),
    "notices:notice": Row(ALL),
    "notices:versions": Row(ALL),
    "notices:attachment": Row("HHHHH"),  # no attachment with that id
    "notices:edit_form": Row(STAFF),
    "notices:edit": Row(STAFF, {"title": "关于停车的通知", "body": "修订", "category": "announcement"}),
    "notices:pin": Row(STAFF),
    "notices:close_comments": Row(STAFF, {"on": "0"}),
    "notices:withdraw": Row(STAFF, {"reason": "内容有误，重新发布"}),
    "notices:comment": Row(MEMBERS, {"body": "收到"}),
    "list_notices": Row(ALL),
    "create_notice": Row(STAFF, {"title": "停电通知", "body": "周日检修", "category": "announcement"}),
    "get_notice": Row(ALL),
    "update_notice": Row(STAFF, {"body": "补充"}),
    "list_versions": Row(ALL),
    "withdraw": Row(STAFF, {"reason": "过期"}),
    "add_attachments": Row(STAFF, {"attachments": []}),
    "api_notices:attachment": Row("HHHHH"),
    # --- 征求意见 consultations (staff publish; members answer)
    "consultations:list": Row(ALL),
    "consultations:new": Row(STAFF),
    "consultations:question_fragment": Row(STAFF, {"index": "1"}),
    "consultations:create": Row(STAFF, {"title": "健身器材放哪", "closes_at": "2030-01-01T12:00"}),
    "consultations:review_new": Row(STAFF),
    "consultations:review_create": Row(STAFF, {"year": "2024"}),
    "consultations:detail": Row(ALL),
    "consultations:answer": Row(MEMBERS),
    "consultations:close": Row(STAFF),
    "consultations:results": Row(STAFF),  # before the close, unless published early
    "consultations:export_csv": Row(STAFF),
    "consultations:export_xlsx": Row(STAFF),
    "list_consultations": Row(ALL),
    "create_consultation": Row(STAFF, {"title": "x", "closes_at": "2030-01-01T12:00:00Z", "questions": []}),
    "create_review": Row(
        STAFF, {"year": 2024, "subjects": [], "criteria": [], "closes_at": "2030-01-01T12:00:00Z"}
    ),
    "get_consultation": Row(ALL),
    "close_consultation": Row(STAFF),
    "answer": Row(MEMBERS, {"answers": []}),
    "results": Row(STAFF),
    # --- moderation: reports (members), the queue and sanctions (staff), the audit log (admin)
    "moderation:report_form": Row(LOGIN_FIRST),
    "moderation:report": Row(MEMBERS, {"reason": "ad"}, params={"post_id": "other_post"}),
    "moderation:queue": Row(STAFF),
    "moderation:decide": Row(STAFF, {"action": "dismiss"}),
    "moderation:users": Row(STAFF),
    "moderation:user": Row(STAFF),
    "moderation:sanction": Row(STAFF, {"action": "warn", "reason": "请文明发言"}),
    "moderation:audit": Row(ADMIN),
    "report_post": Row(MEMBERS, {"reason": "ad"}, params={"post_id": "other_post"}),
    "moderation_queue": Row(STAFF),
    "decide": Row(STAFF, {}),
    "warn": Row(STAFF, {"reason": "请文明发言"}),
    "mute": Row(STAFF, {"reason": "刷屏", "days": 1}),
    "unmute": Row(STAFF, {}),
    "ban": Row(STAFF, {"reason": "广告"}),
    "unban": Row(STAFF, {}),
    # --- sensitive words (admin) and posts held for review (staff)
    "guards:words": Row(ADMIN),
    "guards:add_words": Row(ADMIN, {"words": "违禁词乙", "level": "mask"}),
    "guards:set_level": Row(ADMIN, {"level": "hold"}),
    "guards:delete_word": Row(ADMIN),
    "guards:held": Row(STAFF),
    "guards:approve": Row(STAFF),
    "guards:reject": Row(STAFF),
    # --- e-mail settings (members); the links from a mail carry their own token
    "mail:settings": Row(LOGIN_FIRST),
    "mail:set_address": Row(MEMBERS, {"email": "laozhang@example.com"}),
    "mail:resend": Row(MEMBERS),
    "mail:remove": Row(MEMBERS),
    "mail:choices": Row(MEMBERS),
    "mail:verify_form": Row(ALL),
    "mail:verify": Row(ALL),
    "mail:unsubscribe_form": Row(ALL),
    "mail:unsubscribe": Row(ALL),
    # --- API: accounts
    "create_user": Row(ALL, {"username": "新居民小赵", "password": "a-long-passphrase"}),
    "create_token": Row(ALL, {"username": "七号楼老张", "password": "correct-horse-42"}),
    "revoke_token": Row(MEMBERS),
    "me": Row(MEMBERS),
    "change_password": Row(MEMBERS, {"current_password": "wrong", "new_password": "new-passphrase-1"}),
    # --- API: boards
    "list_boards": Row(ALL),
    "list_topics": Row(ALL),
    "create_topic": Row(MEMBERS, TOPIC),
    "get_topic": Row(ALL),
    "update_topic": Row(AUTHOR_OR_MOD, {"body": "补充说明"}),
    "delete_topic": Row(AUTHOR_OR_MOD, params={"topic_id": "throwaway_topic_0"}),
    "list_replies": Row(ALL),
    "create_reply": Row(MEMBERS, {"body": "同感"}),
    "update_post": Row(AUTHOR_OR_MOD, {"body": "改一下措辞"}),
    "delete_post": Row(AUTHOR_OR_MOD, params={"post_id": "throwaway_post_1"}),
    "like_post": Row(MEMBERS),
    "unlike_post": Row(MEMBERS),
    "follow_topic": Row(MEMBERS),
    "unfollow_topic": Row(MEMBERS),
    "list_notifications": Row(MEMBERS),
    # --- API: cases and meetings
    "list_cases": Row(ALL),
    "open_case": Row(STAFF, {"source": "phone", "title": "电梯又停了", "description": "二号楼"}),
    "get_case": Row(ALL),
    "add_event": Row(CASE_WORKERS, {"action": "comment", "note": "已派人查看"}),
    "add_photos": Row(MEMBERS),
    "my_cases": Row(MEMBERS),
    "logged_cases": Row(MEMBERS),
    "support": Row(MEMBERS),
    "unsupport": Row(MEMBERS),
    "list_meetings": Row(ALL),
    "create_meeting": Row(STAFF, MEETING),
    "get_meeting": Row(ALL),
    "meeting_ics": Row(ALL),
}

# The same routes on other objects, where who may act depends on the object.
VARIANTS: list[tuple[str, Row]] = [
    # 居务公开: only staff open topics there.
    ("boards:create_topic", Row(STAFF, TOPIC, params={"slug": "staff_board.slug"})),
    ("create_topic", Row(STAFF, TOPIC, params={"board_id": "staff_board"})),
    # 我要反映 through the API: any resident files their own concern.
    ("open_case", Row(MEMBERS, {"category": "wuye", "description": "地库入口积水"})),
    # A private case exists only for staff, its poster and its unit.
    ("cases:case", Row("HHYYY", params={"case_id": "private_case"})),
    ("get_case", Row("HHYYY", params={"case_id": "private_case"})),
    ("cases:support", Row("HHYYY", params={"case_id": "private_case"})),
    # A feed reader has no login: a private case has no feed for anyone.
    ("feeds:case", Row("HHHHH", params={"case_id": "private_case"})),
]

# Run after everything else: they take away what the later requests need.
LAST = ("boards:delete", "delete_post", "delete_topic", "guards:delete_word")
# And after those, the ones that end the session or token the requests are made with.
VERY_LAST = ("change_password", "accounts:password", "revoke_token", "accounts:logout")


def _param_value(world: World, ref: str) -> object:
    """ "staff_board" -> world.staff_board.id, "staff_board.slug" -> its slug, "throwaway_post_1" ->
    the id of the second throwaway post."""
    name, _, attr = ref.partition(".")
    if name.startswith("throwaway_"):
        kind, index = name.rsplit("_", 1)
        obj = getattr(world, kind + "s")[int(index)]
    else:
        obj = getattr(world, name)
    return getattr(obj, attr or "id")


def _body(world: World, row: Row) -> dict[str, object]:
    body = dict(row.body)
    if body.get("board_id") == "other_board":
        body["board_id"] = world.other_board.id
    return body


def classify(response: Response) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if 300 <= status < 400 and "/login" in location:
        return "L"
    if status in (401, 403):
        return "N"
    if status == 404:
        return "H"
    if 200 <= status < 400 or status in (400, 409, 413, 422):
        return "Y"
    return f"unexpected {status}"


def call(client, api_headers, route: RouteInfo, path: str, body: dict[str, object], csrf: str) -> Response:  # type: ignore[no-untyped-def]
    if route.is_api:
        json = body if route.method in ("POST", "PUT", "PATCH") else None
        return client.request(route.method, path, json=json, headers=api_headers, follow_redirects=False)  # type: ignore[no-any-return]
    if route.method == "GET":
        return client.get(path, params=body, follow_redirects=False)  # type: ignore[arg-type]  # type: ignore[no-any-return]
    data = {"csrf_token": csrf, **{k: str(v) for k, v in body.items()}}
    return client.request(route.method, path, data=data, follow_redirects=False)  # type: ignore[no-any-return]


def _order(route: RouteInfo) -> tuple[int, str]:
    if route.name in VERY_LAST:
        return 3, str(VERY_LAST.index(route.name))
    return (2 if route.name in LAST else 0 if route.method == "GET" else 1), route.name


def test_every_route_has_a_row(app) -> None:  # type: ignore[no-untyped-def]
    routes = route_table(app)
    names = [r.name for r in routes]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    assert not duplicated, f"route names must be unique to be checked by name: {duplicated}"
    missing = [f"{r.name} ({r.method} {r.path})" for r in routes if r.name not in TABLE]
    assert not missing, (
        "routes without a row in the permission table (tests/security/test_permission_matrix.py): "
        + ", ".join(missing)
    )
    stale = sorted(set(TABLE) - set(names))
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_each_role_gets_what_the_table_says(app, session, role_index: int) -> None:  # type: ignore[no-untyped-def]
    role = ROLES[role_index]
    world = build_world(session, app)
    client, api_headers = client_as(app, session, world.user(role))
    csrf = client.cookies["forum_csrf"]
    routes = {r.name: r for r in route_table(app)}
    plan: list[tuple[RouteInfo, Row]] = [(r, TABLE[r.name]) for r in routes.values() if r.name in TABLE]
    plan += [(routes[name], row) for name, row in VARIANTS if name in routes]
    plan.sort(key=lambda item: _order(item[0]))
    wrong = []
    for route, row in plan:
        params = dict(world.params) | {k: _param_value(world, v) for k, v in row.params.items()}
        path = fill_path(route, params)
        response = call(client, api_headers, route, path, _body(world, row), csrf)
        got, expected = classify(response), row.expect[role_index]
        if got != expected:
            wrong.append(
                f"{route.name} {route.method} {path}: expected {expected}, got {got} "
                f"({response.status_code} {response.text[:160]!r})"
            )
    client.close()
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)
