"""Browser tests: a real uvicorn server on a free port, driven by Debian's chromium through
Playwright (never `playwright install`). Data is written with the factories through a Session on
the same database the server uses, and committed before the browser looks.

Every page opened through `open_page` records console errors, uncaught exceptions and CSP
violations (chromium reports those as console errors); a test that saw any fails at teardown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import Session

from e2e.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, make_image
from forum.accounts import service as accounts
from forum.accounts.models import User
from forum.config import Settings
from forum.db import make_engine
from forum.media.images import ImageStore
from forum.routes.deps import SESSION_COOKIE
from generous_limits import as_env


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One chromium per xdist worker; each test gets fresh contexts (cookies) from it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


UVICORN = [sys.executable, "-m", "uvicorn", "forum.asgi:app", "--host", "127.0.0.1", "--no-access-log"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A uvicorn subprocess. Started when the fixture runs; `url` waits until it answers, so the
    test's data set-up overlaps the server's start-up."""

    database_url: str
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    ready: bool = False
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.workdir / "server-data"
        self.log_path = self.workdir / "server.log"

    def start(self) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
        env |= {
            "FORUM_DATA_DIR": str(self.data_dir),
            "FORUM_DATABASE_URL": self.database_url,
            "FORUM_SECRET_KEY": "test",
            "FORUM_ANON_CACHE_SECONDS": "0",  # visitors reload right after a write
            **as_env(),
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*UVICORN, "--port", str(self.port)],
                cwd=self.workdir,  # no stray .env, no ./data
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        if not self.ready:
            self._wait()
        return f"http://127.0.0.1:{self.port}"

    def _wait(self) -> None:
        attempts = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                # Most likely another worker took the port between our probe and uvicorn's bind.
                attempts += 1
                if attempts > 3:
                    pytest.fail(f"the server did not start:\n{self.log_tail()}")
                self.start()
                continue
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2) as r:
                    if r.status == 200:
                        self.ready = True
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        pytest.fail(f"the server did not answer within 30 s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(database_url=database_url, workdir=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session on the server's database for the factories (which commit)."""
    engine = make_engine(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def image_store(live_server: LiveServer) -> ImageStore:
    """Writes uploads where the server looks for them, for posts made by the services."""
    settings = Settings(_env_file=None, data_dir=live_server.data_dir)  # type: ignore[call-arg]
    return ImageStore(settings.upload_dir, max_bytes=8 << 20, max_pixels=40_000_000, thumb_size=360)


@dataclass
class Pages:
    """Opens pages in fresh browser contexts and keeps what went wrong in them."""

    browser: object
    server: LiveServer
    db: Session
    errors: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, text: str) -> None:
        """An error the test provokes on purpose (a form re-shown with 400 logs one in chromium)."""
        self.allowed.append(text)

    def __call__(  # type: ignore[no-untyped-def]
        self, viewport: dict[str, int] = DESKTOP, *, javascript: bool = True, user: User | None = None
    ):
        """A page in a new browser context; with `user`, already logged in as them (a session made
        by the accounts service, so only the tests about logging in pay for the form and argon2)."""
        phone = viewport["width"] < 600
        context = self.browser.new_context(  # type: ignore[attr-defined]
            base_url=self.server.url,
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            java_script_enabled=javascript,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(TIMEOUT_MS)
        if user is not None:
            token, _row = accounts.start_session(self.db, user=user, kind="web", days=1)
            self.db.commit()
            context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": self.server.url}])
        self.contexts.append(context)
        return self._watched(context.new_page())

    def tab(self, page):  # type: ignore[no-untyped-def]
        """Another tab beside `page`: the same browser context (cookies, login), watched the same way."""
        return self._watched(page.context.new_page())

    def _watched(self, page):  # type: ignore[no-untyped-def]
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))
        return page

    def _console(self, page, msg) -> None:  # type: ignore[no-untyped-def]
        if any(text in msg.text for text in self.allowed):
            return
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.errors.append(f"{page.url}: console {msg.type}: {msg.text}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def open_page(browser, live_server: LiveServer, db: Session) -> Iterator[Pages]:  # type: ignore[no-untyped-def]
    pages = Pages(browser, live_server, db)
    yield pages
    pages.close()
    if pages.errors:
        log = live_server.log_tail()
        pytest.fail(
            "console errors or CSP violations:\n" + "\n".join(pages.errors) + "\n--- server log ---\n" + log,
            pytrace=False,
        )


@pytest.fixture
def image_file(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str = "photo.png", **kw: object) -> Path:
        fmt = "JPEG" if name.endswith((".jpg", ".jpeg")) else "PNG"
        path = tmp_path / name
        path.write_bytes(make_image(fmt=fmt, **kw))  # type: ignore[arg-type]
        return path

    return write
