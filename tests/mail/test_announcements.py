"""New notices and consultations reach the residents who asked for them by mail: once, when the
notice becomes public (not while it is only scheduled), and when a consultation is published."""

from __future__ import annotations

from datetime import timedelta

from factories import make_user
from forum.accounts.models import RoleName
from forum.consultations import service as consultations
from forum.consultations.service import QuestionDraft
from forum.notices import service as notices
from forum.timeutil import utcnow


def test_a_published_notice_is_mailed_once(session, subscribe, outbox, send, inbox, body_of):  # type: ignore[no-untyped-def]
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    resident = make_user(session, "七号楼老张")
    subscribe(resident)
    notice = notices.create_notice(
        session, actor=staff, title="7/8号楼停车区域划分方案", body="详见附件", category="announcement"
    )
    session.commit()
    notices.publish(session, notice=notice)  # a second publish (a racing worker) sends nothing more
    session.commit()
    [mail] = outbox()
    assert mail.subject.endswith("居务公开：《7/8号楼停车区域划分方案》")
    send()
    [message] = inbox.wait_for(1)
    assert f"https://jiayuan.example.com/notices/{notice.id}" in body_of(message)


def test_a_scheduled_notice_is_mailed_when_it_is_published(session, subscribe, outbox):  # type: ignore[no-untyped-def]
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    subscribe(make_user(session, "七号楼老张"))
    later = utcnow() + timedelta(hours=2)
    notices.create_notice(
        session, actor=staff, title="下季度财务公开", body="待公布", category="finance", publish_at=later
    )
    session.commit()
    assert outbox() == []
    assert notices.publish_due(session, now=later + timedelta(minutes=1)) == 1
    session.commit()
    assert [m.subject.endswith("《下季度财务公开》") for m in outbox()] == [True]


def test_a_new_consultation_is_mailed(session, subscribe, outbox):  # type: ignore[no-untyped-def]
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    subscribe(make_user(session, "七号楼老张"))
    subscribe(make_user(session, "八号楼李姐"), want_consultation=False)
    consultation = consultations.create_consultation(
        session,
        actor=staff,
        title="文明养犬公约征求意见",
        closes_at=utcnow() + timedelta(days=7),
        questions=[QuestionDraft("single", "您赞成公约草案吗？", ["赞成", "不赞成"])],
    )
    session.commit()
    [mail] = outbox()
    assert mail.to_addr == "七号楼老张@example.com"
    assert f"/consultations/{consultation.id}" in mail.body
