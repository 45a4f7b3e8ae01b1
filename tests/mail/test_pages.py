"""The mail pages: the settings page with and without htmx, following a verification link from a
real mail, and unsubscribing without logging in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from factories import csrf, form_post, login, make_board, make_reply, make_topic, make_user
from forum.app import create_app
from forum.mail.models import MailAddress

LINK = re.compile(r"https://jiayuan\.example\.com(/mail/\w+\?token=\S+)")


def _address(session, user) -> MailAddress | None:  # type: ignore[no-untyped-def]
    session.commit()
    session.expire_all()
    return session.get(MailAddress, user.id)


class TestSettingsPage:
    def test_visitors_are_sent_to_log_in(self, client):  # type: ignore[no-untyped-def]
        response = client.get("/me/email", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/me/email"

    def test_the_profile_page_links_to_it(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "zhang")
        login(client, "zhang")
        assert 'href="http://testserver/me/email"' in client.get("/u/zhang").text

    def test_the_page_says_when_the_site_cannot_send_mail(self, settings, session):  # type: ignore[no-untyped-def]
        app = create_app(settings.model_copy(update={"smtp_host": ""}))
        try:
            with TestClient(app) as browser:
                with Session(app.state.engine) as s:
                    make_user(s, "nomail")
                login(browser, "nomail")
                page = browser.get("/me/email").text
                assert "本站尚未配置邮件发送服务" in page
                response = form_post(browser, "/me/email", {"email": "a@example.com"})
                assert response.status_code == 409
                assert "本站尚未配置邮件发送服务" in response.text
        finally:
            app.state.engine.dispose()

    def test_a_bad_address_comes_back_with_the_reason_and_nothing_saved(self, client, session):  # type: ignore[no-untyped-def]
        user = make_user(session, "typo")
        login(client, "typo")
        response = form_post(client, "/me/email", {"email": "typo@@example"})
        assert response.status_code == 400
        assert "邮箱地址格式不正确" in response.text
        assert 'value="typo@@example"' in response.text
        assert _address(session, user) is None
        too_long = form_post(client, "/me/email", {"email": "x" * 400})
        assert too_long.status_code == 422
        assert "提交的内容格式不正确" in too_long.text

    def test_resending_too_soon_is_refused_with_a_clear_message(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "hurry")
        login(client, "hurry")
        assert form_post(client, "/me/email", {"email": "hurry@example.com"}).status_code == 303
        response = form_post(client, "/me/email/resend")
        assert response.status_code == 429
        assert "验证邮件刚刚发出" in response.text

    def test_choices_are_saved_with_and_without_htmx(self, client, session, subscribe):  # type: ignore[no-untyped-def]
        user = make_user(session, "chooser")
        subscribe(user)
        login(client, "chooser")
        response = form_post(client, "/me/email/choices", {"feeds": ["reply", "case"], "digest": "1"})
        assert response.status_code == 303
        assert response.headers["location"].endswith("/me/email?done=choices")
        address = _address(session, user)
        assert (address.want_reply, address.want_mention, address.want_case, address.digest) == (
            True,
            False,
            True,
            True,
        )  # type: ignore[union-attr]
        fragment = client.post(
            "/me/email/choices",
            data={"feeds": ["mention"], "digest": "0"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert 'id="mail-choices"' in fragment.text and "已保存" in fragment.text
        address = _address(session, user)
        assert (address.want_reply, address.want_mention, address.digest) == (False, True, False)  # type: ignore[union-attr]
        bad = form_post(client, "/me/email/choices", {"feeds": ["spam"]})
        assert bad.status_code == 400
        assert "未知的邮件类型" in bad.text
        assert _address(session, user).want_mention  # type: ignore[union-attr]

    def test_forms_need_the_csrf_token(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "csrf")
        login(client, "csrf")
        response = client.post("/me/email", data={"email": "a@example.com"}, follow_redirects=False)
        assert response.status_code == 403


class TestVerificationLink:
    def test_the_link_in_the_mail_verifies_the_address(  # type: ignore[no-untyped-def]
        self, client, make_client, session, inbox, send, body_of
    ):
        user = make_user(session, "liuyang")
        login(client, "liuyang")
        response = form_post(client, "/me/email", {"email": "liuyang@example.com"})
        assert response.status_code == 303
        assert "验证邮件已发往 liuyang@example.com" in client.get(response.headers["location"]).text
        assert send().sent == 1
        [message] = inbox.messages
        assert message["Subject"] == "【嘉园一里社区吧】请验证你的邮箱"
        path = LINK.search(body_of(message)).group(1)  # type: ignore[union-attr]
        assert path.startswith("/mail/verify?")
        phone = make_client()  # opened on another device, not logged in
        page = phone.get(path)
        assert page.status_code == 200 and "确认验证" in page.text
        assert not _address(session, user).is_verified  # type: ignore[union-attr]  # looking is not verifying
        confirmed = phone.post(path, data={"csrf_token": csrf(phone)})
        assert confirmed.status_code == 200
        assert "liuyang@example.com 已验证" in confirmed.text
        assert _address(session, user).is_verified  # type: ignore[union-attr]
        assert "已验证" in client.get("/me/email").text

    def test_a_broken_link_gets_a_clear_page(self, client):  # type: ignore[no-untyped-def]
        response = client.get("/mail/verify?token=abc.def")
        assert response.status_code == 422
        assert "链接无效" in response.text
        assert client.get("/mail/verify").status_code == 422


class TestUnsubscribeLink:
    def _mail(self, session, subscribe, inbox, send, body_of):  # type: ignore[no-untyped-def]
        author, poster = make_user(session, "tuiding"), make_user(session)
        subscribe(author)
        make_reply(
            session, topic=make_topic(session, board=make_board(session), author=author), author=poster
        )
        assert send().sent == 1
        [message] = inbox.messages
        path = LINK.search(body_of(message)).group(1)  # type: ignore[union-attr]
        return author, message, path

    def test_unsubscribing_needs_no_login_and_says_what_it_turns_off(  # type: ignore[no-untyped-def]
        self, client, session, subscribe, inbox, send, body_of
    ):
        author, _message, path = self._mail(session, subscribe, inbox, send, body_of)
        page = client.get(path)
        assert page.status_code == 200
        assert "“回复”类邮件提醒" in page.text and "其他类型的邮件照常发送" in page.text
        assert "/me/email" in page.text
        assert _address(session, author).want_reply  # type: ignore[union-attr]
        done = form_post(client, path)
        assert done.status_code == 200
        assert "已退订" in done.text
        address = _address(session, author)
        assert (address.want_reply, address.want_mention) == (False, True)  # type: ignore[union-attr]
        assert "无需退订" in client.get(path).text

    def test_one_click_unsubscribe_from_the_mail_header(  # type: ignore[no-untyped-def]
        self, make_client, session, subscribe, inbox, send, body_of
    ):
        author, message, _path = self._mail(session, subscribe, inbox, send, body_of)
        url = message["List-Unsubscribe"].strip("<>")
        provider = make_client()  # no cookies, no CSRF token: RFC 8058 one-click
        response = provider.post(url, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert not _address(session, author).want_reply  # type: ignore[union-attr]

    def test_a_tampered_link_is_refused_and_changes_nothing(  # type: ignore[no-untyped-def]
        self, client, session, subscribe, inbox, send, body_of
    ):
        author, _message, path = self._mail(session, subscribe, inbox, send, body_of)
        tampered = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
        response = client.post(tampered)
        assert response.status_code == 422
        assert "链接无效" in response.text
        assert "邮件提醒设置" in response.text
        assert _address(session, author).want_reply  # type: ignore[union-attr]
        assert client.get("/mail/unsubscribe?token=" + "x" * 600).status_code == 422

    def test_the_address_removal_link_of_a_verification_mail(  # type: ignore[no-untyped-def]
        self, client, make_client, session, inbox, send, body_of
    ):
        user = make_user(session, "notme")
        login(client, "notme")
        form_post(client, "/me/email", {"email": "stranger@example.com"})
        send()
        text = body_of(inbox.messages[0])
        path = next(m.group(1) for m in LINK.finditer(text) if m.group(1).startswith("/mail/unsubscribe"))
        stranger = make_client()
        assert "删除这个邮箱" in stranger.get(path).text
        assert "已删除邮箱" in form_post(stranger, path).text
        assert session.exec(select(MailAddress).where(MailAddress.user_id == user.id)).first() is None
