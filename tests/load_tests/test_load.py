"""Readers hammer the leaderboards and submission pages of a real gunicorn while real workers score.

Loopback only and bounded in time. The full-size variant scores track 2's test split (3,000
synthetic ADE-like images, the smallest full test split; track 1's 10,000 would not fit the CI
budget on 2 cores) with 2 worker processes, while 20 readers fetch pages. The synthetic split is
generated once and cached under /tmp, keyed by its parameters and the scorer version.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from submissions.models import Status, Submission
from tests.security_tests.uploads import URL, evaluation_or_skip
from tests.support import harness
from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory
from tests.support.workers import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CACHE = Path("/tmp/lid_synth_cache")
MEMORY_LIMIT = 400 * 2**20
READERS = 20


def cached_split(track: int, count: int, seed: int = 0) -> tuple[Path, Path]:
    """(store, pred.zip) of a synthetic split, made once per machine and reused."""
    evaluation = evaluation_or_skip()
    from evaluation.synth import make_synthetic

    key = CACHE / f"track{track}-n{count}-seed{seed}-scorer{evaluation.SCORER_VERSION}"
    if not (key / "done").exists():
        work = Path(f"{key}.tmp{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        made = make_synthetic(track, count, work / "synth", seed, workers=2)
        evaluation.pack_ground_truth(track, made.gt_dir, work / "store")
        shutil.rmtree(made.gt_dir)  # the packed store is all the scorer needs
        (work / "done").write_text("ok")
        if (key / "done").exists():  # another run finished first: keep its copy, it is identical
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(key, ignore_errors=True)
            work.rename(key)
    return key / "store", key / "synth" / "pred.zip"


def start_gunicorn(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = harness.free_port()
    # bin/web is docker-compose's web command, here with 2 workers on a free loopback port.
    command = [str(harness.ROOT / "bin" / "web")]
    env = {**env, "GUNICORN": str(harness.VENV_BIN / "gunicorn"), "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2",
           "WEB_TIMEOUT": "60"}  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=harness.ROOT, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    harness.wait_until(lambda: harness._port_open(port), timeout=30, what="gunicorn to listen")
    return proc, f"http://127.0.0.1:{port}"


def read_pages(base: str, urls: list[str], cookie: str, stop: threading.Event, out: dict[str, list[Any]]) -> None:
    session = requests.Session()
    session.cookies.set("sessionid", cookie)
    i = 0
    while not stop.is_set():
        url = urls[i % len(urls)]
        i += 1
        started = time.monotonic()
        try:
            response = session.get(base + url, timeout=30)
            ok = response.status_code == 200
            out["latency"].append(time.monotonic() - started)
            if not ok:
                out["errors"].append(f"{url}: {response.status_code}")
        except requests.RequestException as error:
            out["errors"].append(f"{url}: {error!r}")


def run_load(settings, tmp_path, start_worker, *, track: int, count: int, budget: float) -> None:
    store, pred = cached_split(track, count)
    settings.GROUND_TRUTH_ROOT = store.parent
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "1000/minute"}}
    challenge = ChallengeFactory()
    PhaseFactory(
        track=TrackFactory(challenge=challenge, number=track),
        image_count=count,
        ground_truth_path=store.name,
        max_submissions=None,
    )
    users = [UserFactory(username=f"reader{i}") for i in range(2)]
    for i in range(2):
        TeamFactory(challenge=challenge, name=f"Load {i}", captain=users[i])

    # Two submissions, one per team, so the 2 worker processes score in parallel.
    sub_ids = []
    for user in users:
        client = Client()
        client.force_login(user)
        with pred.open("rb") as handle:
            payload = {
                "archive": SimpleUploadedFile("pred.zip", handle.read()),
                "method_name": "Load",
                "declared_parameters": 1000,
            }
        response = client.post(URL.format(track=track, split="test"), payload)
        assert response.status_code == 201, response.json()
        sub_ids.append(response.json()["id"])
    reader = Client()
    reader.force_login(users[0])
    cookie = reader.cookies["sessionid"].value

    env = {
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "GROUND_TRUTH_ROOT": str(settings.GROUND_TRUTH_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    web, base = start_gunicorn(env, tmp_path / "gunicorn.log")
    worker = start_worker(concurrency=2, GROUND_TRUTH_ROOT=str(settings.GROUND_TRUTH_ROOT))
    board = f"/c/lid2020/track/{track}/test/"
    urls = [
        f"{board}leaderboard/",
        f"{board}leaderboard.json",
        f"/api/challenges/lid2020/tracks/{track}/test/leaderboard/",
        f"/submissions/{sub_ids[0]}/",
        f"/submissions/{sub_ids[0]}/status.json",
        f"{board}submissions/",
        "/",
    ]
    results: dict[str, list[Any]] = {"latency": [], "errors": []}
    stop = threading.Event()
    readers = [threading.Thread(target=read_pages, args=(base, urls, cookie, stop, results)) for _ in range(READERS)]
    peak, started = 0, time.monotonic()
    try:
        for thread in readers:
            thread.start()
        while time.monotonic() - started < budget:
            peak = max([peak, *(harness.rss_bytes(pid) for pid in worker.pool_pids())])
            statuses = set(Submission.objects.filter(pk__in=sub_ids).values_list("status", flat=True))
            if statuses <= {Status.SCORED, Status.REJECTED, Status.FAILED} and time.monotonic() - started > 10:
                break  # both scored, and the readers ran long enough to measure
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in readers:
            thread.join(60)
        web.terminate()
        web.wait(20)
    elapsed = time.monotonic() - started
    latencies = sorted(results["latency"])
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    report = (
        f"load track {track} x{count}: {len(latencies)} requests by {READERS} readers in {elapsed:.1f}s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"errors {len(results['errors'])}, peak worker process RSS {peak / 2**20:.0f} MiB"
    )
    print("\n" + report)
    (tmp_path / "load_report.txt").write_text(report)
    subs = list(Submission.objects.filter(pk__in=sub_ids))
    assert [s.status for s in subs] == [Status.SCORED] * 2, (report, [(s.status, s.staff_log) for s in subs])
    assert subs[0].score == subs[1].score
    assert results["errors"] == [], results["errors"][:20]
    assert len(latencies) > 100 and p95 < 5.0, report
    assert 0 < peak < MEMORY_LIMIT, report


def test_pages_stay_up_while_two_workers_score_a_small_split(settings, tmp_path, start_worker):
    run_load(settings, tmp_path, start_worker, track=2, count=300, budget=120)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pages_stay_up_while_two_workers_score_a_full_size_test_split(settings, tmp_path, start_worker):
    run_load(settings, tmp_path, start_worker, track=2, count=3000, budget=480)
