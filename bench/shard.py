"""One large submission through a live ``bin/worker`` against the command line: ``python -m bench.shard``
(``make bench-shard``; optional, not part of the tests).

Loads a phase with the realistic split's packed ground truth (``--data``, default
``$BENCH_DATA/full/t3``: ``store/`` and ``pred.zip`` as ``make bench`` makes them), starts the real
``bin/worker`` with ``--processes`` pool processes (the server scores a submission of at least
SCORING_SHARD_MIN_IMAGES images in shards over all of them) and submits the archive ``--repeat``
times, one after the other. For each it reports the wall time from ``queued`` to ``scored`` (the
row's ``queued_at`` to ``finished_at``) and the CPU seconds of the worker's processes; then it times
``python -m evaluation score --track N --gt STORE --pred PRED --workers 2 --json`` as many times
(wall and CPU of the command and its pool). Best of each, and their ratio (issue 11: <= 1.2). The
scores must be equal.

It uses the database of ``DATABASE_URL`` (challenge slug ``benchrush``, replaced each run), the
Redis database ``BENCH_BROKER_URL`` (default ``redis://127.0.0.1:6379/15``, flushed) and a
temporary MEDIA_ROOT.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.rush import ROOT, _django, seed, variants


def _ticks(pid: int) -> tuple[float, float]:
    """(own user + system seconds, reaped children's) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / hz, (int(fields[13]) + int(fields[14])) / hz


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it reaped."""
    own, reaped = _ticks(pid)
    total = own + reaped
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += sum(_ticks(int(child)))
        except FileNotFoundError:  # exited meanwhile: counted in the parent's reaped time next time
            pass
    return total


def server_runs(args: argparse.Namespace, data: Path, media: Path, archives: list[Path]) -> list[dict]:
    import redis
    from django.core.files.uploadedfile import UploadedFile

    from submissions.models import Status, Submission
    from submissions.services import submission_create

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True)
    phase, teams = seed(args.track, data, 1)
    env = {**os.environ, "PYTHON": sys.executable, "WORKER_CONCURRENCY": str(args.processes), "DEBUG": "0",
           "SECRET_KEY": "bench-shard-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1"}  # fmt: skip
    log_path = media.parent / "worker.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(
        [str(ROOT / "bin" / "worker"), f"--hostname=shard-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    rows = []
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start; see {log_path}")
            time.sleep(0.2)
        for n, path in enumerate(archives):
            with path.open("rb") as handle:
                sub = submission_create(
                    phase=phase, team=teams[0], user=teams[0].captain,
                    uploaded_file=UploadedFile(handle, name="pred.zip", size=path.stat().st_size),
                    method_name=f"shard bench {n}", declared_parameters=1,
                )  # fmt: skip
            cpu = tree_cpu(worker.pid)
            while (row := Submission.objects.get(pk=sub.pk)).status not in (Status.SCORED, Status.REJECTED, Status.FAILED):
                time.sleep(0.05)
            cpu = tree_cpu(worker.pid) - cpu
            if row.status != Status.SCORED:
                raise SystemExit(f"submission {row.pk} was {row.status}: {row.error_message}\n{row.staff_log}")
            rows.append({
                "server_s": round((row.finished_at - row.queued_at).total_seconds(), 2),
                "server_cpu_s": round(cpu, 2), "shards": row.shards_total, "score": row.score,
            })  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
        log.close()
    return rows


def command_runs(args: argparse.Namespace, data: Path) -> list[dict]:
    rows = []
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "evaluation", "score", "--track", str(args.track), "--gt", str(data / "store"),
             "--pred", str(data / "pred.zip"), "--workers", "2", "--json"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        key = "peak_iou" if args.track == 3 else "mean_iou"
        rows.append({"command_s": round(wall, 2), "command_cpu_s": round(cpu, 2), "score": json.loads(done.stdout)[key]})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", type=int, default=3)
    parser.add_argument("--data", type=Path, help="folder with pred.zip and store/ (default $BENCH_DATA/full/t{track})")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--log", type=Path, help="keep the worker's log here")
    args = parser.parse_args()
    default = Path(os.environ.get("BENCH_DATA", "/var/tmp/lid-bench")) / "full" / f"t{args.track}"
    data = (args.data or default).resolve()
    if not (data / "store" / "index.json").exists():
        raise SystemExit(f"{data}/store is not a packed ground truth: run `make bench` first (or pass --data)")
    workdir = Path(tempfile.mkdtemp(prefix="bench_shard_"))
    try:
        _django(workdir / "media", data, os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"))
        archives = variants(data / "pred.zip", args.repeat, workdir)
        server = server_runs(args, data, workdir / "media", archives)
    finally:
        if args.log:
            shutil.copyfile(workdir / "worker.log", args.log)
        shutil.rmtree(workdir, ignore_errors=True)
    command = command_runs(args, data)
    if {r["score"] for r in server} != {r["score"] for r in command}:
        raise SystemExit(f"the server and the command disagree: {server} {command}")
    best_server, best_command = min(r["server_s"] for r in server), min(r["command_s"] for r in command)
    print(json.dumps({"best_server_s": best_server, "best_command_s": best_command,
                      "ratio": round(best_server / best_command, 2)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
