"""The anonymous page cache (forum.pagecache): what is served from it, what never is, expiry,
bounds, and that shared pages carry no visitor's CSRF token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from factories import csrf, floors_on_page, form_post, login, make_board, make_reply, make_topic, make_user
from forum.app import create_app
from forum.config import Settings
from forum.pagecache import CACHEABLE_HEADER, AnonymousCache, AnonymousCacheMiddleware


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite turns the cache off (tests/conftest.py); here it runs as in production."""
    return settings.model_copy(
        update={"anon_cache_seconds": Settings.model_fields["anon_cache_seconds"].default}
    )


@pytest.fixture
def clock(app) -> Clock:  # type: ignore[no-untyped-def]
    app.state.page_cache.clock = clock = Clock()
    return clock


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi", name="社区议事")
    alice = make_user(session, "七号楼老张")
    bob = make_user(session, "jiayuan_mama")
    topic = make_topic(session, board=board, author=alice, tags=["tingche"])
    make_reply(session, topic=topic, author=bob, body="同感，晚上根本找不到车位")
    return board, alice, bob, topic


@pytest.fixture
def queries(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Every SQL statement the app runs while the test does."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def cache_state(response) -> str | None:  # type: ignore[no-untyped-def]
    return response.headers.get("x-cache")  # type: ignore[no-any-return]


PAGES = ["/", "/b/yishi", "/b/yishi?tag=tingche", "/t/{topic}"]


class TestServedFromTheCache:
    @pytest.mark.parametrize("url", PAGES)
    def test_second_anonymous_get_is_answered_without_the_app(self, client, world, clock, queries, url):  # type: ignore[no-untyped-def]
        url = url.format(topic=world[-1].id)
        first = client.get(url)
        assert first.status_code == 200 and cache_state(first) == "MISS"
        queries.clear()
        second = client.get(url)
        assert second.status_code == 200 and cache_state(second) == "HIT"
        assert queries == []  # no routing, no session, no query, no rendering
        assert second.content == first.content
        assert second.headers["content-type"] == "text/html; charset=utf-8"
        assert second.headers["age"] == "0"

    def test_cached_pages_still_get_security_headers_and_the_visitors_own_csrf_cookie(  # type: ignore[no-untyped-def]
        self, client, make_client, world, clock
    ):
        url = f"/t/{world[-1].id}"
        client.get(url)
        newcomer = make_client()
        response = newcomer.get(url)
        assert cache_state(response) == "HIT"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert "forum_csrf=" in response.headers["set-cookie"]
        assert newcomer.cookies["forum_csrf"] != client.cookies["forum_csrf"]
        assert CACHEABLE_HEADER not in response.headers

    def test_head_is_answered_like_get_without_a_body(self, client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        miss = client.head(url)
        assert miss.status_code == 200 and cache_state(miss) == "MISS" and miss.content == b""
        hit = client.head(url)
        assert hit.status_code == 200 and cache_state(hit) == "HIT" and hit.content == b""
        page = client.get(url)  # the HEAD filled the cache with the whole page
        assert cache_state(page) == "HIT" and 'id="floor-1"' in page.text
        assert int(hit.headers["content-length"]) == len(page.content)

    def test_query_string_is_part_of_the_key(self, client, session, world, clock):  # type: ignore[no-untyped-def]
        _board, alice, bob, topic = world
        for i in range(35):
            make_reply(session, topic=topic, author=bob if i % 2 else alice, body=f"第{i + 3}楼")
        first = client.get(f"/t/{topic.id}")
        second = client.get(f"/t/{topic.id}?page=2")
        assert cache_state(first) == cache_state(second) == "MISS"
        assert floors_on_page(first.text)[0] == 1 and floors_on_page(second.text)[0] == 31
        again = client.get(f"/t/{topic.id}?page=2")
        assert cache_state(again) == "HIT" and again.content == second.content
        assert cache_state(client.get(f"/t/{topic.id}")) == "HIT"

    def test_a_forged_host_only_fills_its_own_entry(self, client, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        forged = client.get(url, headers={"host": "evil.example"})
        assert cache_state(forged) == "MISS" and "http://evil.example/" in forged.text
        honest = make_client().get(url)
        assert cache_state(honest) == "MISS" and "evil.example" not in honest.text


class TestNeverCached:
    def test_logged_in_users_get_fresh_pages_and_fill_nothing(self, client, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        login(client, "jiayuan_mama")
        anonymous = make_client()
        assert cache_state(anonymous.get(url)) == "MISS"
        for _ in range(2):
            page = client.get(url)
            assert page.status_code == 200 and cache_state(page) is None
            assert "退出" in page.text and 'data-testid="reply-body"' in page.text
        assert len(client.app.state.page_cache) == 1  # only the anonymous page

    def test_a_logged_in_page_is_never_served_to_visitors(self, client, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        login(client, "jiayuan_mama")
        client.get(url)
        visitor = make_client().get(url)
        assert cache_state(visitor) == "MISS" and "退出" not in visitor.text

    def test_any_session_cookie_bypasses_the_cache(self, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        assert cache_state(make_client().get(url)) == "MISS"
        stale = make_client()
        stale.cookies.set("forum_session", "expired-or-forged")
        response = stale.get(url)
        assert response.status_code == 200 and cache_state(response) is None
        assert CACHEABLE_HEADER not in response.headers

    def test_htmx_requests_are_neither_served_nor_stored(self, client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        htmx = {"HX-Request": "true"}
        assert cache_state(client.get(url, headers=htmx)) is None
        assert cache_state(client.get(url)) == "MISS"
        response = client.get(url, headers=htmx)
        assert response.status_code == 200 and cache_state(response) is None

    @pytest.mark.parametrize(
        "url", ["/t/999999", "/b/nope", "/t/{topic}/floor/1", "/login", "/static/css/site.css"]
    )
    def test_errors_redirects_and_pages_that_do_not_opt_in(self, client, world, clock, url):  # type: ignore[no-untyped-def]
        url = url.format(topic=world[-1].id)
        for _ in range(2):
            response = client.get(url, follow_redirects=False)
            assert cache_state(response) is None, url
        assert len(client.app.state.page_cache) == 0

    def test_a_server_error_is_not_cached(self, app, world, clock, monkeypatch):  # type: ignore[no-untyped-def]
        from forum.boards import queries

        def broken(*_args, **_kw):  # type: ignore[no-untyped-def]
            raise RuntimeError("database went away")

        client = TestClient(app, raise_server_exceptions=False)
        monkeypatch.setattr(queries, "latest_topics", broken)
        assert client.get("/").status_code == 500
        monkeypatch.undo()
        response = client.get("/")
        assert response.status_code == 200 and cache_state(response) == "MISS"


class TestExpiry:
    def test_entries_live_for_the_ttl(self, client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        assert client.app.state.page_cache.ttl == 15  # the default
        assert cache_state(client.get(url)) == "MISS"
        clock.now += 14.9
        hit = client.get(url)
        assert cache_state(hit) == "HIT" and hit.headers["age"] == "14"
        clock.now += 0.1
        assert cache_state(client.get(url)) == "MISS"
        assert cache_state(client.get(url)) == "HIT"

    def test_a_new_reply_reaches_visitors_after_the_ttl(self, client, session, world, clock):  # type: ignore[no-untyped-def]
        _board, alice, _bob, topic = world
        url = f"/t/{topic.id}"
        before = client.get(url)
        make_reply(session, topic=topic, author=alice, body="物业今天回复说下周划线")
        stale = client.get(url)
        assert cache_state(stale) == "HIT" and "下周划线" not in stale.text
        clock.now += 15
        fresh = client.get(url)
        assert cache_state(fresh) == "MISS" and "下周划线" in fresh.text
        assert floors_on_page(fresh.text) == [*floors_on_page(before.text), 3]

    def test_a_reply_posted_through_the_app_reaches_visitors_at_once(self, client, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        visitor = make_client()
        assert [cache_state(visitor.get(url)) for _ in range(2)] == ["MISS", "HIT"]
        login(client, "jiayuan_mama")
        posted = form_post(client, f"{url}/reply", {"body": "物业今天回复说下周划线"})
        assert posted.status_code == 303
        fresh = visitor.get(url)
        assert cache_state(fresh) == "MISS" and "下周划线" in fresh.text
        assert cache_state(visitor.get(url)) == "HIT"

    def test_a_post_hidden_by_staff_is_gone_for_visitors_at_once(
        self, client, make_client, session, world, clock
    ):  # type: ignore[no-untyped-def]
        _board, _alice, _bob, topic = world
        make_user(session, "社工小李", role="staff")
        reply = make_reply(session, topic=topic, author=world[1], body="我家电话是13800000000")
        url = f"/t/{topic.id}"
        visitor = make_client()
        assert "13800000000" in visitor.get(url).text
        login(client, "社工小李")
        hidden = form_post(client, f"/p/{reply.id}/hide")
        assert hidden.status_code == 303, hidden.text
        page = visitor.get(url)
        assert cache_state(page) == "MISS" and "13800000000" not in page.text

    def test_a_refused_write_leaves_the_cache_alone(self, client, make_client, world, clock):  # type: ignore[no-untyped-def]
        url = f"/t/{world[-1].id}"
        login(client, "jiayuan_mama")
        visitor = make_client()
        assert cache_state(visitor.get(url)) == "MISS"
        refused = form_post(client, f"{url}/reply", {"body": "   "})
        assert refused.status_code in (400, 422)
        assert cache_state(visitor.get(url)) == "HIT"

    def test_a_ttl_of_zero_turns_the_cache_off(self, settings, world):  # type: ignore[no-untyped-def]
        app = create_app(settings.model_copy(update={"anon_cache_seconds": 0}))
        try:
            with TestClient(app) as client:
                for _ in range(2):
                    response = client.get(f"/t/{world[-1].id}")
                    assert response.status_code == 200 and cache_state(response) is None
                    assert CACHEABLE_HEADER not in response.headers
            assert len(app.state.page_cache) == 0
        finally:
            app.state.engine.dispose()


class TestBounds:
    def test_least_recently_used_page_goes_first(self, client, session, world, clock):  # type: ignore[no-untyped-def]
        board, alice, _bob, topic = world
        other = make_topic(session, board=board, author=alice, title="电梯又坏了")
        cache = client.app.state.page_cache
        cache.max_entries = 2
        a, b, c = f"/t/{topic.id}", f"/t/{other.id}", "/b/yishi"
        client.get(a)
        client.get(b)
        assert cache_state(client.get(a)) == "HIT"  # a is now the most recently used
        client.get(c)
        assert len(cache) == 2
        assert cache_state(client.get(b)) == "MISS"  # b was evicted (and comes back, pushing out a)
        assert cache_state(client.get(c)) == "HIT"
        assert cache_state(client.get(a)) == "MISS"

    def test_total_size_is_bounded(self) -> None:
        clock = Clock()
        cache = AnonymousCache(ttl=15, max_entries=100, max_bytes=80_000, clock=clock)
        page = b"x" * 9_000
        for i in range(10):
            assert cache.put(("http", b"h", "", f"/t/{i}".encode(), b""), [], page)
            cache.get(("http", b"h", "", b"/t/0", b""))  # keep /t/0 in use
        assert cache.bytes <= 80_000 and len(cache) == 8
        assert cache.get(("http", b"h", "", b"/t/0", b"")) is not None
        assert cache.get(("http", b"h", "", b"/t/1", b"")) is None
        # A page larger than an eighth of the budget is not worth pushing the others out for.
        assert not cache.put(("http", b"h", "", b"/big", b""), [], b"x" * 10_000)
        assert len(cache) == 8


class TestNoSharedCsrfToken:
    @pytest.mark.parametrize("url", PAGES)
    def test_two_visitors_get_the_same_page_without_either_token(self, make_client, world, clock, url):  # type: ignore[no-untyped-def]
        url = url.format(topic=world[-1].id)
        first, second = make_client(), make_client()
        tokens = csrf(first), csrf(second)
        assert tokens[0] != tokens[1]
        pages = first.get(url), second.get(url)
        assert [cache_state(p) for p in pages] == ["MISS", "HIT"]
        assert pages[0].content == pages[1].content
        html = pages[0].text
        assert tokens[0] not in html and tokens[1] not in html
        assert "X-CSRF-Token" not in html and 'name="csrf_token"' not in html

    def test_pages_that_are_not_shared_keep_the_token(self, client, world, clock):  # type: ignore[no-untyped-def]
        token = csrf(client)
        assert f'value="{token}"' in client.get("/login").text  # the login form needs it
        login(client, "七号楼老张")
        topic = client.get(f"/t/{world[-1].id}").text
        assert f'"X-CSRF-Token": "{token}"' in topic and f'name="csrf_token" value="{token}"' in topic


class TestMiddleware:
    """The middleware's rules on a bare app, for responses the forum's routes do not produce."""

    @staticmethod
    def client(response: Response) -> TestClient:
        async def endpoint(_request):  # type: ignore[no-untyped-def]
            response.headers[CACHEABLE_HEADER] = "1"
            return response

        cache = AnonymousCache(ttl=15, max_entries=10, max_bytes=1_000_000, clock=Clock())
        app = Starlette(routes=[Route("/", endpoint)])
        return TestClient(AnonymousCacheMiddleware(app, cache=cache, session_cookie="forum_session"))

    @pytest.mark.parametrize(
        "response",
        [
            PlainTextResponse("没有", status_code=404),
            PlainTextResponse("出错了", status_code=500),
            RedirectResponse("/elsewhere", status_code=303),
        ],
        ids=["404", "500", "redirect"],
    )
    def test_marked_responses_other_than_200_are_not_stored(self, response) -> None:  # type: ignore[no-untyped-def]
        client = self.client(response)
        for _ in range(2):
            answer = client.get("/", follow_redirects=False)
            assert cache_state(answer) is None and CACHEABLE_HEADER not in answer.headers

    def test_a_marked_response_that_sets_a_cookie_is_not_stored(self) -> None:
        response = PlainTextResponse("你好")
        response.set_cookie("forum_session", "someone-elses")
        client = self.client(response)
        for _ in range(2):
            answer = client.get("/")
            assert answer.status_code == 200 and cache_state(answer) is None

    def test_a_page_rendered_while_a_write_finished_is_not_stored(self) -> None:
        cache = AnonymousCache(ttl=15, max_entries=10, max_bytes=1_000_000, clock=Clock())

        async def page(_request):  # type: ignore[no-untyped-def]
            cache.clear()  # what a write finishing on this worker during the render does
            return PlainTextResponse("旧的内容", headers={CACHEABLE_HEADER: "1"})

        app = Starlette(routes=[Route("/", page)])
        client = TestClient(AnonymousCacheMiddleware(app, cache=cache, session_cookie="forum_session"))
        client.get("/")
        assert len(cache) == 0

    def test_a_marked_200_is_stored(self) -> None:
        client = self.client(PlainTextResponse("你好"))
        assert [cache_state(client.get("/")) for _ in range(2)] == ["MISS", "HIT"]
