"""Reading and checking ground-truth PNGs from a folder or a zip (for organizers, not teams)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evaluation.archive import ArchiveLimits, check_archive
from evaluation.errors import GroundTruthError, SubmissionFormatError
from evaluation.png import PngProblem, decode_png
from evaluation.reader import ArchiveReader

_GT_MAX_PIXELS = 200_000_000
_IGNORED = frozenset({".DS_Store", "Thumbs.db"})


def allowed_values_text(track: int) -> str:
    """What a track's ground truth may hold.

    Examples
    --------
    >>> allowed_values_text(2)
    'Track 2 ground truth holds 0 (unlabeled) and 1..150 in 8-bit L or P PNGs.'
    """
    return {
        1: "Track 1 ground truth holds 0..200 and 255 (ignore) in 8-bit L or P PNGs.",
        2: "Track 2 ground truth holds 0 (unlabeled) and 1..150 in 8-bit L or P PNGs.",
        3: "Track 3 ground truth holds 0 (background) and any non-zero value (object) in 8-bit L or P PNGs.",
    }[track]


def check_values(track: int, label: str, labels: npt.NDArray[np.uint8]) -> str | None:
    """A sentence naming the values a ground-truth image may not hold, or None.

    Examples
    --------
    >>> check_values(1, "a.png", np.array([[0, 200, 255, 201]], np.uint8))
    'a.png holds values not allowed in track 1: 201'
    >>> check_values(1, "a.png", np.array([[0, 255]], np.uint8)) is None
    True
    """
    if track == 3:
        return None
    present = np.flatnonzero(np.bincount(labels.ravel(), minlength=256))
    allowed = set(range(201)) | {255} if track == 1 else set(range(151))
    bad = [int(v) for v in present if int(v) not in allowed]
    if not bad:
        return None
    shown = ", ".join(str(v) for v in bad[:10]) + (" ..." if len(bad) > 10 else "")
    return f"{label} holds values not allowed in track {track}: {shown}"


def decode_ground_truth(track: int, label: str, data: bytes, *, check: bool = True) -> npt.NDArray[np.uint8]:
    """Decode one ground-truth PNG, refusing modes other than 8-bit L/P (and, if asked, bad values).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.fromarray(np.array([[0, 7]], np.uint8)).save(buf, format="PNG")
    >>> decode_ground_truth(1, "a.png", buf.getvalue()).tolist()
    [[0, 7]]
    """
    try:
        labels = decode_png(data, _GT_MAX_PIXELS)
    except PngProblem as problem:
        raise GroundTruthError(f"{label} {problem.reason}") from None
    if check:
        problem_text = check_values(track, label, labels)
        if problem_text:
            raise GroundTruthError(f"{problem_text}. {allowed_values_text(track)}")
    return labels


def _bad_name(name: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name) or "\\" in name


def iter_source(source: Path, *, read: bool) -> Iterator[tuple[str, bytes | None]]:
    """``(image id, content or None)`` of each ground-truth PNG of a folder or zip, sorted by id.

    Hidden files, ``.DS_Store`` and ``Thumbs.db`` are skipped; anything else that is not a
    ``.png`` file, and names that differ only in case, are refused.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); (folder / "b.png").write_bytes(b""); (folder / "a.png").write_bytes(b"")
    0
    0
    >>> [name for name, _ in iter_source(folder, read=False)]
    ['a', 'b']
    """
    if source.is_file():
        yield from _iter_zip(source, read=read)
        return
    if not source.is_dir():
        raise GroundTruthError(f"{source} is neither a folder nor a zip file")
    names: list[str] = []
    others: list[str] = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name in _IGNORED:
            continue
        if entry.is_file() and entry.name.endswith(".png") and len(entry.name) > 4 and not _bad_name(entry.name):
            names.append(entry.name[:-4])
        else:
            others.append(entry.name)
    _refuse_problems(source, names, others)
    for name in names:
        yield name, ((source / f"{name}.png").read_bytes() if read else None)


def _refuse_problems(source: Path, names: list[str], others: list[str]) -> None:
    if others:
        raise GroundTruthError(
            f"{source} holds {len(others)} entries that are not '<image id>.png' files: {others[:5]}"
        )
    folded: dict[str, str] = {}
    for name in names:
        clash = folded.setdefault(name.casefold(), name)
        if clash != name:
            raise GroundTruthError(f"{source} holds '{clash}.png' and '{name}.png', names that differ only in case")
    if not names:
        raise GroundTruthError(f"{source} holds no ground-truth PNG files")


def _iter_zip(source: Path, *, read: bool) -> Iterator[tuple[str, bytes | None]]:
    limits = ArchiveLimits(
        max_members=10**6, max_total_uncompressed=2**40, max_pixels=_GT_MAX_PIXELS, max_member_size=2**31
    )
    try:
        listing = check_archive(source, limits=limits)
    except SubmissionFormatError as error:
        raise GroundTruthError(f"{source}: {error.message}") from None
    names = listing.image_ids
    _refuse_problems(source, names, [])
    with ArchiveReader(source) as reader:
        for name in names:
            try:
                yield name, (reader.read(listing.members[name]) if read else None)
            except SubmissionFormatError as error:
                raise GroundTruthError(f"{source}: {error.message}") from None
