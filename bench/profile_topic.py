"""Where the topic page's time goes, in-process and one request at a time (no HTTP server, no
load generator, no thread contention), with "what if" variants patched in at runtime — src/ is
not modified. Uses the database bench/topic_page.py built (bench/out/sqlite-10k by default).

    .venv/bin/python bench/profile_topic.py [--data-dir bench/out/sqlite-10k] [--requests 100]

Variants (each timed in every round, interleaved; the best round counts, which filters out
other processes' noise):
  1. as shipped;
  2. Jinja2 auto_reload=False (the default True stats every template file on every
     get_template — once per {% include %} / {% import %} — 108 stat() calls per topic page);
  3. url_for from cached path templates (Starlette's url_for walks the routers and raises
     NoMatchFound per miss; the topic page calls it ~105 times);
  4. both.
For the topic page it then splits the last variant into the read queries
(forum.boards.queries.topic_page) and the rest (template rendering and the framework). It checks
the HTML is unchanged by the patches. `--path /b/yishi` times the board page instead."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

from fixes import cached_url_for
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from forum.app import create_app
from forum.boards import queries
from forum.boards.models import Topic
from forum.config import Settings

BENCH_DIR = Path(__file__).resolve().parent
CSRF_VALUE = re.compile(rb'(name="csrf_token" value="|"X-CSRF-Token": ")[^"]*"')


async def asgi_get(app: Any, path: str) -> tuple[int, bytes]:
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0
    body: list[bytes] = []
    requested, done = False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    return status, b"".join(body)


def ms_per_request(app: Any, path: str, n: int) -> tuple[float, bytes]:
    async def go() -> tuple[float, bytes]:
        status, html = await asgi_get(app, path)
        assert status == 200, status
        began = time.perf_counter()
        for _ in range(n):
            await asgi_get(app, path)
        return (time.perf_counter() - began) / n * 1000, html

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "out" / "sqlite-10k")
    parser.add_argument("--requests", type=int, default=20, help="requests per variant and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the best round of each variant counts")
    parser.add_argument("--path", help="page to time (default: the 50-floor topic)")
    args = parser.parse_args()
    console = Console()
    meta = json.loads((args.data_dir / "bench.json").read_text())
    topic_id = meta["dataset"]["topic_id"]
    path = args.path or f"/t/{topic_id}"
    settings = Settings(data_dir=args.data_dir)
    app = create_app(settings)
    env = app.state.templates.env
    shipped_url_for, fast_url_for = env.globals["url_for"], cached_url_for(app)
    variants: dict[str, tuple[bool, Any]] = {
        "as shipped": (True, shipped_url_for),
        "Jinja2 auto_reload=False": (False, shipped_url_for),
        "url_for from cached path templates": (True, fast_url_for),
        "both": (False, fast_url_for),
    }
    best = dict.fromkeys(variants, float("inf"))
    pages: dict[str, bytes] = {}
    time_tags = re.compile(rb"<time[^>]*>[^<]*</time>")  # "刚刚" / "1分钟前" changes while we run

    def query_ms() -> float:
        with Session(app.state.engine) as session:
            began = time.perf_counter()
            for _ in range(args.requests):
                session.expire_all()
                topic = session.get(Topic, topic_id)
                queries.topic_page(session, topic=topic, viewer=None, per_page=settings.floors_per_page)
            return (time.perf_counter() - began) / args.requests * 1000

    best_query = float("inf")
    for _ in range(args.rounds):
        for name, (auto_reload, url_for) in variants.items():
            env.auto_reload, env.globals["url_for"] = auto_reload, url_for
            ms, html = ms_per_request(app, path, args.requests)
            best[name] = min(best[name], ms)
            pages[name] = time_tags.sub(b"", CSRF_VALUE.sub(b"", html))
        if args.path is None:
            best_query = min(best_query, query_ms())
    same = len(set(pages.values())) == 1

    shipped = best["as shipped"]
    table = Table(title=f"GET {path} in-process, one request at a time (best of {args.rounds} rounds)")
    table.add_column("variant")
    table.add_column("ms/request", justify="right")
    table.add_column("speed-up", justify="right")
    for name, value in best.items():
        table.add_row(name, f"{value:.2f}", f"{shipped / value:.2f}×")
    if args.path is None:  # the split is for the topic page
        table.add_row(
            "[dim]of which forum.boards.queries.topic_page (SQL + ORM)[/dim]", f"{best_query:.2f}", ""
        )
        table.add_row(
            "[dim]of which the rest, with both fixes (templates + framework)[/dim]",
            f"{best['both'] - best_query:.2f}",
            "",
        )
    console.print(table)
    console.print(
        f"HTML identical across variants (CSRF token and relative times aside): {same}; "
        f"{len(pages['as shipped']):,} bytes"
    )


if __name__ == "__main__":
    main()
