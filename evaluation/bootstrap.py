"""Percentile bootstrap confidence intervals of a track's key metric over images."""

from __future__ import annotations

import os
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from evaluation.result import PerImageStats, ScoreResult, load_per_image
from evaluation.tracks import TrackSpec, track_spec

_BATCH_CELLS = 2**22  # resamples x images drawn at once (bounds memory to some 100 MB)


def _as_stats(source: PerImageStats | ScoreResult | str | os.PathLike[str]) -> PerImageStats:
    if isinstance(source, PerImageStats):
        return source
    if isinstance(source, ScoreResult):
        return source.per_image
    return load_per_image(source)


def resample_weights(rng: np.random.Generator, resamples: int, images: int) -> npt.NDArray[np.float64]:
    """How often each image is drawn in each resample (draws with replacement, ``images`` each).

    The draws are ``rng.integers(0, images, size=(resamples, images))``: the same stream as
    ``resamples`` successive calls with ``size=images``, which the loop reference in the tests uses.

    Examples
    --------
    >>> w = resample_weights(np.random.default_rng(0), 3, 5)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 5), [5.0, 5.0, 5.0])
    """
    draws = rng.integers(0, images, size=(resamples, images))
    draws += np.arange(resamples)[:, None] * images
    return np.bincount(draws.ravel(), minlength=resamples * images).reshape(resamples, images).astype(np.float64)


def bootstrap_interval(
    per_image_path_or_stats: PerImageStats | ScoreResult | str | os.PathLike[str],
    track: int | TrackSpec,
    *,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Confidence interval of the key metric by resampling images with replacement.

    Each resample draws as many images as there are, with replacement. Tracks 1-2: the mean IoU
    is recomputed from the summed per-image intersections and unions of the drawn images (NaN
    classes left out as in the official score). Track 3: the Peak-IoU of the mean curve of the
    drawn images. The interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles (numpy's linear interpolation) of the resampled values.

    Parameters
    ----------
    per_image_path_or_stats : PerImageStats, ScoreResult, str or os.PathLike
        Statistics, a result, or a file written by :meth:`ScoreResult.save_per_image`.
    track : int or TrackSpec
    resamples : int, optional
    seed : int, optional
    confidence : float, optional

    Returns
    -------
    tuple of float
        ``(low, high)``, fractions in [0, 1].

    Examples
    --------
    >>> stats = PerImageStats(3, ("a", "b", "c"), curves=np.array([[0.2] * 256, [0.4] * 256, [0.9] * 256]))
    >>> low, high = bootstrap_interval(stats, 3, resamples=200)
    >>> 0.2 <= low < 0.5 < high <= 0.9
    True
    """
    stats = _as_stats(per_image_path_or_stats)
    spec = track_spec(track)
    if stats.track != spec.number:
        raise ValueError(f"statistics of track {stats.track} given for track {spec.number}")
    if not 0 < confidence < 1 or resamples < 1:
        raise ValueError("confidence must lie strictly between 0 and 1 and resamples be positive")
    images = stats.image_count
    if images == 0:
        raise ValueError("no images to resample")
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, _BATCH_CELLS // images))
    # Drawing the next batch (one stream, in order) overlaps the products of the one before, in a
    # thread (BLAS releases the GIL); at most two batches of weights are alive at once.
    parts: list[npt.NDArray[np.float64]] = []
    pending: deque[Future[npt.NDArray[np.float64]]] = deque()
    with ThreadPoolExecutor(max_workers=1) as products:
        for start in range(0, resamples, batch):
            weights = resample_weights(rng, min(batch, resamples - start), images)
            pending.append(products.submit(_key_metric, stats, spec, weights))
            del weights
            if len(pending) > 1:
                parts.append(pending.popleft().result())
        parts.extend(future.result() for future in pending)
    values = np.concatenate(parts)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _key_metric(stats: PerImageStats, spec: TrackSpec, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if spec.is_segmentation:
        assert stats.intersection is not None and stats.union is not None
        scored = list(spec.scored_classes)
        # integer counts below 2**53: these float products and sums are exact
        intersections = weights @ stats.intersection[:, scored].astype(np.float64)
        unions = weights @ stats.union[:, scored].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            iou = np.where(unions > 0, intersections / np.where(unions > 0, unions, 1.0), np.nan)
            result: npt.NDArray[np.float64] = np.nanmean(iou, axis=1)
        return result
    assert stats.curves is not None
    curves = (weights @ stats.curves) / stats.image_count
    peaks: npt.NDArray[np.float64] = curves.max(axis=1)
    return peaks
