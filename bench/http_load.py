"""HTTP measurements: granian as a subprocess on a real socket, and a minimal keep-alive client.

The client is a few lines of asyncio on purpose: a full HTTP client costs more CPU per request
than the server under test, and on a two-core machine the load generator would become the
bottleneck and the figure would measure the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import log, p50_ms

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_READY_TIMEOUT_S = 90.0
_STOP_TIMEOUT_S = 15.0
_REQUEST_TIMEOUT_S = 30.0
_CONNECTION_ERRORS = (OSError, EOFError, ValueError, TimeoutError, asyncio.IncompleteReadError)


class HttpError(RuntimeError):
    """A server or a response was not what the measurement needs; the message is one line."""


def build_get(port: int, path: str, token: str | None = None) -> bytes:
    """The bytes of a keep-alive HTTP/1.1 GET of path, with a bearer token when given."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # the empty trailer section
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection stays open, of one HTTP/1.1 response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        return status, await reader.read(), False
    return status, body, headers.get("connection", "").lower() != "close"


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that reconnects after the server closes it."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, request: bytes) -> tuple[int, bytes]:
        """Sends one request, returns status and body; connection errors propagate."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(HOST, self._port)
        reader, writer = self._streams
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT_S):
                writer.write(request)
                status, body, keep_alive = await read_response(reader)
        except BaseException:
            await self.close()
            raise
        if not keep_alive:
            await self.close()
        return status, body

    async def close(self) -> None:
        """Closes the socket, if open."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def get_ok(conn: HttpConnection, request: bytes) -> bytes:
    """Sends one request on conn; the body of its 200 response, else HttpError."""
    status, body = await conn.get(request)
    if status != 200:
        raise HttpError(f"HTTP {status}: {body[:200]!r}")
    return body


async def p50_request_ms(port: int, request: bytes, runs: int, warmup: int = 3) -> float:
    """Median milliseconds of sequential requests on one keep-alive connection; every one must be 200."""
    conn = HttpConnection(port)
    try:
        return await p50_ms(lambda: get_ok(conn, request), runs, warmup)
    finally:
        await conn.close()


@dataclass(frozen=True)
class LoadResult:
    """What a load run did: 200 responses, errors, the seconds it took and the CPU seconds the
    load generator itself used (evidence that it was not the bottleneck)."""

    ok: int
    errors: int
    seconds: float
    client_cpu_s: float
    latencies_ms: tuple[float, ...] = ()

    @property
    def rps(self) -> float:
        """200 responses per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def p99_ms(self) -> float:
        """The 99th percentile of the requests' latencies (nearest rank), 0 with none."""
        if not self.latencies_ms:
            return 0.0
        ranked = sorted(self.latencies_ms)
        return ranked[min(len(ranked) - 1, math.ceil(0.99 * len(ranked)) - 1)]


async def run_load(port: int, request: bytes, clients: int, seconds: float, max_requests: int) -> LoadResult:
    """`clients` keep-alive connections each sending the request in a loop, until `seconds`
    have passed or `max_requests` were issued (bounded in time and count).

    Errors are non-200 responses and connection errors; a connection that failed reconnects.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    counts = {"issued": 0, "ok": 0, "errors": 0}
    latencies: list[float] = []

    async def client() -> None:
        conn = HttpConnection(port)
        try:
            while loop.time() < deadline and counts["issued"] < max_requests:
                counts["issued"] += 1
                sent = loop.time()
                try:
                    status, _ = await conn.get(request)
                except _CONNECTION_ERRORS:
                    counts["errors"] += 1
                    continue
                latencies.append((loop.time() - sent) * 1000.0)
                counts["ok" if status == 200 else "errors"] += 1
        finally:
            await conn.close()

    start, cpu_start = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    return LoadResult(
        ok=counts["ok"],
        errors=counts["errors"],
        seconds=time.perf_counter() - start,
        client_cpu_s=time.process_time() - cpu_start,
        latencies_ms=tuple(latencies),
    )


async def run_paced_load(
    port: int, request: bytes, rate: float, seconds: float, connections: int
) -> LoadResult:
    """An open-loop load: `rate` requests a second for `seconds`, whatever the server's pace,
    over at most `connections` keep-alive connections. Each latency counts from the instant the
    request was due, so a server falling behind shows in the figure instead of slowing the load
    (no coordinated omission)."""
    loop = asyncio.get_running_loop()
    idle: list[HttpConnection] = []
    opened = 0
    free = asyncio.Condition()
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []

    async def borrow() -> HttpConnection:
        nonlocal opened
        async with free:
            while not idle and opened >= connections:
                await free.wait()
            if idle:
                return idle.pop()
            opened += 1
            return HttpConnection(port)

    async def one(due: float) -> None:
        conn = await borrow()
        try:
            status, _ = await conn.get(request)
        except _CONNECTION_ERRORS:
            counts["errors"] += 1
        else:
            latencies.append((loop.time() - due) * 1000.0)
            counts["ok" if status == 200 else "errors"] += 1
        async with free:
            idle.append(conn)
            free.notify()

    start, cpu_start = loop.time(), time.process_time()
    pending = []
    for i in range(max(1, int(rate * seconds))):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        pending.append(asyncio.create_task(one(due)))
    await asyncio.gather(*pending)
    for conn in idle:
        await conn.close()
    return LoadResult(
        ok=counts["ok"],
        errors=counts["errors"],
        seconds=loop.time() - start,
        client_cpu_s=time.process_time() - cpu_start,
        latencies_ms=tuple(latencies),
    )


def free_port() -> int:
    """A TCP port free on the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _granian_command() -> list[str]:
    script = Path(sys.executable).with_name("granian")
    return [str(script)] if script.exists() else [sys.executable, "-m", "granian"]


@dataclass(frozen=True)
class Server:
    """A running granian serving the app."""

    port: int
    workers: int
    rollup_enabled: bool


async def _wait_ready(process: asyncio.subprocess.Process, port: int, log_path: Path) -> None:
    """Polls GET /healthz until 200: the app is up and its pool reaches the database."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT_S
    request = build_get(port, "/healthz")
    while loop.time() < deadline:
        if process.returncode is not None:
            raise HttpError(f"granian exited with {process.returncode}: {_tail(log_path)}")
        conn = HttpConnection(port)
        try:
            status, _ = await conn.get(request)
            if status == 200:
                return
        except _CONNECTION_ERRORS:
            pass
        finally:
            await conn.close()
        await asyncio.sleep(0.2)
    raise HttpError(f"granian not ready after {_READY_TIMEOUT_S:.0f} s: {_tail(log_path)}")


def _tail(path: Path) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-5:])
    except OSError:
        return "(no log)"


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGINT (granian's graceful stop, workers included), then SIGKILL to its own group."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), _STOP_TIMEOUT_S)
    except TimeoutError:
        # start_new_session made granian the leader of a group holding only it and its workers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


@asynccontextmanager
async def granian(
    conninfo: str, *, rollup_enabled: bool, workers: int, log_dir: Path
) -> AsyncIterator[Server]:
    """Serves app.api.app:create_app on 127.0.0.1 and a free port, configured from the
    environment as in production, with the in-process rollup scheduler off (no tick may run
    while reads are measured). Stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": conninfo,
        "USAGE_DASHBOARD_ROLLUP_ENABLED": "true" if rollup_enabled else "false",
        "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        "HOST": HOST,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        *_granian_command(),
        "--interface",
        "asgi",
        "--loop",
        "uvloop",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "app.api.app:create_app",
    ]
    log_path = log_dir / f"granian-{'rollup' if rollup_enabled else 'raw'}-{port}.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=PROJECT_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            await _wait_ready(process, port, log_path)
            log(f"granian up on {HOST}:{port} ({workers} worker(s), rollup {rollup_enabled})")
            yield Server(port=port, workers=workers, rollup_enabled=rollup_enabled)
        finally:
            await _stop(process)
