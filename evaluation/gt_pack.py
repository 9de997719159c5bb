"""Packing checked ground truth into a store (see :mod:`evaluation.ground_truth` for the format)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evaluation.errors import GroundTruthError
from evaluation.ground_truth import (
    HISTOGRAMS_FILE,
    INDEX_FILE,
    LABELS_FILE,
    STORE_FORMAT,
    STORE_VERSION,
    hash_image,
    hash_start,
    scored_payload,
)
from evaluation.gt_sources import allowed_values_text, check_values, decode_ground_truth, iter_source
from evaluation.tracks import track_spec


@dataclass(frozen=True)
class GroundTruthInfo:
    """What :func:`pack_ground_truth` wrote.

    Examples
    --------
    >>> GroundTruthInfo(track=3, image_count=1, checksum="ab", names=("x",), path="s").image_count
    1
    """

    track: int
    image_count: int
    checksum: str
    names: tuple[str, ...]
    path: str


def pack_ground_truth(track: int, source: str | os.PathLike[str], store: str | os.PathLike[str]) -> GroundTruthInfo:
    """Check a folder (or zip) of ground-truth PNGs and pack it into a store.

    Parameters
    ----------
    track : int
    source : str or os.PathLike
        Folder of ``<image id>.png`` files, or a zip of them.
    store : str or os.PathLike
        Folder to write; an existing store there is replaced, anything else is refused.

    Returns
    -------
    GroundTruthInfo

    Raises
    ------
    GroundTruthError
        Listing what is wrong: PNG modes, values outside the track's labels, duplicate names.

    Examples
    --------
    >>> import tempfile, os
    >>> from evaluation.synth import make_synthetic
    >>> out = tempfile.mkdtemp()
    >>> _ = make_synthetic(2, 3, out, prediction=False)
    >>> info = pack_ground_truth(2, os.path.join(out, "gt"), os.path.join(out, "store"))
    >>> info.image_count, len(info.checksum)
    (3, 64)
    """
    number = track_spec(track).number
    target = Path(store)
    if target.exists() and not (target / INDEX_FILE).is_file() and any(target.iterdir()):
        raise GroundTruthError(f"{target} exists and is not a ground-truth store; choose another path")
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        info = _write_store(number, Path(source), building)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            shutil.rmtree(old)
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return GroundTruthInfo(info.track, info.image_count, info.checksum, info.names, str(target))


def _write_store(track: int, source: Path, folder: Path) -> GroundTruthInfo:
    digest = hash_start(track)
    names: list[str] = []
    shapes: list[tuple[int, int]] = []
    offsets: list[int] = []
    histograms: list[npt.NDArray[np.int64]] = []
    problems: list[str] = []
    offset = 0
    with open(folder / LABELS_FILE, "wb") as out:
        for name, data in iter_source(source, read=True):
            assert data is not None
            try:
                labels = decode_ground_truth(track, f"{name}.png", data, check=False)
            except GroundTruthError as error:
                problems.append(str(error))
                continue
            problem = check_values(track, f"{name}.png", labels)
            if problem:
                problems.append(problem)
                continue
            stored = (labels != 0).astype(np.uint8) if track == 3 else labels
            payload = scored_payload(track, stored)
            shape = (int(labels.shape[0]), int(labels.shape[1]))
            hash_image(digest, name, shape, payload)
            out.write(payload)
            names.append(name)
            shapes.append(shape)
            offsets.append(offset)
            histograms.append(np.bincount(stored.ravel(), minlength=2 if track == 3 else 256))
            offset += len(payload)
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more problems)" if len(problems) > 10 else ""
        raise GroundTruthError(
            f"{len(problems)} ground-truth files are unusable: {shown}{more}. {allowed_values_text(track)}"
        )
    if not names:
        raise GroundTruthError(f"{source} holds no ground-truth PNG files")
    np.save(folder / HISTOGRAMS_FILE, np.asarray(histograms, dtype=np.int32))
    checksum = digest.hexdigest()
    index = {
        "format": STORE_FORMAT,
        "version": STORE_VERSION,
        "track": track,
        "checksum": checksum,
        "image_count": len(names),
        "names": names,
        "shapes": shapes,
        "offsets": offsets,
    }
    (folder / INDEX_FILE).write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    return GroundTruthInfo(track, len(names), checksum, tuple(names), str(folder))
