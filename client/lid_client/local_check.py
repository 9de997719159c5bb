"""``lid validate``: the server's own archive checks, run offline with the scoring core ``evaluation``.

The client does not copy the checks: it imports the same ``evaluation`` package the server scores
with, so a zip that passes here passes the server's cheap checks too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from lid_client import output
from lid_client.api import ClientError

MISSING_CORE = (
    "The scoring core `evaluation` is not importable here; install it from the server repository "
    "(`pip install ./client` inside the repository's virtualenv, where `evaluation` is on the path) or run "
    "`lid` from the repository root. `lid submit --skip-check` uploads without the local check."
)


def load_core() -> ModuleType:
    try:
        import evaluation
    except ImportError:
        evaluation = _core_from_repository()
    return evaluation


def _core_from_repository() -> ModuleType:
    """Find ``evaluation`` beside the client's own checkout, or in the working directory.

    ``pip install -e ./client`` puts only the client on the path; the console script then runs from
    the virtualenv's bin/, where the repository root (home of ``evaluation/``) is not on ``sys.path``.
    """
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (root / "evaluation" / "__init__.py").is_file():
            sys.path.insert(0, str(root))
            try:
                return importlib.import_module("evaluation")
            except ImportError:
                sys.path.remove(str(root))
    raise ClientError(MISSING_CORE, code="no_scoring_core")


def check_archive(path: Path, *, track: int | None = None, decode: bool = False) -> int:
    """The server's cheap directory checks, and with ``decode`` every PNG's header, decoding and labels.

    Answers the number of PNG files; raises ClientError (exit 2) with the team-facing message.
    """
    core = load_core()
    _require_file(path)
    try:
        listing = core.check_archive(path, expected_names=None)
        if decode and track is not None:
            _decode_members(core, track, path, listing)
    except core.SubmissionFormatError as exc:
        raise ClientError(str(exc.message), code=str(exc.code), exit_code=2) from exc
    return len(listing.members)


def _decode_members(core: ModuleType, track: int, path: Path, listing: Any) -> None:
    """What the worker checks per image, short of the ground truth's sizes (the same core functions)."""
    from evaluation.messages import out_of_range_message, png_problem_message
    from evaluation.png import PngProblem, check_label_header, decode_png, read_png_header

    spec, limits = core.TRACKS[track], core.DEFAULT_LIMITS
    with core.ArchiveReader(path) as reader:
        for member in listing.members.values():
            data = reader.read(member)
            try:
                check_label_header(read_png_header(data), limits.max_pixels)
                prediction = decode_png(data, limits.max_pixels)
            except PngProblem as problem:
                message = png_problem_message(member.name, problem)
                raise core.SubmissionFormatError(problem.code, message, member=member.name) from None
            if spec.is_segmentation and int(prediction.max()) >= spec.num_classes:
                message = out_of_range_message(member.name, prediction, spec)
                raise core.SubmissionFormatError("labels_out_of_range", message, member=member.name)


def score_locally(track: int, gt: Path, path: Path) -> dict[str, Any]:
    """Full scoring against local ground truth (a folder of PNGs or a packed store)."""
    core = load_core()
    _require_file(path)
    if not gt.exists():
        raise ClientError(f"No ground truth at {gt}; give --gt a folder of ground-truth PNGs or a packed store.")
    try:
        ground_truth = _open_ground_truth(core, track, gt)
        result = core.score_archive(track, ground_truth, path)
    except core.SubmissionFormatError as exc:
        raise ClientError(str(exc.message), code=str(exc.code), exit_code=2) from exc
    except core.GroundTruthError as exc:
        raise ClientError(f"The ground truth at {gt} could not be used: {exc}", code="ground_truth") from exc
    return dict(result.metrics())


def _open_ground_truth(core: ModuleType, track: int, gt: Path) -> Any:
    return core.open_ground_truth(gt, track)


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ClientError(f"There is no file {path}; give the path of your predictions zip.", exit_code=2)


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.archive)
    if args.gt:
        metrics = score_locally(args.track, Path(args.gt), path)
        if args.json:
            print(json.dumps({"valid": True, "metrics": metrics}, indent=2, sort_keys=True, default=float))
        else:
            print(f"{path.name} is valid for track {args.track}; scores on {args.gt}:")
            print(_report_table(args.track, metrics))
        return 0
    try:
        count = check_archive(path, track=args.track, decode=True)
    except ClientError as exc:
        if args.json:
            print(json.dumps({"valid": False, "code": exc.code, "message": exc.message}, indent=2))
            return exc.exit_code
        raise
    if args.json:
        print(json.dumps({"valid": True, "images": count}, indent=2))
    else:
        print(
            f"{path.name} passes the checks for track {args.track}: {count:,} PNG files, all readable label maps. "
            "The server also checks the names and image sizes against the ground truth."
        )
    return 0


def _report_table(track: int, metrics: dict[str, Any]) -> str:
    rows = output.metrics_rows(track, metrics)
    headers = ["track"] + [title for title, _ in rows]
    return output.table(headers, [[str(track)] + [value for _, value in rows]])


def print_failure(exc: ClientError) -> None:
    print(f"lid: {exc}", file=sys.stderr)
