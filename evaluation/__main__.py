"""Command line: ``python -m evaluation {score,check,pack,synth,warm-up} ...`` (run with ``-h`` for help).

Exit status: 0 on success, 2 when the archive is refused (its message on stderr, and with
``--json`` also ``{"code", "message"}`` on stdout), 1 when the ground truth or the command is wrong
(a file that cannot be read included; one line on stderr, never a traceback).

With ``--json``, a figure that is undefined (NaN: a mean over no scored class, an interval over
no scored pixel) is written as ``null``, never as the non-standard ``NaN``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from evaluation.accelerators import available
from evaluation.archive import ArchiveLimits, check_archive
from evaluation.bootstrap import bootstrap_interval
from evaluation.errors import GroundTruthError, SubmissionFormatError
from evaluation.ground_truth import open_ground_truth
from evaluation.gt_pack import pack_ground_truth
from evaluation.report import summary
from evaluation.scoring import score_archive
from evaluation.synth import make_synthetic
from evaluation.tracks import TRACKS
from evaluation.version import SCORER_VERSION
from evaluation.warmup import warm_up


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description="LID challenge scoring core")
    commands = parser.add_subparsers(dest="command", required=True)
    track = {"type": int, "choices": sorted(TRACKS), "required": True}

    score = commands.add_parser("score", help="score a prediction zip against ground truth")
    score.add_argument("--track", **track)  # type: ignore[arg-type]
    score.add_argument("--gt", required=True, help="ground-truth store or folder of PNGs")
    score.add_argument("--pred", required=True, help="the team's zip archive")
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.add_argument("--workers", type=int, default=1)
    score.add_argument("--per-image", metavar="NPZ", help="also write per-image statistics here")
    score.add_argument("--ci", action="store_true", help="add a 95%% bootstrap interval (1,000 resamples)")
    score.add_argument("--no-background", action="store_true", help="track 1: mean over classes 1..200 only")

    check = commands.add_parser("check", help="cheap checks of an archive (its directory only)")
    check.add_argument("--pred", required=True)
    check.add_argument("--gt", help="ground truth, to name missing and extra files")
    check.add_argument("--track", type=int, choices=sorted(TRACKS))
    check.add_argument("--json", action="store_true")

    pack = commands.add_parser("pack", help="check ground-truth PNGs and pack them into a store")
    pack.add_argument("--track", **track)  # type: ignore[arg-type]
    pack.add_argument("source", help="folder (or zip) of <image id>.png files")
    pack.add_argument("store", help="store folder to write")

    synth = commands.add_parser("synth", help="write deterministic synthetic ground truth and predictions")
    synth.add_argument("--track", **track)  # type: ignore[arg-type]
    synth.add_argument("--count", type=int, required=True)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--workers", type=int, default=1)
    synth.add_argument("--no-prediction", action="store_true", help="ground truth only")
    synth.add_argument("out")

    commands.add_parser("warm-up", help="compile numba's loops into its cache (a container build runs this)")
    return parser


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON's ``null``).

    Examples
    --------
    >>> json_safe({"ci": [float("nan"), 0.5], "x": (float("inf"),)})
    {'ci': [None, 0.5], 'x': [None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(json_safe(payload), allow_nan=False))


def _score(args: argparse.Namespace) -> int:
    spec = TRACKS[args.track]
    if args.no_background and args.track == 1:
        spec = spec.with_scored_classes(range(1, 201))
    started = time.perf_counter()
    result = score_archive(spec, open_ground_truth(args.gt, args.track), args.pred, workers=args.workers)
    seconds = time.perf_counter() - started
    metrics = result.metrics()
    if args.per_image:
        result.save_per_image(args.per_image)
    interval = bootstrap_interval(result, spec) if args.ci else None
    if args.json:
        payload = {"track": args.track, "images": result.image_count, "scorer_version": SCORER_VERSION, **metrics}
        if interval is not None:
            payload["ci"] = list(interval)
        payload["seconds"] = round(seconds, 3)
        _print_json(payload)
    else:
        print(summary(spec, metrics, result.image_count))
        for advice in (metrics.get("diagnosis") or {}).get("advice", []):
            print(f"\nAdvice: {advice['message']}")
        if interval is not None:
            print(
                f"\n95% bootstrap interval of the {spec.key_metric}: {100 * interval[0]:.2f} .. {100 * interval[1]:.2f}"
            )
        print(f"\nScored in {seconds:.2f} s with scorer {SCORER_VERSION}.")
    return 0


def _check(args: argparse.Namespace) -> int:
    expected = shape_of = None
    if args.gt:
        truth = open_ground_truth(args.gt, args.track)
        expected, shape_of = truth.names, truth.shape_of
    listing = check_archive(args.pred, expected_names=expected, limits=ArchiveLimits(), shape_of=shape_of)
    if args.json:
        _print_json(
            {"ok": True, "images": len(listing.members), "folder": listing.folder, "ignored": list(listing.ignored)}
        )
    else:
        count = len(listing.members)
        files = "1 PNG file" if count == 1 else f"{count:,} PNG files"
        print(f"OK: {files}" + (f" in '{listing.folder}/'" if listing.folder else "") + ".")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Output piped into a reader that stops early (``| head``) ends the command quietly.

    Examples
    --------
    >>> main(["check", "--pred", "/nonexistent.zip"])
    1
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "score":
            return _score(args)
        if args.command == "check":
            return _check(args)
        if args.command == "pack":
            info = pack_ground_truth(args.track, args.source, args.store)
            print(f"Packed {info.image_count:,} track {info.track} images into {info.path} (checksum {info.checksum}).")
            return 0
        if args.command == "warm-up":
            print("Accelerators: " + (", ".join(f"{k} {v}" for k, v in available().items()) or "none"))
            print("\n".join(warm_up()))
            return 0
        made = make_synthetic(
            args.track, args.count, args.out, args.seed, prediction=not args.no_prediction, workers=args.workers
        )
        print(
            ("Wrote 1 image" if len(made.names) == 1 else f"Wrote {len(made.names):,} images")
            + f" to {made.gt_dir}"
            + (f", {made.pred_zip} and {made.alt_zip}." if made.pred_zip else ".")
        )
        return 0
    except SubmissionFormatError as error:
        print(error.message, file=sys.stderr)
        if getattr(args, "json", False):
            _print_json(error.to_dict())
        return 2
    except GroundTruthError as error:
        print(f"Ground truth problem: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if isinstance(error, BrokenPipeError):
            raise
        where = f" '{error.filename}'" if error.filename else ""
        print(f"Cannot read{where}: {error.strerror or error}.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
