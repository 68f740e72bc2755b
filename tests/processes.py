"""Helpers of the tests that run the real server as a child process."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
# What the service reads from its environment: the parent's values must not leak into a child.
_SERVICE_PREFIXES = ("DATABASE_", "USAGE_DASHBOARD_", "ROLLUP_", "PROMETHEUS_")
_SERVICE_NAMES = {"HOST", "PORT", "WEB_CONCURRENCY", "LOG_FORMAT"}


def until(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Returns once condition() holds, checked again and again (observed, never slept on);
    fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
    raise AssertionError(f"never happened: {what}")


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(*args: str, env: Mapping[str, str], stderr: int = subprocess.STDOUT) -> subprocess.Popen[str]:
    """`python -m app serve ARGS` with only the given service settings, its output unbuffered on a
    pipe, so a test waits for a line the server prints instead of sleeping."""
    child_env = {
        k: v for k, v in os.environ.items() if not k.startswith(_SERVICE_PREFIXES) and k not in _SERVICE_NAMES
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", *args],
        cwd=ROOT,
        env={**child_env, **env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


class DatabaseLink:
    """A real TCP hop between the app and PostgreSQL that a test can cut and restore: cutting
    closes every connection through it and refuses new ones, as a database restart or a network
    fault does to the app, while the test itself still reaches the server directly.

    The hop runs its own event loop in a thread, so it forwards whatever loop the app runs in
    (Litestar's test client runs the app in a thread of its own).
    """

    def __init__(self, conninfo: str) -> None:
        params = conninfo_to_dict(conninfo)
        host = str(params.get("host") or "/var/run/postgresql")
        port = int(params.get("port") or 5432)
        # A host starting with "/" is a socket directory (the embedded server listens there).
        self._upstream: tuple[str, int] = (host, port)
        self._conninfo = conninfo
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def conninfo(self) -> str:
        """The database's conninfo through this link."""
        return make_conninfo(self._conninfo, host="127.0.0.1", port=str(self.port))

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def up(self) -> None:
        """Accepts connections (again) on the same port."""
        self._run(self._up())

    def cut(self) -> None:
        """Refuses new connections and drops every open one."""
        self._run(self._cut())

    def close(self) -> None:
        """Cuts the link and stops its thread."""
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    async def _up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = self._upstream
        if host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await self._open_upstream()
        except OSError:
            client_writer.transport.abort()
            return
        self._links |= {client_writer, server_writer}
        try:
            await asyncio.gather(
                self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
            )
        finally:
            self._links -= {client_writer, server_writer}


def _pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    assert found, "pgbouncer is not installed: run .ci/test-tools.sh"
    return found


@contextmanager
def pgbouncer(conninfo: str, server_connections: int = 1) -> Iterator[str]:
    """Debian's pgbouncer in transaction mode in front of conninfo's server, with at most
    server_connections server connections per database; yields the conninfo through it.

    One server connection makes every client share it, so any state a client left on its
    session would be seen by the next one.
    """
    params = conninfo_to_dict(conninfo)
    host = str(params.get("host") or "/var/run/postgresql")
    user = str(params.get("user") or "postgres")
    password = params.get("password")
    workdir = Path(tempfile.mkdtemp(prefix="usage-dashboard-pgbouncer-"))
    port = free_port()
    server = f"host={host} port={params.get('port') or 5432} user={user}"
    if password:
        server += f" password={password}"
    (workdir / "users.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = {server}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {server_connections}\n"
        "max_client_conn = 200\n"
        "max_db_connections = 0\n"
    )
    command = [_pgbouncer_binary(), str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # pgbouncer refuses to run as root; the embedded server's socket directory admits only
        # its owner, so run as that owner (any unprivileged user for a TCP server).
        owner = pwd.getpwuid(Path(host).stat().st_uid).pw_name if host.startswith("/") else "nobody"
        workdir.chmod(0o755)
        command[1:1] = ["-u", owner]
    bouncer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert bouncer.stdout is not None
        # "process up" is logged once it listens.
        for line in bouncer.stdout:
            if "process up" in line:
                break
        else:
            raise AssertionError("pgbouncer exited before it listened")
        yield make_conninfo(conninfo, host="127.0.0.1", port=str(port), password="")
    finally:
        bouncer.terminate()
        bouncer.communicate(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def _server_facts(conninfo: str) -> tuple[Path, str]:
    """The server's binaries directory and the OS user its data directory belongs to."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT setting FROM pg_config WHERE name = 'BINDIR'), current_setting('data_directory')"
        ).fetchone()
    assert row is not None
    return Path(row[0]), pwd.getpwuid(Path(row[1]).stat().st_uid).pw_name


@contextmanager
def streaming_replica(conninfo: str) -> Iterator[str]:
    """A hot standby of conninfo's server, made with the server's own pg_basebackup and streaming
    from it; yields conninfo's database on the replica. Runs as the server's OS user (PostgreSQL
    refuses root), with its own settings and trust for local connections."""
    bindir, owner = _server_facts(conninfo)
    as_owner: dict[str, Any] = {"user": owner} if os.geteuid() == 0 else {}
    home = Path(tempfile.mkdtemp(prefix="usage-dashboard-replica-"))
    data = home / "data"
    port = free_port()
    if as_owner:
        shutil.chown(home, owner)
    subprocess.run(
        [str(bindir / "pg_basebackup"), "-d", conninfo, "-D", str(data), "-R", "-X", "stream", "-c", "fast"],
        check=True,
        capture_output=True,
        **as_owner,
    )
    # The server's own configuration (Debian keeps it outside the data directory) is replaced
    # by one that only says where this replica listens and whom it trusts.
    (home / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (home / "pg_ident.conf").write_text("")
    (home / "replica.conf").write_text(
        f"port = {port}\n"
        "listen_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{home}'\n"
        f"hba_file = '{home / 'pg_hba.conf'}'\n"
        f"ident_file = '{home / 'pg_ident.conf'}'\n"
        "hot_standby = on\n"
        "shared_buffers = 32MB\n"
    )
    if as_owner:
        for path in home.iterdir():
            shutil.chown(path, owner)
    replica = subprocess.Popen(
        [str(bindir / "postgres"), "-D", str(data), "-c", f"config_file={home / 'replica.conf'}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **as_owner,
    )
    try:
        assert replica.stdout is not None
        for line in replica.stdout:
            if "ready to accept read-only connections" in line:
                break
        else:
            raise AssertionError("the replica exited before it accepted connections")
        # Its log keeps coming; a thread drains it so the server never blocks on a full pipe.
        threading.Thread(target=replica.stdout.read, daemon=True).start()
        yield make_conninfo(conninfo, host="127.0.0.1", port=str(port), password="")
    finally:
        replica.terminate()
        replica.wait(timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def wait_for_replay(primary: str, replica: str) -> None:
    """Returns once the replica has replayed everything the primary had written when called
    (watched through the replica's replay position, never slept on)."""
    with psycopg.connect(primary, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    with psycopg.connect(replica, autocommit=True) as conn:

        def replayed() -> bool:
            done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)).fetchone()
            return done == (True,)

        until(replayed, "the replica replayed the primary's writes")
