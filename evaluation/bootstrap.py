"""Percentile bootstrap confidence intervals of a track's key metric over images.

The resampling is the Poisson bootstrap: in each resample every image is drawn a Poisson(1)
number of times, independently (its weight). The weights of image ``i`` depend only on the seed and
on ``i`` (its place among the split's sorted ids): they come from the stream of its block of
:data:`BLOCK` images, ``np.random.default_rng([seed, i // BLOCK])``. So the weighted sums of any
contiguous range of images can be computed apart (by a shard, on another machine) and added: the
sums are whole numbers below 2**53, exact in float64 in any order, and the interval of the added
sums is bit for bit that of one pass over every image (:class:`BootstrapSums`).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.result import CURVE_STEPS, PerImageStats, ScoreResult, load_per_image
from evaluation.tracks import TrackSpec, track_spec

BLOCK = 1024  # images per stream of weights


def _poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) by table: a uniform 16-bit number ``u`` gives the ``k`` whose cumulative
    probability first exceeds ``u / 65536`` (probabilities rounded to multiples of 1/65536)."""
    cumulative = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(12)])
    thresholds = np.rint(cumulative * 65536).astype(np.int64)
    return np.searchsorted(thresholds, np.arange(65536), side="right").astype(np.uint8)


_POISSON = _poisson_table()


def _as_stats(source: PerImageStats | ScoreResult | str | os.PathLike[str]) -> PerImageStats:
    if isinstance(source, PerImageStats):
        return source
    if isinstance(source, ScoreResult):
        return source.per_image
    return load_per_image(source)


def resample_weights(seed: int, first: int, count: int, resamples: int) -> npt.NDArray[np.float64]:
    """The weights of images ``first .. first + count - 1`` in each resample: ``(resamples, count)``.

    Each weight is a Poisson(1) draw (probabilities rounded to multiples of 1/65536); the weights
    of an image are the same whatever range it is asked in.

    Examples
    --------
    >>> w = resample_weights(0, 0, 5, 3)
    >>> w.shape, bool((resample_weights(0, 2, 3, 3) == w[:, 2:]).all())
    ((3, 5), True)
    >>> big = resample_weights(0, 0, 1000, 1000)
    >>> round(float(big.mean()), 2), round(float(big.var()), 2), round(float((big == 0).mean()), 2)
    (1.0, 1.0, 0.37)
    """
    if count <= 0:
        return np.zeros((resamples, 0))
    parts = []
    for block in range(first // BLOCK, (first + count - 1) // BLOCK + 1):
        draws = np.random.default_rng([seed, block]).integers(0, 65536, size=(resamples, BLOCK), dtype=np.uint16)
        lo, hi = max(first, block * BLOCK) - block * BLOCK, min(first + count, (block + 1) * BLOCK) - block * BLOCK
        parts.append(_POISSON[draws[:, lo:hi]])
    return np.concatenate(parts, axis=1).astype(np.float64)


@dataclass(frozen=True)
class BootstrapSums:
    """Per resample, the weighted sums of a range of images' statistics (whole numbers).

    Tracks 1-2: ``first`` and ``second`` are the summed intersections and unions of the scored
    classes, ``(resamples, classes)``. Track 3: ``first`` is the summed curves in steps of
    1/:data:`CURVE_STEPS`, ``(resamples, 256)``, and ``second`` the summed weights, ``(resamples, 1)``.
    Sums of disjoint ranges add up (``+``) to the sums of their union.
    """

    track: int
    seed: int
    images: int
    first: npt.NDArray[np.float64]
    second: npt.NDArray[np.float64]

    @property
    def resamples(self) -> int:
        return int(self.first.shape[0])

    def __add__(self, other: BootstrapSums) -> BootstrapSums:
        if (self.track, self.seed, self.first.shape, self.second.shape) != (
            other.track,
            other.seed,
            other.first.shape,
            other.second.shape,
        ):
            raise ValueError("cannot add bootstrap sums of different tracks, seeds or resamples")
        return BootstrapSums(
            self.track, self.seed, self.images + other.images, self.first + other.first, self.second + other.second
        )

    def values(self) -> npt.NDArray[np.float64]:
        """The key metric of each resample (NaN where it is undefined, e.g. no image drawn)."""
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if self.track == 3:
                curves = self.first / (self.second * CURVE_STEPS)
                return np.where(self.second[:, 0] > 0, curves.max(axis=1, initial=-np.inf), np.nan)
            defined = self.second > 0
            iou = np.where(defined, self.first / np.where(defined, self.second, 1.0), np.nan)
            result: npt.NDArray[np.float64] = np.nanmean(iou, axis=1)
            return result

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (numpy's linear
        interpolation) of the resamples' values; NaN when no resample is defined."""
        if not 0 < confidence < 1:
            raise ValueError("confidence must lie strictly between 0 and 1")
        values = self.values()
        values = values[~np.isnan(values)]
        if values.size == 0:
            return math.nan, math.nan
        alpha = (1.0 - confidence) / 2.0
        low, high = np.quantile(values, [alpha, 1.0 - alpha])
        return float(low), float(high)

    def arrays(self) -> dict[str, npt.NDArray[np.float64] | np.int64]:
        """The sums as named arrays (to save in an ``.npz``; :meth:`from_arrays` reads them)."""
        return {
            "bootstrap_track": np.int64(self.track),
            "bootstrap_seed": np.int64(self.seed),
            "bootstrap_images": np.int64(self.images),
            "bootstrap_first": self.first,
            "bootstrap_second": self.second,
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> BootstrapSums:
        """The sums :meth:`arrays` wrote (``data``: an opened ``.npz`` or a dict)."""
        return cls(
            int(data["bootstrap_track"]),
            int(data["bootstrap_seed"]),
            int(data["bootstrap_images"]),
            np.asarray(data["bootstrap_first"], np.float64),
            np.asarray(data["bootstrap_second"], np.float64),
        )


def bootstrap_sums(
    per_image_path_or_stats: PerImageStats | ScoreResult | str | os.PathLike[str],
    track: int | TrackSpec,
    *,
    first_index: int = 0,
    resamples: int = 1000,
    seed: int = 0,
) -> BootstrapSums:
    """The bootstrap sums of a range of images whose first is ``first_index`` among the split's
    sorted ids (0 for the whole split).

    Examples
    --------
    >>> curves = np.array([[0.2] * 256, [0.4] * 256, [0.9] * 256])
    >>> whole = bootstrap_sums(PerImageStats(3, ("a", "b", "c"), curves=curves), 3)
    >>> head = bootstrap_sums(PerImageStats(3, ("a",), curves=curves[:1]), 3)
    >>> tail = bootstrap_sums(PerImageStats(3, ("b", "c"), curves=curves[1:]), 3, first_index=1)
    >>> (head + tail).interval() == whole.interval()
    True
    """
    stats = _as_stats(per_image_path_or_stats)
    spec = track_spec(track)
    if stats.track != spec.number:
        raise ValueError(f"statistics of track {stats.track} given for track {spec.number}")
    if resamples < 1 or first_index < 0:
        raise ValueError("resamples must be positive and first_index not negative")
    if spec.is_segmentation:
        assert stats.intersection is not None and stats.union is not None
        scored = list(spec.scored_classes)
        columns: list[npt.NDArray[Any]] = [stats.intersection[:, scored], stats.union[:, scored]]
    else:
        assert stats.curves is not None
        steps = np.rint(stats.curves * CURVE_STEPS)  # the stored steps, exactly (whole numbers)
        columns = [steps, np.ones((stats.image_count, 1))]
    first = np.zeros((resamples, columns[0].shape[1]))
    second = np.zeros((resamples, columns[1].shape[1]))
    # a block of weights at a time (about 8 MB); integer counts below 2**53: float products exact
    start = 0
    while start < stats.image_count:  # ranges that each lie in one block of the split
        stop = min(stats.image_count, start + BLOCK - (first_index + start) % BLOCK)
        weights = resample_weights(seed, first_index + start, stop - start, resamples)
        first += weights @ columns[0][start:stop].astype(np.float64)
        second += weights @ columns[1][start:stop].astype(np.float64)
        start = stop
    return BootstrapSums(spec.number, seed, stats.image_count, first, second)


def bootstrap_interval(
    per_image_path_or_stats: PerImageStats | ScoreResult | str | os.PathLike[str],
    track: int | TrackSpec,
    *,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Confidence interval of the key metric by resampling the split's images (Poisson bootstrap).

    In each resample every image gets a Poisson(1) weight (:func:`resample_weights`). Tracks 1-2:
    the mean IoU is recomputed from the weighted sums of the per-image intersections and unions
    (classes with no union left out as in the official score). Track 3: the Peak-IoU of the
    weighted mean of the per-image curves (taken in the stored steps of 1/65535). A resample where
    the metric is undefined (no image drawn) is left out. The interval is the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (numpy's linear interpolation)
    of the resampled values.

    Parameters
    ----------
    per_image_path_or_stats : PerImageStats, ScoreResult, str or os.PathLike
        Statistics of the whole split, a result, or a file written by :meth:`ScoreResult.save_per_image`.
    track : int or TrackSpec
    resamples : int, optional
    seed : int, optional
    confidence : float, optional

    Returns
    -------
    tuple of float
        ``(low, high)``, fractions in [0, 1] (NaN when no resample is defined).

    Examples
    --------
    >>> stats = PerImageStats(3, ("a", "b", "c"), curves=np.array([[0.2] * 256, [0.4] * 256, [0.9] * 256]))
    >>> [round(bound, 4) for bound in bootstrap_interval(stats, 3, resamples=200)]  # three images: wide
    [0.2, 0.9]
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    stats = _as_stats(per_image_path_or_stats)
    if stats.image_count == 0:
        raise ValueError("no images to resample")
    return bootstrap_sums(stats, track, resamples=resamples, seed=seed).interval(confidence)
