"""The mail rules, called directly: addresses and verification, which events queue mail for whom,
announcements, digests and unsubscribe links."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Post
from forum.cases import intake as case_intake
from forum.errors import Conflict, Invalid, NotAuthenticated
from forum.mail import service
from forum.mail.context import context_of, use_mail
from forum.mail.errors import LinkExpired, MailDisabled, TooSoon
from forum.mail.models import Feed, MailAddress, MailDigestItem, MailKind
from forum.timeutil import SHANGHAI, utcnow

VERIFY_LINK = re.compile(r"https://jiayuan\.example\.com/mail/verify\?token=(\S+)")
UNSUBSCRIBE_LINK = re.compile(r"https://jiayuan\.example\.com/mail/unsubscribe\?token=(\S+)")


def _token(pattern: re.Pattern[str], body: str) -> str:
    match = pattern.search(body)
    assert match, body
    return match.group(1)


class TestAddress:
    def test_adding_an_address_queues_a_verification_mail(self, session, outbox):  # type: ignore[no-untyped-def]
        user = make_user(session, "zhang")
        address = service.set_address(session, actor=user, email=" Zhang.Wei@Example.COM ")
        session.commit()
        assert address.email == "Zhang.Wei@example.com"
        assert not address.is_verified
        [mail] = outbox()
        assert (mail.kind, mail.to_addr, mail.status) == (MailKind.VERIFY, "Zhang.Wei@example.com", "queued")
        assert mail.subject == "【嘉园一里社区吧】请验证你的邮箱"
        assert VERIFY_LINK.search(mail.body)
        assert mail.unsubscribe_url.startswith("https://jiayuan.example.com/mail/unsubscribe?token=")

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("", "请填写邮箱地址"),
            ("not-an-address", "邮箱地址格式不正确"),
            ("a@b", "邮箱地址格式不正确"),
            ("张伟@example.com", "邮箱地址格式不正确"),
            ("x" * 250 + "@example.com", "不能超过 254 个字符"),
        ],
    )
    def test_a_bad_address_is_refused_and_nothing_is_saved(self, session, outbox, typed, message):  # type: ignore[no-untyped-def]
        user = make_user(session)
        with pytest.raises(Invalid, match=message):
            service.set_address(session, actor=user, email=typed)
        session.rollback()
        assert session.get(MailAddress, user.id) is None
        assert outbox() == []

    def test_visitors_cannot_add_an_address(self, session):  # type: ignore[no-untyped-def]
        with pytest.raises(NotAuthenticated):
            service.set_address(session, actor=None, email="a@example.com")

    def test_without_an_smtp_server_no_address_can_be_added(self, app, session, settings):  # type: ignore[no-untyped-def]
        use_mail(app.state.engine, settings.model_copy(update={"smtp_host": ""}), app.url_path_for)
        user = make_user(session)
        with pytest.raises(MailDisabled):
            service.set_address(session, actor=user, email="a@example.com")

    def test_a_second_verification_mail_waits_for_the_interval(self, session, outbox):  # type: ignore[no-untyped-def]
        user = make_user(session)
        start = utcnow()
        service.set_address(session, actor=user, email="a@example.com", now=start)
        session.commit()
        with pytest.raises(TooSoon, match="秒后再试"):
            service.resend_verification(session, actor=user, now=start + timedelta(seconds=30))
        with pytest.raises(TooSoon):  # switching addresses is no way around it
            service.set_address(session, actor=user, email="b@example.com", now=start + timedelta(seconds=30))
        session.rollback()
        assert session.get(MailAddress, user.id).email == "a@example.com"  # type: ignore[union-attr]
        service.resend_verification(session, actor=user, now=start + timedelta(seconds=121))
        session.commit()
        assert [m.kind for m in outbox()] == [MailKind.VERIFY, MailKind.VERIFY]

    def test_the_link_verifies_the_address_once_and_for_all(self, session, outbox):  # type: ignore[no-untyped-def]
        user = make_user(session)
        service.set_address(session, actor=user, email="a@example.com")
        session.commit()
        token = _token(VERIFY_LINK, outbox()[0].body)
        assert not service.verification(session, token=token).is_verified  # looking changes nothing
        address = service.verify(session, token=token)
        first = address.verified_at
        assert first is not None
        assert service.verify(session, token=token).verified_at == first  # twice is fine
        with pytest.raises(Conflict, match="已经验证"):
            service.resend_verification(session, actor=user)

    def test_changing_the_address_needs_a_new_verification(self, session, outbox):  # type: ignore[no-untyped-def]
        user = make_user(session)
        service.set_address(session, actor=user, email="old@example.com", now=utcnow() - timedelta(hours=1))
        session.commit()
        old_token = _token(VERIFY_LINK, outbox()[0].body)
        service.verify(session, token=old_token)
        service.update_choices(session, actor=user, feeds=["reply"], digest=False)
        address = service.set_address(session, actor=user, email="new@example.com")
        session.commit()
        assert (address.email, address.verified_at) == ("new@example.com", None)
        assert (address.want_reply, address.want_mention) == (True, False)  # choices kept
        with pytest.raises(Invalid, match="已失效"):
            service.verify(session, token=old_token)
        service.verify(session, token=_token(VERIFY_LINK, outbox()[-1].body))
        assert session.get(MailAddress, user.id).is_verified  # type: ignore[union-attr]

    def test_tampered_and_expired_links_are_refused(self, session, outbox, monkeypatch):  # type: ignore[no-untyped-def]
        user = make_user(session)
        service.set_address(session, actor=user, email="a@example.com")
        session.commit()
        token = _token(VERIFY_LINK, outbox()[0].body)
        for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "", "abc.def.ghi"):
            with pytest.raises(Invalid, match="链接无效"):
                service.verify(session, token=bad)
        context = context_of(session)
        assert context is not None
        with monkeypatch.context() as m:
            m.setattr(time, "time", lambda: 1_000_000_000.0)  # signed long ago
            old = context.sign("verify", {"u": user.id, "e": "a@example.com"})
        with pytest.raises(LinkExpired, match="已过期"):
            service.verify(session, token=old)
        assert not session.get(MailAddress, user.id).is_verified  # type: ignore[union-attr]


class TestNotifications:
    def test_a_reply_queues_one_mail_for_the_topic_author(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, neighbour = make_user(session, "laowang"), make_user(session, "xiaoli")
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author, title="7号楼院内乱停车")
        make_reply(session, topic=topic, author=neighbour, body="我家门口也天天堵")
        [mail] = outbox()
        assert mail.to_addr == "laowang@example.com"
        assert mail.kind == Feed.REPLY
        assert mail.subject == "【嘉园一里社区吧】xiaoli 回复了你的帖子《7号楼院内乱停车》"
        assert "我家门口也天天堵" in mail.body
        assert re.search(r"https://jiayuan\.example\.com/p/\d+", mail.body)
        assert UNSUBSCRIBE_LINK.search(mail.body)

    def test_mentions_and_followers_get_their_own_feeds(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, poster, named = make_user(session, "a1"), make_user(session, "p1"), make_user(session, "m1")
        subscribe(author, want_reply=False)
        subscribe(named)
        topic = make_topic(session, board=make_board(session), author=author)
        make_reply(session, topic=topic, author=poster, body="@m1 你来看看")
        [mail] = outbox()
        assert (mail.to_addr, mail.kind) == ("m1@example.com", Feed.MENTION)
        assert "p1 在《7号楼院内乱停车》中提到了你" in mail.subject

    def test_nothing_for_a_feed_turned_off_or_an_unverified_address(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        off, unverified, poster = make_user(session), make_user(session), make_user(session)
        subscribe(off, want_reply=False)
        subscribe(unverified, verified=False)
        board = make_board(session)
        for author in (off, unverified):
            make_reply(session, topic=make_topic(session, board=board, author=author), author=poster)
        assert outbox() == []

    def test_a_rolled_back_reply_mails_nobody(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author)
        boards.reply(session, actor=poster, topic=topic, body="写了又撤回")
        session.flush()
        session.rollback()
        make_user(session)  # the next transaction commits
        assert outbox() == []

    def test_a_reply_rolled_back_in_a_savepoint_mails_nobody(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author)
        savepoint = session.begin_nested()
        boards.reply(session, actor=poster, topic=topic, body="被拒绝的回复")
        session.flush()
        savepoint.rollback()
        session.commit()
        assert outbox() == []

    def test_case_progress_mails_the_poster_with_a_link_to_the_case(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        resident = make_user(session, "jumin")
        staff = make_user(session, "shegong", role=RoleName.STAFF)
        subscribe(resident)
        topic = make_topic(session, board=make_board(session), author=resident, title="电梯只在白天运行")
        post = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()
        case = case_intake.open_case(session, actor=staff, post=post)
        session.commit()
        mails = [m for m in outbox() if m.kind == Feed.CASE]
        assert len(mails) == 1
        assert mails[0].to_addr == "jumin@example.com"
        assert "电梯只在白天运行" in mails[0].subject
        assert f"https://jiayuan.example.com/cases/{case.id}" in mails[0].body

    def test_a_failure_to_write_mail_does_not_cost_the_post(self, session, subscribe, outbox, monkeypatch):  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author)

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("template bug")

        monkeypatch.setattr(service, "queue_for_notifications", broken)
        post = make_reply(session, topic=topic, author=poster, body="照样发出去")
        session.expire_all()
        assert session.get(Post, post.id) is not None
        assert outbox() == []

    def test_inactive_users_get_no_mail(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        topic = make_topic(session, board=make_board(session), author=author)
        author.is_active = False
        session.add(author)
        session.commit()
        make_reply(session, topic=topic, author=poster)
        assert outbox() == []


class TestAnnounce:
    def test_a_notice_goes_to_everyone_verified_who_wants_it(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        wants, declines, unverified, digest = (make_user(session) for _ in range(4))
        subscribe(wants)
        subscribe(declines, want_notice=False)
        subscribe(unverified, verified=False)
        subscribe(digest, digest=True)
        count = service.announce(
            session, kind="notice", title="关于7号楼停车区施工的通知", url_path="/notices/3"
        )
        session.commit()
        assert count == 2
        [mail] = outbox()
        assert mail.to_addr == wants.username + "@example.com"
        assert mail.subject == "【嘉园一里社区吧】居务公开：《关于7号楼停车区施工的通知》"
        assert "https://jiayuan.example.com/notices/3" in mail.body
        assert "“居务公开新公告”类邮件" in mail.body
        [item] = session.exec(select(MailDigestItem)).all()
        assert (item.user_id, item.feed) == (digest.id, "notice")

    def test_a_consultation_follows_its_own_switch(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        wants, declines = make_user(session), make_user(session)
        subscribe(wants, want_notice=False)
        subscribe(declines, want_consultation=False)
        service.announce(
            session, kind="consultation", title="小区停车方案征求意见", url_path="/consultations/1"
        )
        session.commit()
        assert [m.to_addr for m in outbox()] == [wants.username + "@example.com"]
        assert outbox()[0].kind == Feed.CONSULTATION

    @pytest.mark.parametrize(
        ("kind", "title", "path"),
        [
            ("meeting", "标题", "/x"),
            ("notice", "  ", "/x"),
            ("notice", "标题", "https://evil.example"),
            ("notice", "标题", "//evil"),
        ],
    )
    def test_bad_announcements_are_refused(self, session, kind, title, path):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid):
            service.announce(session, kind=kind, title=title, url_path=path)


def _at(hour: int, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI).astimezone(UTC)


class TestDigest:
    def test_digest_users_get_one_mail_a_day_with_everything(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, a, b = make_user(session, "digester"), make_user(session, "ra"), make_user(session, "rb")
        subscribe(author, digest=True)
        topic = make_topic(session, board=make_board(session), author=author, title="羽毛球队招新")
        make_reply(session, topic=topic, author=a, body="算我一个")
        make_reply(session, topic=topic, author=b, body="周末几点？")
        service.announce(session, kind="notice", title="停水通知", url_path="/notices/9")
        session.commit()
        assert outbox() == []  # nothing at once
        assert service.send_digests(session, now=_at(7)) == 0  # before the digest hour
        assert service.send_digests(session, now=_at(8)) == 1
        session.commit()
        [mail] = outbox()
        assert (mail.kind, mail.to_addr) == (MailKind.DIGEST, "digester@example.com")
        assert mail.subject == "【嘉园一里社区吧】每日摘要：3 条新消息（11月24日）"
        for line in (
            "ra 回复了你的帖子《羽毛球队招新》",
            "rb 回复了你的帖子《羽毛球队招新》",
            "居务公开：《停水通知》",
        ):
            assert line in mail.body
        assert "退订全部" in mail.body
        assert session.exec(select(MailDigestItem)).all() == []
        # Idempotent: again the same day, nothing; new lines wait for tomorrow.
        make_reply(session, topic=topic, author=a, body="再顶一下")
        assert service.send_digests(session, now=_at(20)) == 0
        assert service.send_digests(session, now=_at(8, day=25)) == 1
        session.commit()
        assert len(outbox()) == 2
        assert "1 条新消息" in outbox()[1].subject

    def test_lines_of_a_feed_turned_off_since_are_dropped(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author, digest=True)
        make_reply(
            session, topic=make_topic(session, board=make_board(session), author=author), author=poster
        )
        service.update_choices(session, actor=author, feeds=["mention"], digest=True)
        session.commit()
        assert service.send_digests(session, now=_at(9)) == 0
        session.commit()
        assert outbox() == []
        assert session.exec(select(MailDigestItem)).all() == []

    def test_turning_the_digest_on_starts_with_tomorrows(self, session, subscribe):  # type: ignore[no-untyped-def]
        user = make_user(session)
        subscribe(user)
        address = service.update_choices(session, actor=user, feeds=list(Feed), digest=True, now=_at(10))
        assert address.last_digest_at == _at(10)
        poster = make_user(session)
        make_reply(session, topic=make_topic(session, board=make_board(session), author=user), author=poster)
        assert service.send_digests(session, now=_at(11)) == 0
        assert service.send_digests(session, now=_at(8, day=25)) == 1


class TestUnsubscribe:
    def _link(self, session, subscribe, outbox) -> tuple[str, object]:  # type: ignore[no-untyped-def]
        author, poster = make_user(session), make_user(session)
        subscribe(author)
        make_reply(
            session, topic=make_topic(session, board=make_board(session), author=author), author=poster
        )
        return _token(UNSUBSCRIBE_LINK, outbox()[0].body), author

    def test_the_link_turns_off_that_feed_only(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        token, author = self._link(session, subscribe, outbox)
        preview = service.unsubscription(session, token=token)
        assert (preview.scope, preview.active) == ("reply", True)
        assert session.get(MailAddress, author.id).want_reply  # type: ignore[attr-defined, union-attr]
        done = service.unsubscribe(session, token=token)
        session.commit()
        address = session.get(MailAddress, author.id)  # type: ignore[attr-defined]
        assert done.scope == "reply"
        assert (address.want_reply, address.want_mention, address.want_case) == (False, True, True)  # type: ignore[union-attr]
        assert not service.unsubscription(session, token=token).active  # a second click: nothing to do

    def test_tampered_and_expired_links_change_nothing(self, session, subscribe, outbox, monkeypatch):  # type: ignore[no-untyped-def]
        token, author = self._link(session, subscribe, outbox)
        payload, _, signature = token.partition(".")
        with pytest.raises(Invalid, match="链接无效"):
            service.unsubscribe(session, token=payload + "x." + signature)
        context = context_of(session)
        with monkeypatch.context() as m:
            m.setattr(time, "time", lambda: 1_000_000_000.0)
            old = context.sign(
                "unsubscribe", {"u": author.id, "e": f"{author.username}@example.com", "f": "reply"}
            )  # type: ignore[attr-defined, union-attr]
        with pytest.raises(LinkExpired):
            service.unsubscribe(session, token=old)
        forged = context.sign("unsubscribe", {"u": author.id, "e": "x", "f": "everything"})  # type: ignore[attr-defined, union-attr]
        with pytest.raises(Invalid):
            service.unsubscribe(session, token=forged)
        assert session.get(MailAddress, author.id).want_reply  # type: ignore[attr-defined, union-attr]

    def test_the_verification_mail_link_removes_the_address(self, session, outbox):  # type: ignore[no-untyped-def]
        user = make_user(session)
        service.set_address(session, actor=user, email="not-mine@example.com")
        session.commit()
        token = _token(UNSUBSCRIBE_LINK, outbox()[0].body)
        assert service.unsubscription(session, token=token).scope == "address"
        service.unsubscribe(session, token=token)
        session.commit()
        assert session.get(MailAddress, user.id) is None

    def test_a_link_for_an_old_address_does_nothing_to_the_new_one(self, session, subscribe, outbox):  # type: ignore[no-untyped-def]
        token, author = self._link(session, subscribe, outbox)
        address = session.get(MailAddress, author.id)  # type: ignore[attr-defined]
        address.email = "new@example.com"  # type: ignore[union-attr]
        session.commit()
        assert not service.unsubscribe(session, token=token).active
        assert session.get(MailAddress, author.id).want_reply  # type: ignore[attr-defined, union-attr]
