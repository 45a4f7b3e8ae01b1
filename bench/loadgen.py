"""Serving an app under uvicorn in a subprocess, and driving it: wrk if installed, else a small
bounded asyncio HTTP/1.1 keep-alive client. Loopback only."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"


@dataclass
class Result:
    requests: int
    seconds: float
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors and timeouts
    bad_status: int  # responses other than 2xx/3xx
    bytes_per_response: float
    tool: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# Scheduling priority for the server and the load generator (`nice -n`; negative needs root).
NICE = 0


def pinned(cmd: list[str], cpu: int | None) -> list[str]:
    """Run on one CPU (taskset) so server and load generator do not steal each other's core, at
    the priority NICE."""
    if cpu is not None and shutil.which("taskset") is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    if NICE:
        cmd = ["nice", "-n", str(NICE), *cmd]
    return cmd


def fetch(url: str, timeout: float = 30.0, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    status, _, body = request(url, timeout=timeout, headers=headers)
    return status, body


def request(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30.0,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a new connection: status, response headers, body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


@contextmanager
def uvicorn_server(
    app: str,
    *,
    port: int,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    app_dir: Path | None = None,
    cpu: int | None = None,
    ready_path: str = "/",
    log_path: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`uvicorn APP` with 1 worker, httptools + uvloop, no access log, on 127.0.0.1:port."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
    ]
    if app_dir is not None:
        cmd += ["--app-dir", str(app_dir)]
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        pinned(cmd, cpu), env={**os.environ, **(env or {})}, cwd=cwd, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn {app} exited with {proc.returncode}; see {log_path}")
            try:
                status, _ = fetch(f"http://{HOST}:{port}{ready_path}", timeout=5)
                if status < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn {app} did not answer on port {port}; see {log_path}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    cpu: int | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        *(arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")),
        url,
    ]
    out = subprocess.run(pinned(cmd, cpu), capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    secs = r["duration_us"] / 1e6
    n = max(r["requests"], 1)
    return Result(
        requests=r["requests"],
        seconds=secs,
        rps=r["requests"] / secs,
        mean_ms=r["mean_us"] / 1000,
        p50_ms=r["p50_us"] / 1000,
        p90_ms=r["p90_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
        errors=r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
        bad_status=r["status_errors"],
        bytes_per_response=r["bytes"] / n,
        tool="wrk",
    )


# --- fallback: a bounded asyncio client (much slower than wrk: it competes for the CPU) --------


async def _worker(
    host: str, port: int, request: bytes, until: float, out: list[float], sizes: list[int]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    bad = 0
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            out.append(time.perf_counter() - start)
            sizes.append(len(head) + len(body))
            bad += not 200 <= status < 400
    finally:
        writer.close()
    return bad


async def _python_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> Result:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    sizes: list[int] = []
    begin = time.perf_counter()
    bad = await asyncio.gather(
        *(
            _worker(parts.hostname or HOST, parts.port or 80, request, begin + seconds, latencies, sizes)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - begin
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    n = max(len(latencies), 1)
    return Result(
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        mean_ms=sum(latencies) / n * 1000,
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        errors=0,
        bad_status=sum(bad),
        bytes_per_response=sum(sizes) / n,
        tool="python",
    )


def run_python(
    url: str,
    *,
    seconds: float,
    connections: int,
    cpu: int | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    affinity = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        return asyncio.run(_python_load(url, seconds, connections, headers or {}))
    finally:
        os.sched_setaffinity(0, affinity)


def load(
    url: str,
    *,
    seconds: float,
    connections: int,
    cpu: int | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    """GET url for `seconds` over `connections` keep-alive connections, with the same extra
    headers (e.g. a Cookie) on every request."""
    if have_wrk():
        return run_wrk(url, seconds=seconds, connections=connections, cpu=cpu, headers=headers)
    return run_python(url, seconds=seconds, connections=connections, cpu=cpu, headers=headers)
