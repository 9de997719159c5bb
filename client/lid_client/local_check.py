"""``lid validate``: the server's own archive checks, run offline with the scoring core ``evaluation``.

The client does not copy the checks: it imports the same ``evaluation`` package the server scores
with, so a zip that passes here passes the server's cheap checks too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from lid_client import output
from lid_client.api import Api, ClientError

MISSING_CORE = (
    "The scoring core `evaluation` is not installed with this client; install the client again from the "
    "server repository (`pip install ./client`, which brings the core and its packages), or give "
    "`lid submit --skip-check` to upload without the local check."
)


def load_core() -> ModuleType:
    """The scoring core, shipped inside the client's distribution (client/pyproject.toml)."""
    try:
        import evaluation
        import evaluation.manifest  # noqa: F401 - the manifest checks
    except ImportError as exc:
        raise ClientError(MISSING_CORE, code="no_scoring_core") from exc
    return evaluation


def check_archive(path: Path, *, track: int | None = None, decode: bool = False, manifest: Any = None) -> int:
    """The server's checks of an archive, offline; answers the number of PNG files.

    With a ``manifest`` (``evaluation.manifest.Manifest``): the server's upload check with the split's
    image ids, then the worker's check of every PNG with its size (the core's own functions). Without
    one: the archive checks the server makes when it has no ids, and with ``decode`` every PNG's
    header, decoding and labels. Raises ClientError (exit 2) with the team-facing message.
    """
    core = load_core()
    _require_file(path)
    try:
        if manifest is not None:
            return len(core.manifest.check_against_manifest(manifest, path).members)
        listing = core.check_archive(path, expected_names=None)
        if decode and track is not None:
            _decode_members(core, track, path, listing)
    except core.SubmissionFormatError as exc:
        raise ClientError(str(exc.message), code=str(exc.code), exit_code=2) from exc
    return len(listing.members)


def manifest_from_file(path: Path, track: int) -> Any:
    core = load_core()
    try:
        manifest = core.manifest.read_manifest(path)
    except core.manifest.ManifestError as exc:
        raise ClientError(f"The manifest {path} cannot be used: {exc}.", code="bad_manifest", exit_code=2) from None
    return _same_track(manifest, track, str(path))


def manifest_from_server(api: Api, phase_path: str, track: int) -> Any:
    """The phase's manifest from the API, or None when the server has not published one (no ids yet)."""
    core = load_core()
    try:
        document = api.get(phase_path + "manifest/", auth=False)
    except ClientError as exc:
        if exc.code == "manifest_unavailable":
            return None
        raise
    try:
        manifest = core.manifest.Manifest.from_dict(document)
    except core.manifest.ManifestError as exc:
        raise ClientError(f"The server's manifest cannot be used: {exc}; tell the organizers.") from None
    return _same_track(manifest, track, f"{api.server}'s manifest")


def _same_track(manifest: Any, track: int, where: str) -> Any:
    if manifest.track != track:
        raise ClientError(
            f"{where} lists the images of track {manifest.track}, not track {track}; give the manifest of "
            f"track {track} or --track {manifest.track}.",
            exit_code=2,
        )
    return manifest


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
        manifest, source = _manifest_for(args)
        count = check_archive(path, track=args.track, decode=True, manifest=manifest)
    except ClientError as exc:
        if args.json and exc.exit_code == 2:
            print(json.dumps({"valid": False, "code": exc.code, "message": exc.message}, indent=2))
            return exc.exit_code
        raise
    if args.json:
        print(json.dumps({"valid": True, "images": count, "manifest": source}, indent=2))
    elif manifest is not None:
        split = f" {manifest.split}" if manifest.split else ""
        print(
            f"{path.name} passes the server's checks for track {args.track}{split}: {count:,} PNG files, "
            f"exactly the image ids of the manifest {source}, each with its width and height, all readable label maps."
        )
    else:
        print(
            f"{path.name} passes the checks for track {args.track}: {count:,} PNG files, all readable label maps. "
            "The server also checks the names and image sizes against the ground truth"
            + (
                "; it has not published them for this split yet."
                if source is None and args.split
                else " (give --split val|test to check them against the server's manifest, or --manifest FILE)."
            )
        )
    return 0


def _manifest_for(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The manifest to check against and where it came from: --manifest FILE, else the server's for --split."""
    if args.manifest:
        return manifest_from_file(Path(args.manifest), args.track), str(args.manifest)
    if not args.split:
        return None, None
    from lid_client.account import api_for
    from lid_client.submissions import phase_path

    api = api_for(args)
    manifest = manifest_from_server(api, phase_path(args.challenge, args.track, args.split), args.track)
    return manifest, (api.url(phase_path(args.challenge, args.track, args.split) + "manifest/") if manifest else None)


def _report_table(track: int, metrics: dict[str, Any]) -> str:
    rows = output.metrics_rows(track, metrics)
    headers = ["track"] + [title for title, _ in rows]
    return output.table(headers, [[str(track)] + [value for _, value in rows]])


def print_failure(exc: ClientError) -> None:
    print(f"lid: {exc}", file=sys.stderr)
