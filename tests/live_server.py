"""A real uvicorn server in a subprocess, for tests that need processes and sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from generous_limits import as_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(database_url: str, data_dir: Path, *, workers: int = 1) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": database_url,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET_KEY": "test-secret-key",
        "FORUM_ANON_CACHE_SECONDS": "0",  # visitors reload right after a write
        **as_env(),
    }
    log = (data_dir / "server.log").open("wb") if data_dir.exists() else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "forum.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: a loaded CI machine can take long to import the app in two workers.
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v1/boards", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                logged = (
                    (data_dir / "server.log").read_text(errors="replace")[-3000:] if data_dir.exists() else ""
                )
                raise RuntimeError(f"server did not start (exit {process.poll()}):\n{logged}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
