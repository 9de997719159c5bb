"""The deadline rush: ``python -m bench.rush`` (``make bench-rush``; optional, not part of the tests).

Teams upload realistic prediction archives (``$BENCH_DATA/full/t{N}/pred.zip`` against its ground
truth store, as ``make bench`` makes and packs them, or ``--data``) at random moments within ``--window`` seconds; the first team sends
five, the others one to three. The same arrivals are scored by real ``bin/worker`` processes with
1 and then 2 pool processes (``--processes``). For each run it prints the makespan (first upload to
last result), the p50 / p95 wait (upload to start of scoring), and the longest wait of any team's
first submission (what the fair queue bounds), then the 1 -> 2 scaling.

It uses the PostgreSQL database named by ``DATABASE_URL`` (challenge slug ``benchrush``; its rows
are replaced each run, other data is left alone), Redis database ``BENCH_BROKER_URL`` (default
``redis://127.0.0.1:6379/15``, flushed) and a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.run import packed_split

ROOT = Path(__file__).resolve().parents[1]
SLUG = "benchrush"


def _django(media: Path, data: Path, broker: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ["GROUND_TRUTH_ROOT"] = str(data)
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(track: int, data: Path, teams: int) -> tuple[object, list[object]]:
    """(Re)create the bench challenge: one phase with the store's ids, ``teams`` teams."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    import evaluation
    from evaluation.manifest import manifest_of

    call_command("migrate", verbosity=0)
    from accounts.models import Membership, Team, User
    from challenges.models import Challenge, GroundTruthNames, Phase, Track
    from leaderboard.models import LeaderboardEntry
    from submissions.models import Submission, TeamPhase

    LeaderboardEntry.objects.filter(phase__track__challenge__slug=SLUG).delete()
    TeamPhase.objects.filter(phase__track__challenge__slug=SLUG).delete()
    Submission.objects.filter(phase__track__challenge__slug=SLUG).delete()
    Team.objects.filter(challenge__slug=SLUG).delete()
    Challenge.objects.filter(slug=SLUG).delete()
    challenge = Challenge.objects.create(slug=SLUG, title="Bench rush", short_title="Rush")
    track_row = Track.objects.create(
        challenge=challenge, number=track, title=f"Track {track}", dataset="segbench",
        key_metric="peak_iou" if track == 3 else "mean_iou",
    )  # fmt: skip
    gt = evaluation.open_ground_truth(data / "store")
    manifest = manifest_of(gt)
    now = timezone.now()
    phase = Phase.objects.create(
        track=track_row, split="test", starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1),
        image_count=len(manifest.names), max_submissions=None, max_submissions_per_day=None,
        max_rejected_per_day=10_000, ground_truth_path="store", ground_truth_checksum=gt.checksum,
    )  # fmt: skip
    GroundTruthNames.objects.create(
        phase=phase,
        names=sorted(str(n).removesuffix(".png") for n in manifest.names),
        sizes=[list(manifest.sizes[name]) for name in manifest.names],
    )
    made = []
    for i in range(teams):
        user, _ = User.objects.get_or_create(username=f"rush{i}", defaults={"email": f"rush{i}@example.org"})
        team = Team.objects.create(challenge=challenge, name=f"Rush {i}", captain=user, invite_code=f"benchrush{i}")
        Membership.objects.create(team=team, user=user, challenge=challenge)
        made.append(team)
    return phase, made


def variants(pred: Path, count: int, workdir: Path) -> list[Path]:
    """``count`` copies of the archive with distinct zip comments: distinct files, the same predictions."""
    paths = []
    for i in range(count):
        path = workdir / f"pred{i}.zip"
        shutil.copyfile(pred, path)
        with zipfile.ZipFile(path, "a") as zf:
            zf.comment = f"bench rush variant {i}".encode()
        paths.append(path)
    return paths


def arrivals(teams: int, window: float, seed: int) -> list[tuple[float, int, int]]:
    """(second, team index, the team's n-th submission): team 0 sends five, the others one to three."""
    rng = random.Random(seed)
    plan = []
    for team in range(teams):
        count = 5 if team == 0 else rng.randint(1, 3)
        times = sorted(rng.uniform(0, window) for _ in range(count))
        plan += [(t, team, n) for n, t in enumerate(times)]
    return sorted(plan)


def run_once(args: argparse.Namespace, data: Path, media: Path, archives: list[Path], processes: int) -> dict:
    import redis
    from django.core.files.uploadedfile import UploadedFile

    from submissions.models import Status, Submission
    from submissions.services import submission_create

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True)
    phase, teams = seed(args.track, data, args.teams)
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "WORKER_CONCURRENCY": str(processes),
        "DEBUG": "0",
        "SECRET_KEY": "bench-rush-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    log = open(media.parent / f"worker{processes}.log", "wb")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(
        [str(ROOT / "bin" / "worker"), f"--hostname=rush{processes}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in (media.parent / f"worker{processes}.log").read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the worker did not start; see " + str(media.parent / f"worker{processes}.log"))
            time.sleep(0.2)
        plan = arrivals(args.teams, args.window, args.seed)
        start = time.monotonic()
        for at, team_index, n in plan:
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            team = teams[team_index]
            path = archives[n]
            with path.open("rb") as handle:
                submission_create(
                    phase=phase, team=team, user=team.captain,
                    uploaded_file=UploadedFile(handle, name="pred.zip", size=path.stat().st_size),
                    method_name=f"rush {team_index}.{n}", declared_parameters=1,
                )  # fmt: skip
        rows = Submission.objects.filter(phase=phase)
        while rows.exclude(status__in=[Status.SCORED, Status.REJECTED, Status.FAILED]).exists():
            time.sleep(1)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
        log.close()
    subs = list(rows.order_by("created_at").values("team_id", "status", "created_at", "started_at", "finished_at"))
    bad = [s for s in subs if s["status"] != Status.SCORED]
    if bad:
        raise SystemExit(f"{len(bad)} submissions were not scored: {bad[:3]}")
    waits = sorted((s["started_at"] - s["created_at"]).total_seconds() for s in subs)
    first: dict[int, float] = {}
    for s in subs:
        first.setdefault(s["team_id"], (s["started_at"] - s["created_at"]).total_seconds())
    makespan = (max(s["finished_at"] for s in subs) - min(s["created_at"] for s in subs)).total_seconds()
    return {
        "processes": processes,
        "submissions": len(subs),
        "makespan_s": round(makespan, 1),
        "wait_p50_s": round(statistics.median(waits), 1),
        "wait_p95_s": round(waits[min(len(waits) - 1, int(0.95 * len(waits)))], 1),
        "longest_first_wait_s": round(max(first.values()), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", type=int, default=1)
    parser.add_argument("--data", type=Path, help="folder with pred.zip and store/ (default $BENCH_DATA/full/t{track})")
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the uploads arrive")
    parser.add_argument("--processes", default="1,2", help="pool sizes to run, in order")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = packed_split(args.track, args.data)
    workdir = Path(tempfile.mkdtemp(prefix="bench_rush_"))
    try:
        _django(workdir / "media", data, os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"))
        archives = variants(data / "pred.zip", 5, workdir)
        results = [run_once(args, data, workdir / "media", archives, int(p)) for p in args.processes.split(",")]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for row in results:
        print(json.dumps(row))
    if len(results) >= 2:
        print(json.dumps({"scaling_makespan": round(results[0]["makespan_s"] / results[-1]["makespan_s"], 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
