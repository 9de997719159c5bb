"""A submission scored in shards: contiguous ranges of the ground truth's image ids, scored apart
(by other processes or machines) and merged exactly.

A shard is ``(start, stop)``: the images ``ground_truth.names[start:stop]`` (the sorted ids). Its
:class:`~evaluation.result.ScoreResult` is written whole by :func:`save_result` (integer counts
as integers, track 3's per-image curves as the exact float64 values) and read back by
:func:`load_result`; ``sum(load_result(p) for p in parts)`` is then bit-identical to one pass over
every image (the metrics are computed from integer sums and from curves taken in name order).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.result import ScoreResult
from evaluation.tracks import TrackSpec, track_spec

_FORMAT = "lid-score-result"
_VERSION = 1


def shard_ranges(image_count: int, shard_images: int) -> list[tuple[int, int]]:
    """Split ``image_count`` sorted images into contiguous ``(start, stop)`` ranges of about
    ``shard_images`` each (sizes differ by at most one; at least one range, even when empty).

    Parameters
    ----------
    image_count : int
        Images in the split (``len(ground_truth.names)``).
    shard_images : int
        The wanted images per shard (at least 1).

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> shard_ranges(10, 4)  # 3 shards of 4, 3, 3
    [(0, 4), (4, 7), (7, 10)]
    >>> shard_ranges(3, 100), shard_ranges(0, 5)
    ([(0, 3)], [(0, 0)])
    """
    if shard_images < 1 or image_count < 0:
        raise ValueError("shard_images must be at least 1 and image_count not negative")
    shards = max(1, -(-image_count // shard_images))
    base, extra = divmod(image_count, shards)
    bounds = [0]
    for index in range(shards):
        bounds.append(bounds[-1] + base + (1 if index < extra else 0))
    return list(zip(bounds, bounds[1:], strict=False))


def merge_results(parts: Sequence[ScoreResult]) -> ScoreResult:
    """The result of all shards at once: like ``sum(parts)`` (:meth:`ScoreResult.merge`), but each
    array is concatenated once instead of once per shard (memory and time linear in the images).

    Parameters
    ----------
    parts : sequence of ScoreResult
        Results of one track whose images do not overlap (at least one).

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> a = ScoreResult(3, ["a"], curves=np.full((1, 256), 0.25))
    >>> b = ScoreResult(3, ["b"], curves=np.full((1, 256), 0.75))
    >>> merged = merge_results([a, b])
    >>> merged.names, merged.metrics()["peak_iou"] == (a + b).metrics()["peak_iou"] == 0.5
    (('a', 'b'), True)
    """
    if not parts:
        raise ValueError("there is no result to merge")
    spec = parts[0].spec
    if any(p.spec.number != spec.number or p.spec.scored_classes != spec.scored_classes for p in parts):
        raise ValueError("cannot merge results of different tracks")
    names = [name for part in parts for name in part.names]
    if len(set(names)) != len(names):
        raise ValueError("cannot merge results that share images")
    if spec.is_segmentation:
        confusion = np.zeros((spec.num_classes, spec.num_classes), np.int64)
        for part in parts:
            confusion += part.confusion
        return ScoreResult(
            spec,
            names,
            confusion=confusion,
            intersection=np.concatenate([p.intersection for p in parts]),
            union=np.concatenate([p.union for p in parts]),
        )
    counted = all(p.counts is not None for p in parts)
    return ScoreResult(
        spec,
        names,
        curves=np.concatenate([p.curves for p in parts]),
        pixel_intersection=np.stack([p.pixel_intersection for p in parts]).sum(axis=0),
        pixel_union=np.stack([p.pixel_union for p in parts]).sum(axis=0),
        intersection=np.concatenate([p.counts[0] for p in parts if p.counts is not None]) if counted else None,
        union=np.concatenate([p.counts[1] for p in parts if p.counts is not None]) if counted else None,
    )


def _smallest_unsigned(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Non-negative counts as ``uint32`` when they fit (the values are kept exactly either way)."""
    if values.size and (int(values.min()) < 0 or int(values.max()) >= 2**32):
        return values.astype(np.int64)
    return values.astype(np.uint32)


def save_result(result: ScoreResult, path: str | os.PathLike[str]) -> None:
    """Write a whole :class:`ScoreResult` (of a shard) to an uncompressed ``.npz``, losslessly.

    Unlike :meth:`ScoreResult.save_per_image` (statistics for bootstrap intervals) every array is
    kept exactly, so merging saved shards gives the one-pass result bit for bit.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "shard.npz")
    >>> conf = np.zeros((151, 151), np.int64); conf[1, 1] = 5
    >>> save_result(ScoreResult(2, [], confusion=conf), path)
    >>> int(load_result(path).confusion[1, 1])
    5
    """
    spec = result.spec
    arrays: dict[str, Any] = {
        "format": np.str_(_FORMAT),
        "version": np.int64(_VERSION),
        "track": np.int64(spec.number),
        "scored_classes": np.asarray(spec.scored_classes, np.int64),
        "names": np.asarray(result.names, dtype=np.str_),
    }
    if spec.is_segmentation:
        arrays["confusion"] = result.confusion
        arrays["intersection"] = _smallest_unsigned(result.intersection)
        arrays["union"] = _smallest_unsigned(result.union)
    else:
        arrays["curves"] = result.curves
        arrays["pixel_intersection"] = result.pixel_intersection
        arrays["pixel_union"] = result.pixel_union
        if result.counts is not None:
            arrays["intersection"], arrays["union"] = result.counts
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_result(path: str | os.PathLike[str]) -> ScoreResult:
    """Read a :class:`ScoreResult` written by :func:`save_result`.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "shard.npz")
    >>> curves = np.full((1, 256), 1 / 3)
    >>> save_result(ScoreResult(3, ["a"], curves=curves), path)
    >>> loaded = load_result(path)
    >>> loaded.names, bool((loaded.curves == curves).all()), loaded.counts is None
    (('a',), True, True)
    """
    with np.load(path, allow_pickle=False) as data:
        if "format" not in data or str(data["format"]) != _FORMAT or int(data["version"]) != _VERSION:
            raise ValueError(f"{os.fspath(path)} is not a saved score result of version {_VERSION}")
        spec: TrackSpec = track_spec(int(data["track"]))
        classes = tuple(int(c) for c in data["scored_classes"])
        if classes != spec.scored_classes:
            spec = spec.with_scored_classes(classes)
        names = [str(name) for name in data["names"]]
        if spec.is_segmentation:
            return ScoreResult(
                spec, names, confusion=data["confusion"], intersection=data["intersection"], union=data["union"]
            )
        counted = "intersection" in data
        return ScoreResult(
            spec,
            names,
            curves=data["curves"],
            pixel_intersection=data["pixel_intersection"],
            pixel_union=data["pixel_union"],
            intersection=data["intersection"] if counted else None,
            union=data["union"] if counted else None,
        )
