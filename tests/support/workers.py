"""Real Celery workers for tests: a private Redis broker, workers on it and this test's database, waiting for a status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from tests.support import harness
from tests.support.celery_broker import point_celery_at


def database_url() -> str:
    """The URL of the test database this process uses (the worker must see the same rows)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def private_broker(settings) -> Iterator[harness.PrivateRedis]:
    with harness.private_redis() as server:
        settings.CELERY_BROKER_URL = server.url()
        undo = point_celery_at(server.url())
        try:
            yield server
        finally:
            undo()


@pytest.fixture
def start_worker(settings, tmp_path, private_broker) -> Iterator[Callable[..., harness.Worker]]:
    """Start real workers on the private broker and this test's database, media and ground truth."""
    workers: list[harness.Worker] = []

    def start(*, concurrency: int = 1, wait: bool = True, **env: str) -> harness.Worker:
        base = {
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": private_broker.url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "GROUND_TRUTH_ROOT": str(settings.GROUND_TRUTH_ROOT),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        worker = harness.Worker({**base, **env}, tmp_path / f"worker{len(workers)}.log", concurrency=concurrency)
        workers.append(worker)
        return worker.start(wait=wait)

    yield start
    for worker in workers:
        worker.kill_all()  # the test is over: no need to wait for a warm shutdown


@pytest.fixture
def start_beat(settings, tmp_path, private_broker) -> Iterator[Callable[..., Any]]:
    """Start the real ``bin/beat`` (docker-compose's beat command) on the private broker."""
    import os
    import subprocess

    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"beat{len(procs)}.log").open("ab")
        full = {
            **os.environ,
            "PYTHON": str(harness.VENV_BIN / "python"),
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": private_broker.url(),
            "BEAT_SCHEDULE_FILE": str(tmp_path / f"beat-schedule{len(procs)}"),
            **env,
        }
        proc = subprocess.Popen(
            [str(harness.ROOT / "bin" / "beat")], cwd=harness.ROOT, env=full, stdout=log, stderr=subprocess.STDOUT
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(10)


def wait_for_status(submission_id: int, statuses: tuple[str, ...], *, timeout: float, worker: Any = None) -> Any:
    from submissions.models import Submission

    def current() -> Any:
        sub = Submission.objects.get(pk=submission_id)
        return sub if sub.status in statuses else None

    try:
        return harness.wait_until(current, timeout=timeout, what=f"submission {submission_id} to be {statuses}")
    except AssertionError as error:
        sub = Submission.objects.get(pk=submission_id)
        log = worker.log_text()[-4000:] if worker is not None else ""
        raise AssertionError(f"{error}; it is {sub.status} ({sub.attempts} attempts)\n{sub.staff_log}\n{log}") from None
