"""Sending the outbox through a real SMTP server (aiosmtpd, in-process): delivery, a server that is
down, giving up, and several workers at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from factories import form_post, login, make_board, make_reply, make_topic, make_user
from forum.app import create_app
from forum.mail import service
from forum.mail.models import MailAddress, MailOutbox
from forum.mail.worker import DrainResult, drain
from forum.timeutil import utcnow


class TestDelivery:
    def test_a_reply_arrives_as_exactly_one_mail(self, session, subscribe, inbox, send, outbox, body_of):  # type: ignore[no-untyped-def]
        author, poster = make_user(session, "laowang"), make_user(session, "xiaoli")
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author, title="48路公交站台太高")
        post = make_reply(session, topic=topic, author=poster, body="老人上车太难了")
        assert send() == DrainResult(sent=1)
        [message] = inbox.messages
        [row] = outbox()
        assert message["To"] == "laowang@example.com"
        assert message["Subject"] == "【嘉园一里社区吧】xiaoli 回复了你的帖子《48路公交站台太高》"
        assert message["From"].addresses[0].addr_spec == "noreply@jiayuan.example.com"
        assert message["From"].addresses[0].display_name == "嘉园一里社区吧"
        assert message["List-Unsubscribe"] == f"<{row.unsubscribe_url}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # As mail clients read it: one plain line, not folded into encoded words.
        assert f"\r\nList-Unsubscribe: <{row.unsubscribe_url}>\r\n".encode() in inbox.raw[0]
        text = body_of(message)
        assert "老人上车太难了" in text
        assert f"https://jiayuan.example.com/p/{post.id}" in text
        assert row.unsubscribe_url in text
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
        assert row.sent_at is not None
        assert send() == DrainResult()  # nothing twice
        assert len(inbox.messages) == 1

    def test_a_mail_server_that_is_down_breaks_nothing_and_loses_nothing(  # type: ignore[no-untyped-def]
        self, client, session, subscribe, inbox, send, down_settings, outbox
    ):
        author, _poster = make_user(session), make_user(session, "poster")
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author)
        login(client, "poster")
        response = form_post(client, f"/t/{topic.id}/reply", {"body": "邮件服务器挂了也能回帖"})
        assert response.status_code == 303  # posting does not wait for mail
        before = utcnow()
        assert send(settings=down_settings) == DrainResult(retrying=1)
        [row] = outbox()
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.last_error and "Connection" in row.last_error
        assert row.next_attempt_at >= before + timedelta(seconds=59)
        assert send() == DrainResult()  # not due yet, even with the server back
        assert inbox.messages == []
        assert send(now=utcnow() + timedelta(minutes=2)) == DrainResult(sent=1)
        assert send(now=utcnow() + timedelta(days=1)) == DrainResult()
        assert [m["To"] for m in inbox.messages] == [row.to_addr]
        [row] = outbox()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)

    def test_gives_up_after_the_last_attempt_and_keeps_the_row(  # type: ignore[no-untyped-def]
        self, session, subscribe, inbox, send, down_settings, outbox
    ):
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        make_reply(
            session, topic=make_topic(session, board=make_board(session), author=author), author=poster
        )
        start = utcnow()
        assert send(settings=down_settings, now=start) == DrainResult(retrying=1)
        assert send(settings=down_settings, now=start + timedelta(minutes=1, seconds=1)) == DrainResult(
            retrying=1
        )
        second_wait = outbox()[0].next_attempt_at - (start + timedelta(minutes=1, seconds=1))
        assert second_wait == timedelta(minutes=2)  # backoff doubles
        assert send(settings=down_settings, now=start + timedelta(hours=1)) == DrainResult(failed=1)
        [row] = outbox()
        assert (row.status, row.attempts) == ("failed", 3)
        assert row.last_error
        assert send(now=start + timedelta(days=2)) == DrainResult()
        assert inbox.messages == []

    def test_a_mail_of_the_batch_being_refused_does_not_hold_up_the_rest(  # type: ignore[no-untyped-def]
        self, session, subscribe, inbox, send, outbox, smtp
    ):
        users = [make_user(session) for _ in range(3)]
        for user in users:
            subscribe(user)
        service.announce(session, kind="notice", title="停水通知", url_path="/notices/1")
        session.commit()
        first = outbox()[0]
        first.to_addr = "nobody@refused.example.com"  # the server refuses this mailbox
        session.commit()
        result = send()
        assert (result.sent, result.retrying) == (2, 1), [r.last_error for r in outbox()]
        assert "No such mailbox" in outbox()[0].last_error  # type: ignore[operator]
        assert sorted(m["To"] for m in inbox.messages) == sorted(
            f"{u.username}@example.com" for u in users[1:]
        )


class TestSeveralWorkers:
    def test_two_workers_draining_at_once_send_each_mail_once(  # type: ignore[no-untyped-def]
        self, engine, settings, session, subscribe, inbox, outbox
    ):
        users = [make_user(session) for _ in range(24)]
        for user in users:
            subscribe(user)
        assert (
            service.announce(session, kind="notice", title="关于电梯全天运行的公告", url_path="/notices/2")
            == 24
        )
        session.commit()
        start = threading.Barrier(2)
        results: list[DrainResult] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                start.wait(timeout=10)
                results.append(drain(engine, settings, batch=3))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert sum(r.sent for r in results) == 24
        recipients = [m["To"] for m in inbox.messages]
        assert sorted(recipients) == sorted(f"{u.username}@example.com" for u in users)
        assert {row.status for row in outbox()} == {"sent"}
        assert {row.attempts for row in outbox()} == {1}


class TestInAppWorker:
    def test_the_app_sends_in_the_background_while_it_runs(self, settings, inbox):  # type: ignore[no-untyped-def]
        live = create_app(settings.model_copy(update={"mail_worker_in_app": True, "mail_poll_seconds": 0.1}))
        try:
            # Set up before the app (and its worker) starts: a plain test session writing next to
            # a background writer would meet SQLite's busy snapshot.
            with Session(live.state.engine, expire_on_commit=False) as session:
                author = make_user(session, "inapp")
                make_user(session, "poster2")
                session.add(MailAddress(user_id=author.id, email="inapp@example.com", verified_at=utcnow()))
                session.commit()
                topic = make_topic(session, board=make_board(session), author=author)
            with TestClient(live) as browser:
                login(browser, "poster2")
                assert form_post(browser, f"/t/{topic.id}/reply", {"body": "后台发信"}).status_code == 303
                assert [m["To"] for m in inbox.wait_for(1)] == ["inapp@example.com"]
                deadline = time.monotonic() + 10
                while _statuses(live.state.engine) != ["sent"] and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert _statuses(live.state.engine) == ["sent"]
        finally:
            live.state.engine.dispose()


def _statuses(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return [row.status for row in session.exec(select(MailOutbox)).all()]
