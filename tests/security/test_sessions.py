"""Sessions and passwords: cookie flags, a new session id at every login, logout and password
change ending sessions on the server, sane password rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from factories import PASSWORD, api_token, form_post, login, make_user
from forum.accounts import service as accounts
from forum.accounts.models import LoginSession
from forum.app import create_app
from forum.config import Settings
from forum.errors import Invalid
from forum.routes.deps import CSRF_COOKIE, SESSION_COOKIE


def set_cookie_headers(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Set-Cookie headers by cookie name, attributes lower-cased."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        found[name] = header.lower()
    return found


def _login_response(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return form_post(client, "/login", {"username": username, "password": password})


class TestCookies:
    def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        csrf = set_cookie_headers(client.get("/login"))[CSRF_COOKIE]
        response = _login_response(client, "七号楼老张")
        cookie = set_cookie_headers(response)[SESSION_COOKIE]
        for header in (cookie, csrf):
            assert "httponly" in header and "samesite=lax" in header and "path=/" in header
            assert "secure" not in header  # plain http in development

    def test_cookies_are_secure_behind_https(self, settings, session):  # type: ignore[no-untyped-def]
        app = create_app(settings.model_copy(update={"https_only_cookies": True}))
        make_user(session, "七号楼老张")
        with TestClient(app, base_url="https://testserver") as client:
            csrf = set_cookie_headers(client.get("/login"))[CSRF_COOKIE]
            cookie = set_cookie_headers(_login_response(client, "七号楼老张"))[SESSION_COOKIE]
            assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
            assert "; secure" in csrf
        app.state.engine.dispose()

    def test_session_token_is_not_stored_in_clear(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        token = client.cookies[SESSION_COOKIE]
        ids = session.exec(select(LoginSession.id)).all()
        assert len(ids) == 1 and token not in ids and len(token) >= 40


class TestSessionLifecycle:
    def test_login_rotates_the_session_id_and_ends_the_old_one(self, client, make_client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        make_user(session, "八号楼王阿姨")
        login(client, "七号楼老张")
        first = client.cookies[SESSION_COOKIE]
        login(client, "八号楼王阿姨")  # the same browser logs in again (as someone else)
        second = client.cookies[SESSION_COOKIE]
        assert second != first
        replay = make_client()
        replay.cookies.set(SESSION_COOKIE, first)
        assert replay.get("/notifications", follow_redirects=False).status_code == 303  # to /login

    def test_a_session_id_planted_before_login_is_not_kept(self, client, session):  # type: ignore[no-untyped-def]
        """Session fixation: a cookie value set by someone else is never made a logged-in session."""
        make_user(session, "七号楼老张")
        planted = "planted-by-an-attacker-0123456789abcdef"
        client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local", path="/")
        response = _login_response(client, "七号楼老张")
        issued = set_cookie_headers(response)[SESSION_COOKIE]
        assert planted not in issued
        # The planted value itself was never made a session.
        session.expire_all()
        assert accounts.user_for_token(session, token=planted, kind="web") is None

    def test_logout_ends_the_session_on_the_server(self, client, make_client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        token = client.cookies[SESSION_COOKIE]
        response = form_post(client, "/logout")
        assert response.status_code == 303
        assert SESSION_COOKIE in set_cookie_headers(response)  # deleted in the browser too
        session.expire_all()
        assert session.exec(select(LoginSession)).all() == []
        stolen = make_client()
        stolen.cookies.set(SESSION_COOKIE, token)
        assert stolen.get("/notifications", follow_redirects=False).status_code == 303
        assert "七号楼老张" not in stolen.get("/").text

    def test_logged_out_api_token_stops_working(self, client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        headers = api_token(client, "七号楼老张")
        assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401

    def test_web_session_is_not_an_api_token_and_the_reverse(self, client, make_client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        web = client.cookies[SESSION_COOKIE]
        assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {web}"}).status_code == 401
        api = api_token(client, "七号楼老张")["Authorization"].split()[1]
        other = make_client()
        other.cookies.set(SESSION_COOKIE, api)
        assert other.get("/notifications", follow_redirects=False).status_code == 303


class TestPasswordChange:
    def test_change_ends_every_other_session_and_token(self, client, make_client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        phone = make_client()
        login(phone, "七号楼老张")
        headers = api_token(make_client(), "七号楼老张")
        page = client.get("/me/password")
        assert page.status_code == 200 and 'name="current"' in page.text
        response = form_post(
            client,
            "/me/password",
            {"current": PASSWORD, "password": "a-new-passphrase-7", "password2": "a-new-passphrase-7"},
        )
        assert response.status_code == 200 and "密码已修改" in response.text
        # This browser stays logged in; the phone and the API token do not.
        assert client.get("/notifications", follow_redirects=False).status_code == 200
        assert phone.get("/notifications", follow_redirects=False).status_code == 303
        assert make_client().get("/api/v1/users/me", headers=headers).status_code == 401
        # The old password no longer works, the new one does.
        fresh = make_client()
        assert _login_response(fresh, "七号楼老张").status_code == 400
        login(fresh, "七号楼老张", "a-new-passphrase-7")

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"current": "wrong-password", "password": "a-new-passphrase-7"}, "当前密码不正确"),
            ({"current": PASSWORD, "password": "short"}, "至少需要 8 个字符"),
            ({"current": PASSWORD, "password": "password123"}, "太常见"),
            ({"current": PASSWORD, "password": "a-new-passphrase-7", "password2": "different-1"}, "不一致"),
            ({"current": PASSWORD, "password": PASSWORD}, "不能与当前密码相同"),
        ],
    )
    def test_refused_change_explains_and_keeps_the_password(
        self, client, make_client, session, form, message
    ):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        other = make_client()
        login(other, "七号楼老张")
        form.setdefault("password2", form["password"])
        response = form_post(client, "/me/password", form)
        assert response.status_code == 400 and message in response.text
        assert other.get("/notifications", follow_redirects=False).status_code == 200  # not logged out
        login(make_client(), "七号楼老张")  # the old password still works

    def test_visitor_is_sent_to_login(self, client):  # type: ignore[no-untyped-def]
        response = client.get("/me/password", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert form_post(client, "/me/password", {"current": "x", "password": "y"}).status_code == 401

    def test_change_through_the_api_keeps_only_that_token(self, client, make_client, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        browser = make_client()
        login(browser, "七号楼老张")
        headers = api_token(client, "七号楼老张")
        other = api_token(client, "七号楼老张")
        response = client.put(
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": "a-new-passphrase-7"},
            headers=headers,
        )
        assert response.status_code == 204, response.text
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
        assert client.get("/api/v1/users/me", headers=other).status_code == 401
        assert browser.get("/notifications", follow_redirects=False).status_code == 303
        bad = client.put(
            "/api/v1/users/me/password",
            json={"current_password": "nope", "new_password": "another-passphrase-8"},
            headers=headers,
        )
        assert bad.status_code == 422 and bad.json()["detail"] == "当前密码不正确"


class TestPasswordRules:
    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short1", "至少需要"),
            ("x" * 129, "不能超过"),
            ("aaaaaaaaaaaa", "太简单"),
            ("七号楼老张七号楼老张", None),  # fine: only equal to the name is refused
            ("Qwerty123", "太常见"),
            ("12345678", "太常见"),
            ("woaini1314", "太常见"),
        ],
    )
    def test_rules(self, password: str, message: str | None) -> None:
        if message is None:
            accounts.check_password_rules(password, "七号楼老张")
        else:
            with pytest.raises(Invalid, match=message):
                accounts.check_password_rules(password, "七号楼老张")

    def test_password_equal_to_the_username_is_refused(self) -> None:
        with pytest.raises(Invalid, match="用户名相同"):
            accounts.check_password_rules("Laozhang2024", "laozhang2024")

    def test_registration_applies_the_rules(self, client):  # type: ignore[no-untyped-def]
        response = form_post(
            client, "/register", {"username": "新居民", "password": "password1", "password2": "password1"}
        )
        assert response.status_code == 400 and "太常见" in response.text

    def test_passwords_are_stored_as_argon2_hashes(self, session):  # type: ignore[no-untyped-def]
        user = make_user(session, "七号楼老张")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


class TestLoginThrottle:
    """With the production limits (the test settings raise them): 5 failures per account name in
    15 minutes, then even the right password is refused until the window passes."""

    @pytest.fixture
    def strict(self, settings):  # type: ignore[no-untyped-def]
        defaults = Settings(_env_file=None)  # type: ignore[call-arg]
        app = create_app(
            settings.model_copy(
                update={
                    "login_failures_per_account": defaults.login_failures_per_account,
                    "login_failures_per_ip": defaults.login_failures_per_ip,
                }
            )
        )
        assert app.state.settings.login_failures_per_account == 5
        clients: list[TestClient] = []

        def make() -> TestClient:
            clients.append(TestClient(app))
            return clients[-1]

        yield make
        for c in clients:
            c.close()
        app.state.engine.dispose()

    def test_guessing_stops_after_five_failures_even_with_the_right_password(self, strict, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        client = strict()
        for _ in range(5):
            assert _login_response(client, "七号楼老张", "wrong-guess-123").status_code == 400
        refused = _login_response(strict(), "七号楼老张")
        assert refused.status_code == 429 and "登录失败次数过多" in refused.text
        api = client.post("/api/v1/tokens", json={"username": "七号楼老张", "password": PASSWORD})
        assert api.status_code == 429 and "登录失败次数过多" in api.json()["detail"]

    def test_guessing_the_current_password_from_a_session_is_throttled_too(self, strict, session):  # type: ignore[no-untyped-def]
        make_user(session, "七号楼老张")
        client = strict()
        assert _login_response(client, "七号楼老张").status_code == 303
        form = {"current": "wrong-guess-123", "password": "a-new-secret-77", "password2": "a-new-secret-77"}
        for _ in range(5):
            assert form_post(client, "/me/password", form).status_code == 400
        refused = form_post(client, "/me/password", {**form, "current": PASSWORD})
        assert refused.status_code == 429 and "登录失败次数过多" in refused.text
        assert _login_response(strict(), "七号楼老张").status_code == 429

    def test_unknown_names_are_throttled_the_same_way(self, strict):  # type: ignore[no-untyped-def]
        client = strict()
        for _ in range(5):
            assert _login_response(client, "没有这个人", "wrong-guess-123").status_code == 400
        assert _login_response(client, "没有这个人", "wrong-guess-123").status_code == 429
