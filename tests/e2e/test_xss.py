"""XSS in a real browser: the payloads of tests/security/xss_payloads.txt are written into every
text a user controls — topic titles and bodies, replies, 楼中楼, board and tag names, image file
names, case titles, descriptions, locations and notes, notices, consultations, search queries — and
every page that shows them is opened in chromium with traps set before any page script runs: a
dialog (alert/confirm/prompt) fails the test, so does a write to window.__xss, so does a CSP
violation or a console error (the open_page fixture). The payloads are batched so that a few
pages carry all of them. Usernames must match 2–20 letters, digits, _ or 汉字, so no payload
passes as a username (checked below); tests/routes/test_xss.py checks the same escaping at the
HTML level."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import Page
from sqlmodel import Session

from factories import make_board, make_reply, make_topic, make_unit_contact, make_user
from forum.accounts import service as accounts
from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.service import Upload
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings
from forum.cases import service as cases
from forum.errors import DomainError, Invalid
from forum.media.images import ImageStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAYLOADS = [
    line
    for line in (Path(__file__).parents[1] / "security" / "xss_payloads.txt").read_text().splitlines()
    if line and not line.startswith("# ")
]

# Runs before any script of the page: traps for everything a payload could do if it ran.
TRAPS = """
(() => {
  window.__hits = [];
  Object.defineProperty(window, "__xss", {
    configurable: false,
    get() { return undefined; },
    set(value) { window.__hits.push("__xss=" + value); },
  });
  for (const name of ["alert", "confirm", "prompt"]) {
    const original = window[name];
    window[name] = (...args) => { window.__hits.push(name + "(" + args.join(",") + ")"); };
  }
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__hits.push("CSP " + e.violatedDirective + " " + (e.sample || e.blockedURI));
  });
})();
"""


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def png(label: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (label % 255, 80, 160)).save(out, "PNG")
    return out.getvalue()


def _try(change, *args, **kw):  # type: ignore[no-untyped-def]
    """A payload a field refuses (too long, a bad character) is not a failure: it never gets in."""
    try:
        return change(*args, **kw)
    except Invalid:
        return None


def plant(db: Session, store: ImageStore) -> dict[str, object]:
    """Every payload into every field; returns the URLs of the pages that show them."""
    admin = make_user(db, "管理员", role=RoleName.ADMIN)
    staff = make_user(db, "社工小李", role=RoleName.STAFF)
    resident = make_user(db, "七号楼老张")
    make_unit_contact(db, "物业小刘")
    for payload in PAYLOADS[:10]:  # usernames: refused by the pattern, all of them
        with pytest.raises(DomainError):
            accounts.register(db, username=payload[:20], password="a-long-passphrase")
        db.rollback()

    # Boards and tags named by the admin.
    named = []
    for i, payload in enumerate(PAYLOADS[:6]):
        board = _try(
            boards.create_board, db, actor=admin, slug=f"x{i}", name=payload[:20], description=payload
        )
        named.append(board)
        _try(boards.create_category, db, actor=admin, slug=f"t{i}", name=payload[:20])
    db.commit()

    # One topic a payload as its title, spread over boards of 25 so each listing shows all of its own.
    title_boards = [make_board(db, f"titles{i}", name=f"标题测试{i}") for i in range(3)]
    for i, payload in enumerate(PAYLOADS):
        title = payload[:60].strip() or "空"
        _try(
            boards.create_topic,
            db,
            actor=staff,
            board=title_boards[i // 25],
            title=title,
            body=f"#{i}",
            tags=[],
        )
        db.commit()

    # Bodies, replies and 楼中楼: all payloads, a dozen a post.
    yishi = make_board(db, "yishi", name="社区议事")
    topic = make_topic(db, board=yishi, author=staff, title="正文测试", body="\n\n".join(PAYLOADS[:12]))
    for group in chunks(PAYLOADS[12:], 12):
        make_reply(db, topic=topic, author=staff, body="\n\n".join(group))
    for group in chunks(PAYLOADS, 24):
        make_reply(db, topic=topic, author=staff, body="\n".join(group), parent_floor=2)
    # A resident's own words too (no links from a new account, so the link-free payloads).
    plain = [p for p in PAYLOADS if "http" not in p and "//" not in p]
    make_reply(db, topic=topic, author=resident, body="\n\n".join(plain[:20]))

    # Image file names (shown as alt text), 9 to a post.
    image_topic = make_topic(db, board=yishi, author=staff, title="图片名测试", body="看图")
    for group in chunks(PAYLOADS, 9):
        uploads = [Upload(f"{p[:100]}.png", png(n)) for n, p in enumerate(group)]
        boards.reply(
            db, actor=staff, topic=image_topic, body="图片", uploads=uploads, store=store, max_images=9
        )
        db.commit()

    # 民情意见: title, description, location, building, public and staff-only notes.
    case_ids = []
    for group in chunks(PAYLOADS, 24):
        case = case_intake.open_case(
            db,
            actor=staff,
            source="visit",
            title=group[0][:60].strip() or "空",
            description="\n\n".join(group),
            location=group[1][:100],
            unit="物业公司",
        )
        cases.comment(db, actor=staff, case=case, note="\n".join(group)[:2000], public=True)
        cases.comment(db, actor=staff, case=case, note="\n".join(group[::-1])[:2000], public=False)
        case_ids.append(case.id)
    meeting = case_meetings.record_meeting(
        db,
        actor=staff,
        kind="coordination",
        title=PAYLOADS[0][:60],
        starts_at=datetime.now(UTC) + timedelta(days=1),
        place=PAYLOADS[9][:100],
        attendees=PAYLOADS[10],
        minutes="\n".join(PAYLOADS[:30]),
        decisions="\n".join(PAYLOADS[30:60]),
        case_ids=case_ids,
    )
    db.commit()

    notice_ids, consultation_ids = _notices_and_consultations(db, staff)
    return {
        "staff": staff,
        "resident": resident,
        "topic": topic.id,
        "image_topic": image_topic.id,
        "title_boards": [b.slug for b in title_boards],
        "named_boards": [b.slug for b in named if b is not None],
        "cases": case_ids,
        "meeting": meeting.id,
        "notices": notice_ids,
        "consultations": consultation_ids,
    }


def _notices_and_consultations(db: Session, staff: User) -> tuple[list[int], list[int]]:
    from forum.consultations import service as consultations
    from forum.notices import service as notices

    notice_ids, consultation_ids = [], []
    for group in chunks(PAYLOADS, 24):
        notice = _try(
            notices.create_notice,
            db,
            actor=staff,
            title=group[0][:60].strip() or "空",
            body="\n\n".join(group),
            category="announcement",
        )
        if notice is not None:
            notice_ids.append(notice.id)
        questions = [
            consultations.QuestionDraft(
                kind="single", prompt=group[1][:200], options=[p[:100] for p in group[2:6]]
            ),
            consultations.QuestionDraft(kind="text", prompt=group[6][:200], required=False),
        ]
        consultation = _try(
            consultations.create_consultation,
            db,
            actor=staff,
            title=group[0][:60].strip() or "空",
            description="\n".join(group)[:5000],
            closes_at=datetime.now(UTC) + timedelta(days=3),
            results_visible_before_close=True,
            questions=questions,
        )
        if consultation is not None:
            consultation_ids.append(consultation.id)
        db.commit()
    return notice_ids, consultation_ids


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, (url, response and response.status)
    page.wait_for_load_state("load")
    hits = page.evaluate("window.__hits")
    assert hits == [], f"{url}: a payload ran: {hits}"


def test_no_payload_runs_anywhere(open_page, db, image_store) -> None:  # type: ignore[no-untyped-def]
    assert len(PAYLOADS) >= 50
    site = plant(db, image_store)
    dialogs: list[str] = []

    def watch(page: Page) -> Page:
        page.context.add_init_script(TRAPS)
        page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.type} {d.message}"), d.dismiss()))
        return page

    visitor = watch(open_page())
    pages = ["/", "/cases", "/meetings", f"/meetings/{site['meeting']}", "/notices", "/consultations"]
    pages += [f"/t/{site['topic']}", f"/t/{site['topic']}?page=1&author=1", f"/t/{site['image_topic']}"]
    pages += [f"/b/{slug}" for slug in site["title_boards"] + site["named_boards"]]  # type: ignore[operator]
    pages += [f"/cases/{i}" for i in site["cases"]]  # type: ignore[attr-defined]
    pages += [f"/notices/{i}" for i in site["notices"]]  # type: ignore[attr-defined]
    pages += [f"/consultations/{i}" for i in site["consultations"]]  # type: ignore[attr-defined]
    pages += [f"/search?q={quote(' '.join(group))}" for group in chunks(PAYLOADS, 8)[:4]]
    pages += [f"/search?q={quote(p[:60])}&type=topic" for p in PAYLOADS[:3]]
    pages += [f"/b/yishi?tag={quote(PAYLOADS[0][:32])}"]
    for url in pages:
        visit(visitor, url)
    # The payloads really are on the pages, as text.
    visitor.goto(f"/t/{site['topic']}")
    assert "window.__xss=27" in visitor.inner_text("body")

    staff = watch(open_page(user=site["staff"]))  # type: ignore[arg-type]
    for url in [
        "/cases/queue",
        *[f"/cases/{i}" for i in site["cases"]],  # type: ignore[attr-defined]
        *[f"/consultations/{i}/results" for i in site["consultations"]],  # type: ignore[attr-defined]
        "/admin/households",
        f"/u/{site['resident'].username}",  # type: ignore[attr-defined]
    ]:
        visit(staff, url)
    # htmx fragments: the live search box and 展开 of 楼中楼, swapped into the page.
    staff.goto(f"/t/{site['topic']}")
    expand = staff.locator("[hx-get*='/subreplies']")
    if expand.count():
        expand.first.click()
        staff.wait_for_load_state("networkidle")
    box = staff.locator("input[name=q]").first
    box.fill(PAYLOADS[9][:40])
    staff.wait_for_timeout(600)
    assert staff.evaluate("window.__hits") == []

    admin = watch(open_page(user=accounts.get_user_by_name(db, "管理员")))
    for url in ["/admin", "/admin/units"]:
        visit(admin, url)
    assert dialogs == [], dialogs
