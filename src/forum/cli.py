"""The `forum` command: serve, migrate, createadmin, seed-demo, mail-worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from forum.config import Settings
from forum.db import make_engine, session_scope

app = typer.Typer(
    help="社区吧: resident forum and 民情 case platform.", no_args_is_help=True, add_completion=False
)
console = Console()


def _migrate(settings: Settings) -> None:
    from forum.migrate import upgrade

    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    _migrate(settings)
    console.print(f"[green]数据库已是最新版本[/green] ({_safe_url(settings)})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="load the 嘉园一里 demo data if the database is empty")
    ] = False,
) -> None:
    """Migrate, then serve the site with uvicorn."""
    import uvicorn

    settings = Settings()
    _migrate(settings)
    settings.resolved_secret_key  # noqa: B018 - create the key once, before workers race for it
    if demo:
        from forum.demo.seed import seed_demo

        engine = make_engine(settings)
        seed_demo(engine, settings, console=console, only_if_empty=True)
        engine.dispose()
    host, port = host or settings.host, port or settings.port
    console.print(f"社区吧 running at [bold]http://{host}:{port}/[/bold]  ({_safe_url(settings)})")
    uvicorn.run(
        "forum.asgi:app",
        host=host,
        port=port,
        workers=workers or settings.workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def createadmin(
    username: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an administrator account (or make an existing user an administrator)."""
    from forum.accounts import service
    from forum.accounts.models import RoleName
    from forum.errors import DomainError, NotFound

    settings = Settings()
    _migrate(settings)
    engine = make_engine(settings)
    try:
        with session_scope(engine, write=True) as session:
            try:
                user = service.get_user_by_name(session, username)
                user.role = RoleName.ADMIN
                console.print(f"已将 [bold]{user.username}[/bold] 设为管理员")
            except NotFound:
                user = service.register(session, username=username, password=password, role=RoleName.ADMIN)
                console.print(f"已创建管理员 [bold]{user.username}[/bold]")
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None


@app.command("seed-demo")
def seed_demo_command(
    force: Annotated[bool, typer.Option(help="add the demo data even if there are topics already")] = False,
) -> None:
    """Load the 嘉园一里 demo community: boards, residents, staff, topics and replies."""
    from forum.demo.seed import seed_demo

    settings = Settings()
    _migrate(settings)
    engine = make_engine(settings)
    seed_demo(engine, settings, console=console, only_if_empty=not force)


@app.command()
def archive(
    days: Annotated[int | None, typer.Option(help="archive cases followed up this many days ago")] = None,
) -> None:
    """The periodic case work, by hand: ask for and expire 回访, archive rated and followed-up
    cases after N days, send overdue notices."""
    from forum.app import create_app
    from forum.cases.followup import run_periodic

    settings = Settings()
    _migrate(settings)
    engine = create_app(settings).state.engine  # with mail: overdue notices are mailed too
    with session_scope(engine, write=True) as session:
        done = run_periodic(
            session,
            archive_after_days=days or settings.archive_after_days,
            followup_after_days=settings.followup_after_days,
            followup_expire_days=settings.followup_expire_days,
        )
    console.print(
        f"已归档 {done.archived} 件民情意见，新发现超期 {done.overdue} 件，"
        f"发出回访 {done.asked} 件，未评价归档 {done.unrated} 件"
    )


@app.command()
def reindex(
    restart: Annotated[
        bool, typer.Option(help="start over instead of resuming from the last checkpoint")
    ] = False,
    batch: Annotated[int, typer.Option(help="documents per transaction")] = 1000,
) -> None:
    """Rebuild the search index from the database (resumable; safe while the site is live)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from forum.search.backends import make_backend
    from forum.search.service import reindex as rebuild

    settings = Settings()
    _migrate(settings)
    engine = make_engine(settings)
    backend = make_backend(settings, engine)
    meili = backend.name == "meilisearch"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, object] = {}

        def report(kind: str, last: int, total: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(
                    {"post": "帖子和回复", "case": "民情意见", "meeting": "会议"}[kind], total=total or 1
                )
            progress.update(tasks[kind], completed=min(last, total or 1))  # type: ignore[arg-type]

        count = rebuild(
            lambda: session_scope(engine, write=True),
            batch=batch,
            outbox=meili,
            progress=report,
            restart=restart,
        )
    if meili:
        from forum.search.meili import drain

        backend.apply_settings()  # type: ignore[attr-defined]
        sent = drain(backend, lambda: session_scope(engine, write=True))  # type: ignore[arg-type]
        console.print(f"已发送 {sent} 条到 Meilisearch")
    console.print(f"[green]索引已重建[/green]：{count} 条")


@app.command("index-worker")
def index_worker() -> None:
    """Send the search outbox to Meilisearch, for deployments with several web workers."""
    from forum.search.backends import make_backend
    from forum.search.meili import run_worker

    settings = Settings()
    engine = make_engine(settings)
    backend = make_backend(settings, engine)
    if backend.name != "meilisearch":
        console.print("[red]FORUM_SEARCH_BACKEND 不是 meilisearch，无需发送[/red]")
        raise typer.Exit(1)
    console.print(f"正在把搜索发件箱发送到 {settings.meili_url} …（Ctrl+C 停止）")
    run_worker(backend, lambda: session_scope(engine, write=True))  # type: ignore[arg-type]


@app.command("mail-worker")
def mail_worker(
    once: Annotated[bool, typer.Option("--once", help="send what is due now, then stop")] = False,
) -> None:
    """Send queued mail and the daily digests over SMTP (FORUM_SMTP_*); for deployments that set
    FORUM_MAIL_WORKER_IN_APP=false, or for cron with --once."""
    from forum.app import create_app
    from forum.mail.service import send_digests
    from forum.mail.worker import drain, run_worker

    settings = Settings()
    if not settings.smtp_host:
        console.print("[red]FORUM_SMTP_HOST 未设置，邮件发送没有开启[/red]")
        raise typer.Exit(1)
    _migrate(settings)
    engine = create_app(settings).state.engine  # the app gives mail its links (see forum.mail.context)
    if once:
        with session_scope(engine, write=True) as session:
            digests = send_digests(session)
        result = drain(engine, settings)
        console.print(
            f"已发送 {result.sent} 封，稍后重试 {result.retrying} 封，放弃 {result.failed} 封；"
            f"新生成每日摘要 {digests} 封"
        )
        return
    console.print(f"正在通过 {settings.smtp_host}:{settings.smtp_port} 发送邮件 …（Ctrl+C 停止）")
    run_worker(engine, settings)


def _safe_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if "@" in url:  # hide the password
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
