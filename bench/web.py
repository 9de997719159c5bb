"""Leaderboard latency under load: ``python -m bench.web`` (``make bench-web``).

Seeds a board of 100 teams and 1,000 scored submissions into the PostgreSQL database named by
``DATABASE_URL`` (challenge slug ``benchweb``; other data is left alone), starts gunicorn with 2 sync
workers on a free loopback port with production settings, and a stand-in scoring worker that
burns one core and refreshes the board every second. Then 20 threads read each target for a
bounded number of requests and time, and it prints p50 / p95 / requests per second for the board
page, the board JSON and the trivial ``/healthz`` view.

Targets (issue 4): board p95 < 100 ms, and at least half the requests per second of ``/healthz``.
The exit status is 1 when a target is missed, so CI can run it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLUG = "benchweb"
TEAMS, PER_TEAM = 100, 10


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed() -> None:
    """(Re)create the bench challenge: 100 teams x 10 scored submissions on track 1 test."""
    import datetime as dt
    import random

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Membership, Team, User
    from challenges.models import Challenge, Phase, Track
    from leaderboard.models import LeaderboardEntry
    from leaderboard.services import leaderboard_refresh
    from submissions.models import Submission, TeamPhase

    LeaderboardEntry.objects.filter(phase__track__challenge__slug=SLUG).delete()
    TeamPhase.objects.filter(phase__track__challenge__slug=SLUG).delete()
    Submission.objects.filter(phase__track__challenge__slug=SLUG).delete()
    Challenge.objects.filter(slug=SLUG).delete()
    User.objects.filter(username__startswith="benchweb_").delete()

    challenge = Challenge.objects.create(slug=SLUG, title="Load benchmark", short_title="Bench")
    track = Track.objects.create(
        challenge=challenge, number=1, title="Segmentation", dataset="synthetic", key_metric="mean_iou"
    )
    now = timezone.now()
    phase = Phase.objects.create(
        track=track,
        split="test",
        starts_at=now - dt.timedelta(days=30),
        ends_at=now + dt.timedelta(days=30),
        image_count=10_000,
        max_submissions=None,
    )
    users = User.objects.bulk_create(
        User(username=f"benchweb_{i}", email=f"benchweb_{i}@example.org", password="!") for i in range(TEAMS)
    )
    teams = Team.objects.bulk_create(
        Team(
            challenge=challenge,
            name=f"Team {i:03d}",
            affiliation=f"University {i % 17}",
            captain=u,
            invite_code=f"benchweb{i}",
        )
        for i, u in enumerate(users)
    )
    Membership.objects.bulk_create(
        Membership(team=t, user=u, challenge=challenge) for t, u in zip(teams, users, strict=True)
    )
    rng = random.Random(0)
    subs = []
    for team, user in zip(teams, users, strict=True):
        for k in range(PER_TEAM):
            score = rng.uniform(0.2, 0.6)
            subs.append(
                Submission(
                    phase=phase,
                    team=team,
                    uploaded_by=user,
                    archive=f"bench/{team.pk}/{k}.zip",
                    archive_name="pred.zip",
                    sha256=f"{team.pk:032x}{k:032x}",
                    size=1,
                    method_name=f"Method {k}",
                    method_description="A method " * 20,
                    declared_parameters=1_000_000,
                    status="scored",
                    score=score,
                    metrics={"mean_iou": score, "mean_accuracy": score + 0.1, "pixel_accuracy": score + 0.3},
                    per_class={"iou": [score] * 201, "accuracy": [score] * 201},
                    ci_low=score - 0.01,
                    ci_high=score + 0.01,
                )
            )
    Submission.objects.bulk_create(subs, batch_size=500)
    leaderboard_refresh(phase=phase)


def writer(seconds: float) -> None:
    """The stand-in scoring worker: a core's worth of numpy, then a score lands and the board refreshes."""
    import random

    import numpy as np

    from challenges.models import Phase
    from leaderboard.services import leaderboard_refresh
    from submissions.models import Submission

    phase = Phase.objects.get(track__challenge__slug=SLUG)
    ids = list(Submission.objects.filter(phase=phase).values_list("pk", flat=True))
    rng, data = random.Random(1), np.random.default_rng(0).integers(0, 201, size=4_000_000, dtype=np.int64)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        busy_until = time.monotonic() + 1.0
        while time.monotonic() < busy_until:
            np.bincount(data * 201 + data[::-1], minlength=201 * 201)  # a confusion matrix's worth of work
        Submission.objects.filter(pk=rng.choice(ids)).update(score=rng.uniform(0.2, 0.6))
        leaderboard_refresh(phase=phase)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # As a browser asks; the bodies are read, not unpacked (that is the client's work, not the server's).
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Encoding": "gzip"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        conn.close()


def load(port: int, path: str, *, requests: int, seconds: float, concurrency: int) -> tuple[list[float], int, float]:
    """``concurrency`` threads share a budget of ``requests`` (and ``seconds``): latencies, errors, elapsed."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    budget = iter(range(requests))
    deadline = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    return
            try:
                status, latency = _get(port, path)
            except OSError:
                status, latency = 0, 0.0
            with lock:
                if status == 200:
                    latencies.append(latency)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - started


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    latencies = sorted(latencies)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "n": len(latencies),
        "errors": errors,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "rps": len(latencies) / elapsed,
    }


def compare_targets(port: int, targets: list[tuple[str, str]], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Targets take turns, in rounds, so a load that comes and goes on the machine hits them all alike."""
    totals: dict[str, tuple[list[float], int, float]] = {name: ([], 0, 0.0) for name, _ in targets}
    for _ in range(args.rounds):
        for name, path in targets:
            lat, err, elapsed = load(
                port,
                path,
                requests=args.requests // args.rounds,
                seconds=args.seconds / args.rounds,
                concurrency=args.concurrency,
            )
            total = totals[name]
            totals[name] = (total[0] + lat, total[1] + err, total[2] + elapsed)
    return {name: summary(*total) for name, total in totals.items()}


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready; see its output above.")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 30 seconds.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="Requests per target (default 3000).")
    parser.add_argument("--seconds", type=float, default=40, help="Time limit per target (default 40 s).")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=6, help="Targets take turns this many times (default 6).")
    parser.add_argument("--writer", type=float, help=argparse.SUPPRESS)  # the stand-in worker's own process
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (postgres://...); the benchmark seeds it.")
    _django()
    if args.writer is not None:
        writer(args.writer)
        return 0

    print(f"Seeding {TEAMS} teams x {PER_TEAM} submissions ...", flush=True)
    seed()
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-web-not-secret",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": static_root,
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "lidserver.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = None
    try:
        _wait_ready(port, gunicorn)
        total = 3 * args.seconds + 30
        worker = subprocess.Popen(
            [sys.executable, "-m", "bench.web", "--writer", str(total)], cwd=ROOT, env=os.environ.copy()
        )
        board = f"/c/{SLUG}/track/1/test/leaderboard/"
        targets = [
            ("healthz", "/healthz"),
            ("board page", board),
            ("board JSON", f"/c/{SLUG}/track/1/test/leaderboard.json"),
        ]
        for _, path in targets:
            load(port, path, requests=100, seconds=5, concurrency=args.concurrency)  # warm up
        results = compare_targets(port, targets, args)
    finally:
        for proc in (worker, gunicorn):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM) if proc is gunicorn else proc.terminate()
                proc.wait(timeout=20)
        shutil.rmtree(static_root, ignore_errors=True)
    load1 = os.getloadavg()[0]
    print(f"\n{args.concurrency} concurrent readers, gunicorn 2 sync workers, a scoring stand-in busy on one core;")
    print(
        f"{os.cpu_count()} cores, load average {load1:.1f} at the end (anything above ~3 means other work shared them)\n"
    )
    print(f"{'target':<12} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}")
    for name, r in results.items():
        print(f"{name:<12} {r['n']:>8} {r['errors']:>6} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['rps']:>8.0f}")
    base = results["healthz"]["rps"]
    ok = True
    for name in ("board page", "board JSON"):
        r = results[name]
        passed = r["p95"] < 100 and r["rps"] >= base / 2 and r["errors"] == 0
        ok &= passed
        print(
            f"{name}: p95 {r['p95']:.1f} ms (< 100), {r['rps'] / base:.0%} of healthz req/s (>= 50%): "
            f"{'PASS' if passed else 'FAIL'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
