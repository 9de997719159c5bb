"""Speed and memory of the scoring core on realistic test splits, beside a naive scorer.

    python -m bench [--tracks 1 2 3] [--workers 2] [--repeat 3] [--quick] [--data DIR]
                    [--generator PATH] [--synthetic]

The data: full-size test splits (10,000 / 3,000 / 21,120 images) whose predictions are as good as
LID 2020's entries and written by the encoders teams use (Pillow, OpenCV's imencode, palette
PNGs). They are made once by ``make_data.py``, which is NOT part of this repository: it lives in
the challenge's workspace next to it (``../shared/bench/make_data.py``; ``--generator`` or
``BENCH_GENERATOR`` to point elsewhere). It needs ``opencv-python-headless``
(requirements-dev.txt) for its OpenCV writer. The splits go to ``--data`` (``BENCH_DATA``,
default ``/var/tmp/lid-bench``, about 4.3 GB; ``--quick``: a tenth of the images, in a folder of
their own), with the ground truth packed by ``python -m evaluation pack``. ``--synthetic`` uses
the project's own generator instead (:func:`evaluation.make_synthetic`: predictions 95% right,
which flatters the scorer).

It first runs ``python -m evaluation warm-up`` (numba's cache and the kernels built ahead of time,
as after an install). Per track it times the command a verifier runs,
``python -m evaluation score --workers N --json``, as a new process (wall time including
interpreter start and the kernels' load; the best of ``--repeat`` runs, and the least CPU time,
user + system of all its processes, which a busy machine changes less), samples the private memory (USS) of its worker processes in one more run, and
times a naive reference (extract, decode with Pillow, per-image histogram; a 256-threshold loop for
track 3: bench/naive.py) in the same run, on images spread over the split, extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.memory import PrivateMemorySampler
from bench.naive import naive_seconds
from evaluation import SCORER_VERSION, make_synthetic, open_ground_truth, pack_ground_truth
from evaluation.accelerators import available

FULL = {1: 10_000, 2: 3_000, 3: 21_120}
# issue 11's targets: 2 cores, --workers 2, full test splits, wall time including interpreter start
TARGET_SECONDS = {1: 1.9, 2: 1.9, 3: 6.4}
NAIVE_SAMPLE = {1: 200, 2: 100, 3: 40}
ROOT = Path(__file__).resolve().parents[1]
# ../shared/bench/make_data.py next to the checkout (a git worktree one folder deeper: ../../shared)
_NEXT_TO_CHECKOUT = [folder / "shared" / "bench" / "make_data.py" for folder in (ROOT.parent, ROOT.parent.parent)]
GENERATOR = Path(
    os.environ.get("BENCH_GENERATOR", next((p for p in _NEXT_TO_CHECKOUT if p.is_file()), _NEXT_TO_CHECKOUT[0]))
)
DATA = Path(os.environ.get("BENCH_DATA", "/var/tmp/lid-bench"))


class BenchError(Exception):
    """A sentence for the user; the bench exits with status 1."""


def split_folder(track: int, data: Path = DATA, scale: float = 1.0) -> Path:
    """The folder of make_data.py's split of ``track`` (``pred.zip``, ``gt/``, and ``store/`` once packed)."""
    return data / ("full" if scale == 1.0 else f"scale-{scale:g}") / f"t{track}"


def packed_split(track: int, data: Path | None) -> Path:
    """The folder with ``pred.zip`` and a packed ``store/`` (``data``, or the full split of BENCH_DATA);
    exits with a sentence saying what to run when it is not there."""
    folder = (data or split_folder(track)).resolve()
    if not (folder / "store" / "index.json").exists() or not (folder / "pred.zip").is_file():
        raise SystemExit(
            f"{folder} has no pred.zip and packed store/: run `make bench` first (it makes and packs the "
            "realistic splits into BENCH_DATA), or pass --data"
        )
    return folder


def realistic_split(track: int, data: Path, scale: float, generator: Path) -> tuple[Path, Path, Path]:
    """``(store, pred.zip, gt folder)`` of make_data.py's split, generated and packed if missing."""
    folder = split_folder(track, data, scale)
    if not (folder / "manifest.json").exists():
        if not generator.is_file():
            raise BenchError(
                f"The realistic data generator is not at {generator}. It is not part of this repository: "
                "it is make_data.py of the challenge's workspace (../shared/bench/make_data.py next to this "
                "checkout). Point --generator or BENCH_GENERATOR at it, or run with --synthetic to use "
                "the project's own (easier) synthetic data."
            )
        print(f"  making track {track} at scale {scale:g} with {generator} into {folder.parent} ...", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(generator), "--track", str(track), "--scale", str(scale)]
        command += ["--procs", str(os.cpu_count() or 1), "--out", str(folder.parent)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not (folder / "manifest.json").exists():
            raise BenchError(f"make_data.py failed (exit status {done.returncode}): {done.stderr.strip()[-500:]}")
        print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)
    store = folder / "store"
    if not (store / "index.json").exists():
        pack_ground_truth(track, folder / "gt", store)
    return store, folder / "pred.zip", folder / "gt"


def synthetic_split(track: int, data: Path, count: int) -> tuple[Path, Path, Path]:
    """The project's own synthetic split (made once, then reused)."""
    folder = data / "synthetic" / f"track{track}-{count}"
    done = folder / "ready.json"
    if not (done.exists() and json.loads(done.read_text()).get("scorer_version") == SCORER_VERSION):
        print(f"  making {count:,} synthetic track {track} images in {folder} ...", flush=True)
        made = make_synthetic(track, count, folder, seed=0, alternative=False, workers=os.cpu_count() or 1)
        pack_ground_truth(track, made.gt_dir, folder / "store")
        done.write_text(json.dumps({"scorer_version": SCORER_VERSION, "count": count}))
    return folder / "store", folder / "pred.zip", folder / "gt"


def cli_command(track: int, store: Path, pred: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "evaluation", "score", "--track", str(track)] + [
        "--gt",
        str(store),
        "--pred",
        str(pred),
        "--workers",
        str(workers),
        "--json",
    ]


def run_cli(command: list[str]) -> tuple[float, float, dict[str, object]]:
    """Wall seconds and CPU seconds (user + system, all its processes) of one run of the command
    (a new process), and its JSON output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed (exit status {done.returncode}): {done.stderr.strip()[-500:]}")
    payload: dict[str, object] = json.loads(done.stdout)
    return seconds, cpu, payload


def warm_up() -> str:
    """``python -m evaluation warm-up`` (numba's cache, the kernels built ahead of time); its last line."""
    done = subprocess.run([sys.executable, "-m", "evaluation", "warm-up"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"python -m evaluation warm-up failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip().splitlines()[-1]


def cli_memory(command: list[str]) -> tuple[float, float]:
    """Peak private memory (MiB) of the command's main process and of its largest worker."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with PrivateMemorySampler(process.pid) as sampler:
        process.wait()
    return sampler.main_mib, sampler.worker_peak_mib


def measure(track: int, store: Path, pred: Path, gt: Path, workers: int, repeat: int) -> dict[str, float]:
    truth = open_ground_truth(store)
    pixels = sum(h * w for h, w in map(truth.shape_of, truth.names))
    command = cli_command(track, store, pred, workers)
    load = os.getloadavg()[0]
    times, cpus, payload = [], [], {}
    for _ in range(repeat):
        seconds, cpu, payload = run_cli(command)
        times.append(seconds)
        cpus.append(cpu)
    main_mib, worker_mib = cli_memory(command)
    step = max(1, len(truth.names) // NAIVE_SAMPLE[track])
    sample = truth.names[::step][: NAIVE_SAMPLE[track]]
    naive = naive_seconds(track, gt, pred, sample) * len(truth.names) / len(sample)
    key = {1: "mean_iou", 2: "mean_iou", 3: "peak_iou"}[track]
    return {
        "images": len(truth.names),
        "megapixels": pixels / 1e6,
        "best": min(times),
        "first": times[0],
        "cpu": min(cpus),
        "naive": naive,
        "sample": len(sample),
        "worker_mib": worker_mib,
        "main_mib": main_mib,
        "key": float(payload[key]),  # type: ignore[arg-type]
        "load": load,
        "zip_mib": pred.stat().st_size / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tracks", type=int, nargs="+", default=[1, 2, 3], choices=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per track (the best is reported)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the full sizes")
    parser.add_argument("--data", type=Path, default=DATA, help=f"data folder (BENCH_DATA; default {DATA})")
    parser.add_argument("--generator", type=Path, default=GENERATOR, help="make_data.py (BENCH_GENERATOR)")
    parser.add_argument("--synthetic", action="store_true", help="the project's own synthetic data instead")
    args = parser.parse_args(argv)
    accelerators = ", ".join(f"{k} {v}" for k, v in available().items()) or "none"
    data_kind = "synthetic (evaluation.make_synthetic)" if args.synthetic else f"realistic ({args.generator.name})"
    print(
        f"scorer {SCORER_VERSION}; Python {platform.python_version()}; {os.cpu_count()} cores; accelerators: {accelerators}"
    )
    print(
        f"data: {data_kind} in {args.data}; `python -m evaluation score --workers {args.workers} --json` "
        f"as a new process, best of {args.repeat} (page cache warm after the first run)"
    )
    rows = []
    try:
        print(f"warm-up: {warm_up()}\n", flush=True)
        for track in args.tracks:
            if args.synthetic:
                count = FULL[track] // 10 if args.quick else FULL[track]
                store, pred, gt = synthetic_split(track, args.data, count)
            else:
                store, pred, gt = realistic_split(track, args.data, 0.1 if args.quick else 1.0, args.generator)
            row = measure(track, store, pred, gt, args.workers, args.repeat)
            rows.append((track, row))
            full_size = row["images"] == FULL[track]
            target = TARGET_SECONDS[track]
            verdict = "" if not full_size else (" OK" if row["best"] <= target else f" (target {target:.1f} s)")
            print(
                f"track {track}: {row['images']:,.0f} images ({row['megapixels']:,.0f} Mpx, zip {row['zip_mib']:,.0f} MiB): "
                f"{row['best']:.2f} s best, {row['first']:.2f} s first{verdict}, {row['cpu']:.2f} s of CPU (least); "
                f"naive {row['naive']:,.1f} s (from {row['sample']:.0f} images, extrapolated; "
                f"{row['naive'] / row['best']:,.0f}x slower); peak private memory: worker {row['worker_mib']:,.0f} MiB, "
                f"main {row['main_mib']:,.0f} MiB; key metric {100 * row['key']:.2f}; load average {row['load']:.2f}",
                flush=True,
            )
    except BenchError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        "\n| track | images | CLI s (best) | CPU s (least) | naive s (extrapolated) | speed-up | worker MiB | main MiB | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for track, row in rows:
        print(
            f"| {track} | {row['images']:,.0f} | {row['best']:.2f} | {row['cpu']:.2f} | {row['naive']:,.1f} | "
            f"{row['naive'] / row['best']:,.0f}x | {row['worker_mib']:,.0f} | {row['main_mib']:,.0f} | {row['load']:.2f} |"
        )
    return 0
