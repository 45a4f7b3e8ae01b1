"""The Content-Security-Policy allows no inline script, and every main page still works under it:
opened in chromium as the role that uses it, no CSP violation is reported (a securitypolicyviolation
listener set before any script runs, plus the console, through the open_page fixture), and htmx is
loaded. The usual security headers are checked on the same pages."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from factories import PASSWORD, make_board, make_reply, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""


def headers_of(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


def test_main_pages_run_under_the_csp_without_violations(open_page, db, live_server) -> None:  # type: ignore[no-untyped-def]
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    admin = make_user(db, "管理员", role=RoleName.ADMIN)
    resident = make_user(db, "七号楼老张")
    contact = make_unit_contact(db, "物业小刘")
    board = make_board(db, "yishi", name="社区议事")
    topic = make_topic(db, board=board, author=resident, title="7号楼院内乱停车", body="**消防通道**被堵")
    reply = make_reply(db, topic=topic, author=resident, body="晚上更严重")
    case = case_intake.open_case(db, actor=staff, post=reply, title="7号楼院内乱停车", unit="物业公司")
    meeting = case_meetings.record_meeting(
        db,
        actor=staff,
        kind="coordination",
        title="停车协调会",
        starts_at=datetime.now(UTC) + timedelta(days=1),
        place="居委会",
        case_ids=[case.id],  # type: ignore[list-item]
    )
    db.commit()
    extra = _notices_and_consultations(db, staff)

    public = ["/", "/b/yishi", f"/t/{topic.id}", "/cases", f"/cases/{case.id}", "/search?q=停车"]
    public += ["/login", "/register", "/meetings", f"/meetings/{meeting.id}", "/u/七号楼老张"]
    public += ["/notices", "/consultations", *extra]
    plan = [
        (None, public),
        (resident, ["/notifications", "/me/household", "/me/password", "/b/yishi/new", f"/t/{topic.id}"]),
        (staff, ["/cases/queue", f"/cases/{case.id}", "/cases/new", "/meetings/new", "/admin/households"]),
        (contact, ["/cases/todo", f"/cases/{case.id}"]),
        (admin, ["/admin", "/admin/units"]),
    ]
    checked = 0
    for user, urls in plan:
        page = open_page(user=user)
        page.context.add_init_script(LISTEN)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, (url, response and response.status)
            page.wait_for_load_state("load")
            assert page.evaluate("typeof window.htmx") == "object", f"{url}: htmx did not load"
            assert page.evaluate("window.__csp") == [], f"{url}: {page.evaluate('window.__csp')}"
            checked += 1
        # htmx really works under the policy: the live search asks the server and swaps results in.
        if user is resident:
            page.goto(f"/t/{topic.id}")
            with page.expect_response(lambda r: "/search" in r.url):
                page.locator("input[name=q]").first.fill("停车")
            assert page.evaluate("window.__csp") == []
    assert checked >= 25

    for url in ["/", f"/t/{topic.id}", "/login", "/api/v1/boards"]:
        headers = headers_of(live_server.url + url)
        csp = headers["content-security-policy"]
        directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
        script_src = directives.get("script-src", directives.get("default-src", ""))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, csp
        assert "'self'" in script_src and "*" not in script_src.split()
        assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'"
        assert directives.get("base-uri") == "'self'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


def _notices_and_consultations(db, staff) -> list[str]:  # type: ignore[no-untyped-def]
    from forum.consultations import service as consultations
    from forum.notices import service as notices

    notice = notices.create_notice(
        db, actor=staff, title="停水通知", body="周六上午 **停水**", category="announcement"
    )
    consultation = consultations.create_consultation(
        db,
        actor=staff,
        title="健身器材放哪",
        closes_at=datetime.now(UTC) + timedelta(days=3),
        questions=[consultations.QuestionDraft(kind="single", prompt="放哪里？", options=["南门", "北门"])],
    )
    db.commit()
    return [f"/notices/{notice.id}", f"/consultations/{consultation.id}"]


def test_login_session_cookie_is_httponly_in_the_browser(open_page, db) -> None:  # type: ignore[no-untyped-def]
    """document.cookie cannot read the session: a script that got in could not steal it."""
    make_user(db, "七号楼老张")
    page = open_page()
    page.goto("/login")
    page.fill("input[name=username]", "七号楼老张")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/")
    assert "forum_session" in {c["name"] for c in page.context.cookies()}  # logged in …
    assert "forum_session" not in page.evaluate("document.cookie")
    assert "forum_csrf" not in page.evaluate("document.cookie")  # … but no script can read it
