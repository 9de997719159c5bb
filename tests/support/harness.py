"""Private processes a fault test may break without touching anyone else's.

The machine's shared Redis and PostgreSQL are never stopped: a test that needs to stop a broker or
restart a database starts its own (``PrivateRedis``, ``PrivatePostgres``) on a free port. A
``Worker`` is a real ``celery -A lidserver worker`` subprocess with the environment the test gives.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivateRedis:
    """``redis-server`` on a free port, no persistence: stopping it loses nothing but itself."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed, so no private broker can be started")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(self.port), timeout=10, what="the private redis-server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
        wait_until(lambda: not _port_open(self.port), timeout=10, what="the private redis-server to stop")


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster owned by the ``postgres`` OS user (initdb refuses root)."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"{PG_BIN}/initdb is missing, so no private PostgreSQL cluster can be made")
        self.dir = Path(tempfile.mkdtemp(prefix="lid_pg_"))
        self.port = free_port()
        self.data = self.dir / "data"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            uid = pwd.getpwnam("postgres")
            os.chown(self.dir, uid.pw_uid, uid.pw_gid)

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", "postgres", "--"] if self._as_postgres else []), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr or result.stdout}")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", action
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def cleanup(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def tmpfs(directory: Path, size: str = "2m") -> Iterator[Path]:
    """A small tmpfs at ``directory``; skips (with the reason) where mounting is not permitted."""
    directory.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()}); the ENOSPC-by-patch test covers it")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The process name may contain spaces and parentheses: parse after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Worker:
    """``bin/worker`` (docker-compose's worker command) with the test's environment and pool size."""

    def __init__(self, env: dict[str, str], log: Path, *, concurrency: int = 1, prefix: list[str] | None = None):
        self.env = {**os.environ, **env, "PYTHON": str(VENV_BIN / "python"), "WORKER_CONCURRENCY": str(concurrency)}
        self.log = log
        self.concurrency = concurrency
        self.prefix = prefix or []
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> Worker:
        # bin/worker is docker-compose's worker command; the pool size comes from WORKER_CONCURRENCY.
        command = [
            *self.prefix,
            str(ROOT / "bin" / "worker"),
            f"--hostname=lidtest{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        if wait:
            wait_until(
                lambda: b" ready." in self.log.read_bytes() or self.proc.poll() is not None,
                timeout=60,
                what="the Celery worker to be ready",
            )
            assert self.proc.poll() is None, f"the worker exited at start:\n{self.log.read_text()[-3000:]}"
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pool_pids(self) -> list[int]:
        return _children(self.pid) if self.alive() else []

    def total_rss(self) -> int:
        return sum(rss_bytes(pid) for pid in [self.pid, *self.pool_pids()]) if self.alive() else 0

    def kill_pool(self) -> None:
        """SIGKILL the pool process(es): the main process sees its child lost while running a task."""
        for pid in self.pool_pids():
            os.kill(pid, signal.SIGKILL)

    def kill_all(self) -> None:
        """SIGKILL everything, as when the machine running the worker dies."""
        if not self.alive():
            return
        pids = [self.pid, *self.pool_pids()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)  # type: ignore[union-attr]

    def stop(self) -> None:
        if not self.alive():
            return
        pool = self.pool_pids()
        self.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            self.proc.wait(20)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            self.kill_all()
        for pid in pool:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
