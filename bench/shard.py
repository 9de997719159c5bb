"""One large submission through a live ``bin/worker`` against the command line: ``python -m bench.shard``
(``make bench-shard``; optional, not part of the tests).

Loads a phase with the realistic split's packed ground truth (``--data``, default
``$BENCH_DATA/full/t3``: ``store/`` and ``pred.zip`` as ``make bench`` makes them), starts the real
``bin/worker`` with ``--processes`` pool processes (the server scores a submission of at least
SCORING_SHARD_MIN_IMAGES images in shards over all of them), runs the command once untimed (the
store in the page cache for both sides) and submits the archive ``--repeat`` times, one after the
other. For each it reports the wall time from ``queued`` to ``scored`` (the
row's ``queued_at`` to ``finished_at``) and the CPU seconds of the worker's processes, and right
after it times ``python -m evaluation score --track N --gt STORE --pred PRED --workers 2 --json``
(wall and CPU of the command and its pool), so each pair ran under the same load on a shared
machine. Best of each, their ratio and the ratio of each pair (issue 11: <= 1.2). The
scores must be equal. With ``--machines 2`` the submission is scored once by two workers of one
pool process each that share no folder, through an S3 server (moto), and must score the same.

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

from bench.run import packed_split
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
        # One untimed run of the command first: the ground truth's store is then in the page cache
        # for both sides of every pair (else the first submission alone reads it from disk).
        command_once(args, data)
        for n, path in enumerate(archives):
            with path.open("rb") as handle:
                sub = submission_create(
                    phase=phase, team=teams[0], user=teams[0].captain,
                    uploaded_file=UploadedFile(handle, name="pred.zip", size=path.stat().st_size),
                    method_name=f"shard bench {n}", declared_parameters=1,
                )  # fmt: skip
            cpu = tree_cpu(worker.pid)
            while (row := Submission.objects.get(pk=sub.pk)).status not in (
                Status.SCORED,
                Status.REJECTED,
                Status.FAILED,
            ):
                time.sleep(0.05)
            cpu = tree_cpu(worker.pid) - cpu
            if row.status != Status.SCORED:
                raise SystemExit(f"submission {row.pk} was {row.status}: {row.error_message}\n{row.staff_log}")
            rows.append({
                "server_s": round((row.finished_at - row.queued_at).total_seconds(), 2),
                "server_cpu_s": round(cpu, 2), "shards": row.shards_total, "score": row.score,
            })  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
            # The command right after, under the same load (the machine may be shared): the pairs compare.
            rows[-1].update(command_once(args, data))
            print(json.dumps({k: rows[-1][k] for k in ("command_s", "command_cpu_s")}), flush=True)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
        log.close()
    return rows


def machines_run(args: argparse.Namespace, data: Path, workdir: Path, archive: Path) -> dict:
    """The same submission scored by ``--machines`` workers of one pool process each that share no
    folder (own MEDIA_ROOT, ground-truth cache and temporary folder), through an S3 server (moto)."""
    from django.core.files.uploadedfile import UploadedFile

    from challenges.ground_truth_remote import ground_truth_publish
    from submissions.models import Status, Submission
    from submissions.services import submission_create

    phase, teams = seed(args.track, data, 1)
    relative = f"benchrush/track{args.track}/test"
    ground_truth_publish(store=data / "store", relative=relative, checksum=phase.ground_truth_checksum)
    phase.ground_truth_path = relative
    phase.save(update_fields=["ground_truth_path"])
    workers = []
    try:
        for n in range(args.machines):
            home = workdir / f"machine{n}"
            folders = {key: home / key for key in ("media", "ground_truth", "cache", "tmp")}
            for folder in folders.values():
                folder.mkdir(parents=True)
            env = {**os.environ, "PYTHON": sys.executable, "WORKER_CONCURRENCY": "1", "DEBUG": "0",
                   "SECRET_KEY": "bench-shard-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1",
                   "MEDIA_ROOT": str(folders["media"]), "GROUND_TRUTH_ROOT": str(folders["ground_truth"]),
                   "GROUND_TRUTH_CACHE": str(folders["cache"]), "TMPDIR": str(folders["tmp"])}  # fmt: skip
            log_path = home / "worker.log"
            worker = subprocess.Popen(
                [str(ROOT / "bin" / "worker"), f"--hostname=machine{n}-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            workers.append((worker, log_path))
        for worker, log_path in workers:
            deadline = time.monotonic() + 60
            while b" ready." not in log_path.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"a worker did not start; see {log_path}")
                time.sleep(0.2)
        with archive.open("rb") as handle:
            sub = submission_create(
                phase=phase, team=teams[0], user=teams[0].captain,
                uploaded_file=UploadedFile(handle, name="pred.zip", size=archive.stat().st_size),
                method_name="shard bench machines", declared_parameters=1,
            )  # fmt: skip
        while (row := Submission.objects.get(pk=sub.pk)).status not in (Status.SCORED, Status.REJECTED, Status.FAILED):
            time.sleep(0.1)
        if row.status != Status.SCORED:
            raise SystemExit(f"submission {row.pk} was {row.status}: {row.error_message}\n{row.staff_log}")
        shards = [log_path.read_text().count("score_submission_shard[") // 2 for _, log_path in workers]
    finally:
        for worker, _ in workers:
            os.killpg(worker.pid, 15)
            worker.wait(30)
    result = {"machines_s": round((row.finished_at - row.queued_at).total_seconds(), 2), "shards_per_machine": shards,
              "score": row.score, "curve": row.curve["mean"] if row.curve else None}  # fmt: skip
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}), flush=True)
    return result


def moto(workdir: Path) -> subprocess.Popen[bytes]:
    """An S3 server (moto, as the tests use) with an empty bucket; the S3_* variables point at it."""
    import socket

    import boto3

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=(workdir / "moto.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    os.environ.update(S3_BUCKET="lid-bench", S3_ENDPOINT_URL=f"http://127.0.0.1:{port}", S3_REGION="us-east-1",
                      AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1",
                         aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(Bucket="lid-bench")  # fmt: skip
            return server
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def command_once(args: argparse.Namespace, data: Path) -> dict:
    """``python -m evaluation score ... --workers 2 --json`` as a new process: wall, CPU, key metric."""
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
    return {"command_s": round(wall, 2), "command_cpu_s": round(cpu, 2), "command_score": json.loads(done.stdout)[key]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", type=int, default=3)
    parser.add_argument("--data", type=Path, help="folder with pred.zip and store/ (default $BENCH_DATA/full/t{track})")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--log", type=Path, help="keep the worker's log here")
    parser.add_argument(
        "--machines", type=int, default=1,
        help="2 or more: that many workers of one pool process sharing no folder, through an S3 server (moto)",
    )  # fmt: skip
    args = parser.parse_args()
    data = packed_split(args.track, args.data)
    workdir = Path(tempfile.mkdtemp(prefix="bench_shard_"))
    s3 = moto(workdir) if args.machines > 1 else None
    try:
        _django(workdir / "media", data, os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"))
        archives = variants(data / "pred.zip", args.repeat, workdir)
        if s3 is not None:
            import redis

            redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
            server = [machines_run(args, data, workdir, archives[0])]
        else:
            server = server_runs(args, data, workdir / "media", archives)
    finally:
        if s3 is not None:
            s3.terminate()
            s3.wait(30)
        if args.log:
            shutil.copyfile(workdir / "worker.log", args.log)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.machines > 1:
        command = command_once(args, data)
        if server[0]["score"] != command["command_score"]:
            raise SystemExit(f"the machines and the command disagree: {server} {command}")
        print(json.dumps({"same_score_as_command": True, **command}))
        return 0
    if {r["score"] for r in server} != {r["command_score"] for r in server}:
        raise SystemExit(f"the server and the command disagree: {server}")
    best_server, best_command = min(r["server_s"] for r in server), min(r["command_s"] for r in server)
    summary = {
        "best_server_s": best_server,
        "best_command_s": best_command,
        "ratio_of_best": round(best_server / best_command, 2),
        "ratios_of_pairs": [round(r["server_s"] / r["command_s"], 2) for r in server],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
