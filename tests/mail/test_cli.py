"""`forum mail-worker`: send what is due from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from factories import make_board, make_reply, make_topic, make_user
from forum.cli import app

runner = CliRunner()


def _env(monkeypatch, settings, port: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORUM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORUM_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("FORUM_SMTP_HOST", "127.0.0.1" if port else "")
    monkeypatch.setenv("FORUM_SMTP_PORT", str(port or 25))


def test_mail_worker_once_sends_what_is_due(settings, smtp, session, subscribe, monkeypatch, outbox):  # type: ignore[no-untyped-def]
    inbox, port = smtp
    author, poster = make_user(session), make_user(session)
    subscribe(author)
    make_reply(session, topic=make_topic(session, board=make_board(session), author=author), author=poster)
    _env(monkeypatch, settings, port)
    result = runner.invoke(app, ["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 封" in result.output
    assert [m["To"] for m in inbox.messages] == [f"{author.username}@example.com"]
    assert [row.status for row in outbox()] == ["sent"]


def test_mail_worker_refuses_without_an_smtp_server(settings, monkeypatch):  # type: ignore[no-untyped-def]
    _env(monkeypatch, settings, 0)
    result = runner.invoke(app, ["mail-worker", "--once"])
    assert result.exit_code == 1
    assert "FORUM_SMTP_HOST" in result.output
