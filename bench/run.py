"""Speed and memory of the scoring core on full-size synthetic test splits.

    python -m bench [--tracks 1 2 3] [--workers 2] [--repeat 3] [--quick] [--data bench-data]

Makes (once, then reuses) for each track a synthetic test split the size of LID 2020's (10,000 /
3,000 / 21,120 images), packs its ground truth, then times ``score_archive`` with the packed
store and ``--workers`` processes, samples the private memory (USS) of every worker, and times a
naive reference (extract, decode with Pillow, per-image histogram; a 256-threshold loop for
track 3) on a subset, extrapolated. Also times 1,000 bootstrap resamples of the key metric.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from bench.memory import PrivateMemorySampler
from bench.naive import naive_seconds
from evaluation import (
    SCORER_VERSION,
    bootstrap_interval,
    make_synthetic,
    open_ground_truth,
    pack_ground_truth,
    score_archive,
)
from evaluation.accelerators import available

FULL = {1: 10_000, 2: 3_000, 3: 21_120}
TARGET_SECONDS = {1: 3.0, 2: 3.0, 3: 20.0}
NAIVE_SUBSET = {1: 200, 2: 100, 3: 40}
ROOT = Path(__file__).resolve().parents[1]


def prepare(track: int, count: int, data: Path) -> Path:
    """The split's folder (with ``store/`` and ``pred.zip``), made if missing."""
    folder = data / f"track{track}-{count}"
    done = folder / "ready.json"
    if done.exists() and json.loads(done.read_text()).get("scorer_version") == SCORER_VERSION:
        return folder
    started = time.perf_counter()
    print(f"  making {count:,} synthetic track {track} images in {folder} ...", flush=True)
    made = make_synthetic(track, count, folder, seed=0, alternative=False, workers=os.cpu_count() or 1)
    pack_ground_truth(track, made.gt_dir, folder / "store")
    done.write_text(json.dumps({"scorer_version": SCORER_VERSION, "count": count}))
    print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def measure(track: int, folder: Path, workers: int, repeat: int) -> dict[str, float]:
    truth = open_ground_truth(folder / "store")
    pixels = sum(h * w for h, w in map(truth.shape_of, truth.names))
    times = []
    worker_peak = main_peak = 0.0
    result = None
    for _ in range(repeat):
        with PrivateMemorySampler() as sampler:
            started = time.perf_counter()
            result = score_archive(track, folder / "store", folder / "pred.zip", workers=workers)
            times.append(time.perf_counter() - started)
        worker_peak = max(worker_peak, sampler.worker_peak_mib)
        main_peak = max(main_peak, sampler.main_mib)
    assert result is not None
    subset = truth.names[: NAIVE_SUBSET[track]]
    naive = naive_seconds(track, folder / "gt", folder / "pred.zip", subset) * len(truth.names) / len(subset)
    started = time.perf_counter()
    interval = bootstrap_interval(result, track, resamples=1000)
    bootstrap = time.perf_counter() - started
    key = result.metrics()[result.spec.key_metric]
    return {
        "images": len(truth.names),
        "megapixels": pixels / 1e6,
        "best": min(times),
        "first": times[0],
        "naive": naive,
        "worker_mib": worker_peak,
        "main_mib": main_peak,
        "bootstrap": bootstrap,
        "key": key,
        "ci_low": interval[0],
        "ci_high": interval[1],
        "zip_mib": (folder / "pred.zip").stat().st_size / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tracks", type=int, nargs="+", default=[1, 2, 3], choices=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per track (the best is reported)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the full sizes")
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args(argv)
    accelerators = ", ".join(f"{k} {v}" for k, v in available().items()) or "none"
    print(
        f"scorer {SCORER_VERSION}; Python {platform.python_version()}; {os.cpu_count()} cores; accelerators: {accelerators}"
    )
    print(
        f"workers {args.workers}; best of {args.repeat} runs; packed ground-truth store; page cache warm after the first run\n"
    )
    rows = []
    for track in args.tracks:
        count = FULL[track] // 10 if args.quick else FULL[track]
        folder = prepare(track, count, args.data)
        row = measure(track, folder, args.workers, args.repeat)
        rows.append((track, row))
        verdict = (
            ""
            if args.quick
            else (" OK" if row["best"] <= TARGET_SECONDS[track] else f" (target {TARGET_SECONDS[track]:.0f} s)")
        )
        print(
            f"track {track}: {row['images']:,.0f} images ({row['megapixels']:,.0f} Mpx, zip {row['zip_mib']:,.0f} MiB): "
            f"{row['best']:.2f} s best, {row['first']:.2f} s first{verdict}; {row['megapixels'] / row['best']:,.0f} Mpx/s; "
            f"naive {row['naive']:,.0f} s ({row['naive'] / row['best']:,.0f}x slower); "
            f"peak worker private memory {row['worker_mib']:,.0f} MiB (main {row['main_mib']:,.0f} MiB); "
            f"bootstrap 1,000 resamples {row['bootstrap']:.2f} s; key metric {100 * row['key']:.2f} "
            f"[{100 * row['ci_low']:.2f}, {100 * row['ci_high']:.2f}]",
            flush=True,
        )
    print("\n| track | images | seconds | Mpx/s | naive s (extrapolated) | worker private MiB | bootstrap s |")
    print("|---|---|---|---|---|---|---|")
    for track, row in rows:
        print(
            f"| {track} | {row['images']:,.0f} | {row['best']:.2f} | {row['megapixels'] / row['best']:,.0f} | "
            f"{row['naive']:,.0f} | {row['worker_mib']:,.0f} | {row['bootstrap']:.2f} |"
        )
    return 0
