"""A real Celery worker process for integration tests, on the test database and a private broker.

``celery_worker_process`` starts ``celery -A lidserver worker`` as a subprocess that sees what the
test sees: the test database (so use ``transaction=True``: the worker reads committed rows only),
the test's own ``redis-server`` (``private_broker``, tests/support/workers.py: nothing another
test publishes, in this process or another pytest-xdist worker, can reach this worker), and the
test's MEDIA_ROOT and GROUND_TRUTH_ROOT. It waits until the worker says it is ready and stops it at
teardown (SIGTERM, then SIGKILL), before the test database is flushed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.support.workers import (  # noqa: F401 - fixtures (the test's own broker; bin/worker and beat)
    private_broker,
    start_beat,
    start_worker,
)

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0


def database_url() -> str:
    """The URL of the database the test runs on (pytest-django's ``test_<name>``), for a subprocess."""
    db = django_settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("a worker process needs a shared database: run the integration tests on PostgreSQL")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    """One ``celery worker`` subprocess; ``start``, ``stop`` (graceful) and ``kill`` (SIGKILL) it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> WorkerProcess:
        assert self.process is None or self.process.poll() is not None, "the worker is already running"
        offset = len(self.log())
        # bin/worker is docker-compose's worker command; one pool process here (WORKER_CONCURRENCY).
        command = [str(ROOT / "bin" / "worker"), "--hostname", f"lidtest-{uuid.uuid4().hex[:8]}@%h"]
        with open(self.log_path, "ab") as log:
            # A new session, so stopping it reaches the pool's children too.
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if " ready." in self.log()[offset:]:
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"The Celery worker was not ready after {READY_TIMEOUT:.0f}s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for the whole process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crashed machine would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=15)
        self._reap_group()

    def _reap_group(self) -> None:
        # Pool children may outlive the main process by a moment; they are in its process group.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        except (ProcessLookupError, PermissionError):
            pass


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="1",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        GROUND_TRUTH_ROOT=str(settings.GROUND_TRUTH_ROOT),
        SCORING_MAX_ATTEMPTS=str(settings.SCORING_MAX_ATTEMPTS),
        PYTHONUNBUFFERED="1",
        PYTHON=sys.executable,
        WORKER_CONCURRENCY="1",
    )
    env.update(extra)  # may replace any of the above (e.g. a worker's own MEDIA_ROOT)
    return env


@pytest.fixture
def celery_worker_factory(
    transactional_db: Any, settings: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Make (and at teardown stop) worker processes: ``celery_worker_factory(**extra_env)``.

    ``private_broker`` points ``settings.CELERY_BROKER_URL`` and this process's Celery app at the
    test's own redis-server, so the worker listens where this process publishes.
    """
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "integration tests need tasks sent to the broker"
    request.getfixturevalue("private_broker")
    workers: list[WorkerProcess] = []

    def make(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(worker_env(settings, **extra_env), tmp_path / f"worker{len(workers)}.log")
        workers.append(worker)
        return worker.start()

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
def celery_worker_process(celery_worker_factory: Any) -> WorkerProcess:
    """A started worker on the test database; stopped at teardown."""
    return celery_worker_factory()
