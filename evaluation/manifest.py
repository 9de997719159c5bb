"""A split's public manifest: its image ids and each image's height and width, never a pixel.

The test images are public; only their masks are hidden. The manifest says what a predictions
archive for a split must hold, so a team can run, offline, the checks that otherwise only the
server could run: the file names (every id, nothing else) and each PNG's width and height.

``python -m evaluation.manifest --track N GT OUT.json`` writes it from a ground-truth folder or
store; the server serves the same document at ``/api/challenges/<slug>/tracks/<n>/<split>/manifest/``
and the client reads either (``lid validate --manifest FILE`` or ``--split``).

:func:`check_against_manifest` runs the server's upload check (:func:`check_archive` with the
manifest's ids) and then, for each PNG, the scoring worker's own per-image check with the manifest's
size (header, size, decoding, values): no rule is written twice.

Examples
--------
>>> import tempfile, os
>>> from evaluation.synth import make_synthetic
>>> made = make_synthetic(1, 2, tempfile.mkdtemp())
>>> manifest = manifest_of(open_ground_truth(made.gt_dir, 1), challenge="lid2020", split="val")
>>> manifest.names == sorted(made.names), Manifest.from_dict(manifest.to_dict()) == manifest
(True, True)
>>> len(check_against_manifest(manifest, made.pred_zip).members)
2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.archive import DEFAULT_LIMITS, ArchiveLimits, ArchiveListing, check_archive
from evaluation.errors import GroundTruthError
from evaluation.ground_truth import GroundTruth, open_ground_truth
from evaluation.reader import ArchiveReader
from evaluation.scoring import _read_prediction as worker_image_check
from evaluation.tracks import TRACKS, track_spec

MANIFEST_FORMAT = "lid-manifest"
MANIFEST_VERSION = 1


class ManifestError(ValueError):
    """A manifest file that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class Manifest:
    """Image ids of one split with their ``(height, width)``; optionally which challenge and split."""

    track: int
    sizes: Mapping[str, tuple[int, int]]
    challenge: str = ""
    split: str = ""
    names: list[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", sorted(self.sizes))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (the same from the server's API and from the command line)."""
        return {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "challenge": self.challenge,
            "track": self.track,
            "split": self.split,
            "image_count": len(self.names),
            "images": [{"id": n, "height": self.sizes[n][0], "width": self.sizes[n][1]} for n in self.names],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Read the document back; :class:`ManifestError` names the first thing wrong with it."""
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f'it is not a LID manifest (no "format": "{MANIFEST_FORMAT}")')
        if data.get("version") != MANIFEST_VERSION:
            raise ManifestError(f"it is manifest version {data.get('version')!r}; this client reads version 1")
        track = data.get("track")
        if track not in TRACKS:
            raise ManifestError(f"its track is {track!r}, not 1, 2 or 3")
        images = data.get("images")
        if not isinstance(images, list) or not images:
            raise ManifestError("it lists no images")
        sizes: dict[str, tuple[int, int]] = {}
        for entry in images:
            try:
                name, height, width = str(entry["id"]), int(entry["height"]), int(entry["width"])
            except (TypeError, KeyError, ValueError):
                raise ManifestError(f'an entry is not {{"id", "height", "width"}}: {entry!r:.80}') from None
            if not name or height < 1 or width < 1:
                raise ManifestError(f"the entry {entry!r:.80} has an empty id or a size below 1")
            if name in sizes:
                raise ManifestError(f"the id {name!r} is listed twice")
            sizes[name] = (height, width)
        if data.get("image_count", len(sizes)) != len(sizes):
            raise ManifestError(f"it says {data.get('image_count')!r} images but lists {len(sizes)}")
        return cls(int(track), sizes, str(data.get("challenge") or ""), str(data.get("split") or ""))


def manifest_of(ground_truth: GroundTruth, *, challenge: str = "", split: str = "") -> Manifest:
    """The manifest of a ground truth (a store reads its index only; a folder reads each PNG's header)."""
    sizes = {name: ground_truth.shape_of(name) for name in ground_truth.names}
    return Manifest(ground_truth.track, sizes, challenge, split)


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Load a manifest file; :class:`ManifestError` says why it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"it cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"it is not JSON ({exc})") from None
    return Manifest.from_dict(data)


def write_manifest(manifest: Manifest, path: str | os.PathLike[str]) -> None:
    Path(path).write_text(json.dumps(manifest.to_dict(), indent=1) + "\n", encoding="utf-8")


def check_against_manifest(
    manifest: Manifest, pred_zip: str | os.PathLike[str], *, limits: ArchiveLimits = DEFAULT_LIMITS
) -> ArchiveListing:
    """The server's upload check with the manifest's ids, then the worker's check of every PNG.

    Raises :class:`~evaluation.errors.SubmissionFormatError` with the message the server would give
    (the first bad image in name order, as the worker reports it).
    """
    listing = check_archive(pred_zip, expected_names=manifest.names, limits=limits)
    spec = track_spec(manifest.track)
    with ArchiveReader(pred_zip) as reader:
        for name in manifest.names:
            worker_image_check(reader, listing.members[name], manifest.sizes[name], spec, limits)
    return listing


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evaluation.manifest --track N GT OUT.json``: publish a split's manifest."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.manifest",
        description="Write a split's public manifest (image ids, heights and widths; no pixels) from its ground truth.",
    )
    parser.add_argument("--track", type=int, choices=sorted(TRACKS), required=True)
    parser.add_argument("--challenge", default="", help="the challenge's slug, e.g. lid2020 (recorded in the file)")
    parser.add_argument("--split", default="", choices=["", "val", "test"], help="recorded in the file")
    parser.add_argument("gt", help="ground-truth store, or folder of <image id>.png files")
    parser.add_argument("out", help="the manifest file to write (JSON)")
    args = parser.parse_args(argv)
    try:
        manifest = manifest_of(open_ground_truth(args.gt, args.track), challenge=args.challenge, split=args.split)
    except GroundTruthError as error:
        print(f"Ground truth problem: {error}", file=sys.stderr)
        return 1
    write_manifest(manifest, args.out)
    print(f"Wrote the manifest of {len(manifest.names):,} track {manifest.track} images to {args.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
