"""The demo notices: real-looking, with every state a notice can be in."""

from __future__ import annotations

from factories import make_user
from forum.accounts.models import RoleName
from forum.demo.content import RESIDENTS, STAFF
from forum.demo.notices import PARKING_PLAN, seed_notices
from forum.notices import queries, service
from forum.timeutil import utcnow


def test_seed_notices_covers_every_state_and_runs_once(session):  # type: ignore[no-untyped-def]
    users = {n: make_user(session, n, role=RoleName.STAFF) for n in STAFF}
    users |= {n: make_user(session, n) for n in RESIDENTS[:30]}
    notices = seed_notices(session, users, utcnow())
    session.commit()
    plan, finance, *_rest, withdrawn, scheduled = notices
    assert service.find_by_title(session, PARKING_PLAN) is plan and plan.is_pinned
    assert "<table>" in plan.body_html and plan.topic_id
    assert finance.category == "finance" and finance.version == 2
    assert [v.number for v in service.versions(session, notice=finance)] == [2, 1]
    assert withdrawn.withdrawn_at is not None and scheduled.topic_id is None
    public = queries.notice_list(session, viewer=None)
    shown = {r.notice.id for r in public.pinned + public.rows}
    assert plan.id in shown and withdrawn.id not in shown and scheduled.id not in shown
    assert {r.notice.category for r in public.pinned + public.rows} == {
        "announcement",
        "finance",
        "minutes",
        "review",
        "guide",
    }
    assert next(r for r in public.pinned if r.notice.id == plan.id).comment_count == 6
    assert seed_notices(session, users, utcnow()) == []
