"""A submission scored in shards: contiguous ranges of the ground truth's image ids, scored apart
(by other processes or machines) and merged exactly.

A shard is ``(start, stop)``: the images ``ground_truth.names[start:stop]`` (the sorted ids). Its
:class:`~evaluation.result.ScoreResult` is written whole by :func:`save_result` (integer counts
as integers, track 3's per-image curves as the exact float64 values) and read back by
:func:`load_result`; ``sum(load_result(p) for p in parts)`` is then bit-identical to one pass over
every image (the metrics are computed from integer sums and from curves taken in name order).
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.bootstrap import BootstrapSums, bootstrap_sums
from evaluation.result import ScoreResult, stored_arrays
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


def save_result(
    result: ScoreResult,
    path: str | os.PathLike[str],
    *,
    first_index: int | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> None:
    """Write a whole :class:`ScoreResult` (of a shard) to an uncompressed ``.npz``, losslessly.

    Unlike :meth:`ScoreResult.save_per_image` (statistics for bootstrap intervals) every array is
    kept exactly, so merging saved shards gives the one-pass result bit for bit. With
    ``first_index`` (the shard's first image among the split's sorted ids) the shard's part of the
    bootstrap interval is written too (:func:`~evaluation.bootstrap.bootstrap_sums` of its stored
    statistics, and track 3's curves as stored), so the merge only adds (:func:`load_shard`).

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
    if first_index is not None:
        stored, stats = result.stored_per_image()
        if "curves" in stored:
            arrays["stored_curves"] = stored["curves"]
        sums = bootstrap_sums(stats, spec, first_index=first_index, resamples=resamples, seed=seed)
        arrays.update(sums.arrays())
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


@dataclass(frozen=True)
class Shard:
    """A shard's saved result and, when it was saved with ``first_index``, its stored track-3
    curves (``uint16`` steps) and its part of the bootstrap."""

    result: ScoreResult
    stored_curves: npt.NDArray[np.uint16] | None = None
    bootstrap: BootstrapSums | None = None


def load_shard(path: str | os.PathLike[str]) -> Shard:
    """Read a shard written by :func:`save_result`, with its bootstrap part if it has one.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "shard.npz")
    >>> save_result(ScoreResult(3, ["a"], curves=np.full((1, 256), 0.5)), path, first_index=0, resamples=10)
    >>> shard = load_shard(path)
    >>> shard.result.names, shard.stored_curves.dtype, shard.bootstrap.resamples
    (('a',), dtype('uint16'), 10)
    """
    with np.load(path, allow_pickle=False) as data:
        result = _result_of(data, path)
        curves = data["stored_curves"] if "stored_curves" in data else None
        sums = BootstrapSums.from_arrays(data) if "bootstrap_first" in data else None
    return Shard(result, curves, sums)


@dataclass(frozen=True)
class Merged:
    """Shards merged: the whole result, the per-image statistics file's arrays and the interval's sums."""

    result: ScoreResult
    stored: dict[str, Any]
    bootstrap: BootstrapSums


def merge_shards(shards: Sequence[Shard]) -> Merged:
    """The whole result of shards saved with ``first_index`` (in image order), the arrays of its
    per-image statistics file and its bootstrap sums, without computing them again.

    Examples
    --------
    >>> import tempfile
    >>> folder, curves = tempfile.mkdtemp(), np.array([[0.2] * 256, [0.4] * 256, [0.9] * 256])
    >>> whole = ScoreResult(3, ["a", "b", "c"], curves=curves)
    >>> save_result(ScoreResult(3, ["a"], curves=curves[:1]), f"{folder}/0.npz", first_index=0)
    >>> save_result(ScoreResult(3, ["b", "c"], curves=curves[1:]), f"{folder}/1.npz", first_index=1)
    >>> merged = merge_shards([load_shard(f"{folder}/0.npz"), load_shard(f"{folder}/1.npz")])
    >>> from evaluation.bootstrap import bootstrap_interval
    >>> merged.bootstrap.interval() == bootstrap_interval(whole, 3)
    True
    """
    if any(shard.bootstrap is None for shard in shards):
        raise ValueError("every shard must be saved with its first_index to merge its bootstrap")
    result = merge_results([shard.result for shard in shards])
    names = list(result.names)
    if names != sorted(names):
        raise ValueError("the shards are not in the order of their images")
    sums = functools.reduce(operator.add, [shard.bootstrap for shard in shards if shard.bootstrap is not None])
    if result.spec.is_segmentation:
        stored = stored_arrays(result.track, names, intersection=result.intersection, union=result.union)
    else:
        curves = np.concatenate([shard.stored_curves for shard in shards if shard.stored_curves is not None])
        if len(curves) != len(names):
            raise ValueError("every track-3 shard must carry its stored curves")
        stored = stored_arrays(result.track, names, curves=curves)
    return Merged(result, stored, sums)


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
        return _result_of(data, path)


def _result_of(data: Any, path: str | os.PathLike[str]) -> ScoreResult:
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
