"""Mail tests run a real SMTP server in-process (aiosmtpd) on a free port and read what arrived."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from forum.accounts.models import User
from forum.config import Settings
from forum.mail.models import MailAddress, MailOutbox
from forum.mail.worker import DrainResult, drain
from forum.timeutil import utcnow


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """The SMTP server's handler: every mail it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.endswith("@refused.example.com"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.raw.append(envelope.original_content)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture
def settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    """The app of every mail test sends through the test SMTP server; the tests drain explicitly."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_timeout": 5,
            "mail_from": "noreply@jiayuan.example.com",
            "base_url": "https://jiayuan.example.com",
            "mail_worker_in_app": False,
            "mail_max_attempts": 3,
            "mail_retry_seconds": 60,
            "mail_verify_interval_seconds": 120,
            "mail_digest_hour": 8,
        }
    )


@pytest.fixture
def down_settings(settings: Settings) -> Settings:
    """The same, but the mail server is down: nothing listens on its port."""
    return settings.model_copy(update={"smtp_port": free_port()})


@pytest.fixture
def subscribe(session: Session) -> Callable[..., MailAddress]:
    """Give a user a verified address (or not), with these choices."""

    def make(
        user: User, address: str | None = None, *, verified: bool = True, **choices: bool
    ) -> MailAddress:
        row = MailAddress(
            user_id=user.id,  # type: ignore[arg-type]
            email=address or f"{user.username}@example.com",
            verified_at=utcnow() if verified else None,
            **choices,
        )
        session.add(row)
        session.commit()
        return row

    return make


@pytest.fixture
def send(engine, settings: Settings) -> Callable[..., DrainResult]:  # type: ignore[no-untyped-def]
    def run(**kw: Any) -> DrainResult:
        return drain(engine, kw.pop("settings", settings), **kw)

    return run


@pytest.fixture
def outbox(session: Session) -> Callable[[], list[MailOutbox]]:
    """The outbox as it is now, oldest first."""

    def read() -> list[MailOutbox]:
        session.commit()  # end the transaction: its snapshot would hide the worker's writes
        session.expire_all()
        return list(session.exec(select(MailOutbox).order_by(MailOutbox.id)).all())  # type: ignore[arg-type]

    return read


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()  # type: ignore[no-any-return]


@pytest.fixture
def body_of() -> Callable[[EmailMessage], str]:
    return text_of
