"""Advice on a scored submission: the most common silent mistakes, found from the counts the score
was computed from (no extra decoding). The score never changes; the advice names the figure the
same predictions would reach if the mistake were undone.

- Tracks 1-2, labels shifted by one (mmsegmentation's ``reduce_zero_label``, 0- versus 1-based
  class indices): the mean IoU with every predicted label moved by +1 and by -1, from the
  confusion matrix (:func:`evaluation.metrics.shifted_mean_iou`).
- Track 3, inverted maps (object dark, background bright): the Peak-IoU of ``255 - map``, from the
  per-image counts (:func:`evaluation.metrics.inverted_counts`).

A finding is named when its figure is far higher than the score: at least :data:`MARGIN` (10
points) above it and at least :data:`FACTOR` (1.5) times it. Figures are fractions in [0, 1];
``None`` where undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.metrics import exact_peak, inverted_counts, iou_curve, shifted_mean_iou
from evaluation.tracks import TrackSpec

#: A finding is named when its figure is at least this much above the score (a fraction)...
MARGIN = 0.10
#: ... and at least this many times the score.
FACTOR = 1.5


def _far_higher(figure: float | None, score: float | None) -> bool:
    """Whether ``figure`` is far higher than ``score`` (see :data:`MARGIN` and :data:`FACTOR`).

    Examples
    --------
    >>> _far_higher(0.5, 0.05), _far_higher(0.5, 0.45), _far_higher(0.2, 0.15), _far_higher(None, 0.1)
    (True, False, False, False)
    """
    if figure is None:
        return False
    base = 0.0 if score is None else score
    return figure >= base + MARGIN and figure >= FACTOR * base


def _finite(value: float) -> float | None:
    return None if value != value else float(value)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def segmentation_diagnosis(spec: TrackSpec, confusion: npt.NDArray[np.int64], mean_iou: float | None) -> dict[str, Any]:
    """Tracks 1-2: the mean IoU with every label moved by +1 and -1, and the advice.

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> conf = np.zeros((151, 151), np.int64); conf[np.arange(2, 151), np.arange(1, 150)] = 10
    >>> found = segmentation_diagnosis(TRACKS[2], conf, 0.0)
    >>> found["mean_iou_labels_plus_one"], found["mean_iou_labels_minus_one"], found["advice"][0]["code"]
    (1.0, 0.0, 'labels_shifted')
    """
    figures = {shift: _finite(shifted_mean_iou(confusion, shift, spec.scored_classes)) for shift in (+1, -1)}
    advice = []
    shift = max(figures, key=lambda s: -1.0 if (value := figures[s]) is None else value)
    if _far_higher(figures[shift], mean_iou):
        direction = "up" if shift > 0 else "down"
        cause = (
            "0-based predictions for 1-based classes"
            if shift > 0
            else "mmsegmentation's reduce_zero_label left on, or 1-based predictions for 0-based classes"
        )
        advice.append(
            {
                "code": "labels_shifted",
                "shift": shift,
                "would_reach": figures[shift],
                "message": (
                    f"The predicted labels look shifted by one ({cause}): with every label moved {direction} "
                    f"by one, the same predictions would reach a mean IoU of {_percent(figures[shift])} instead of "
                    f"{_percent(mean_iou)}. Check how your classes are numbered (track {spec.number}: "
                    f"{min(spec.scored_classes)}..{max(spec.scored_classes)}) before writing the PNGs."
                ),
            }
        )
    return {
        "mean_iou_labels_plus_one": figures[+1],
        "mean_iou_labels_minus_one": figures[-1],
        "advice": advice,
    }


def localization_diagnosis(
    intersection: npt.NDArray[np.integer[Any]],
    union: npt.NDArray[np.integer[Any]],
    peak_iou: float | None,
    *,
    chunk: int = 512,
) -> dict[str, Any]:
    """Track 3: the Peak-IoU of the inverted maps ``255 - map``, and the advice.

    Parameters
    ----------
    intersection, union : numpy.ndarray
        ``(images, 256)`` per-image counts of the maps as submitted, in image-name order.
    peak_iou : float or None
        The score.
    chunk : int, optional
        Images handled at a time (bounds the memory: small blocks reuse the same memory, where
        4,096 images at a time took five times longer on 21,120 images, mostly in page faults);
        the curve is summed image after image in name order, as the score's curve is, so the
        figure is what scoring ``255 - map`` gives.

    Examples
    --------
    >>> inter = np.zeros((1, 256), np.int64); inter[0, 0] = 2  # 2 object pixels, both map value 0
    >>> union = np.full((1, 256), 2, np.int64); union[0, 0] = 4  # 2 background pixels, value 0 too
    >>> found = localization_diagnosis(inter, union, 0.5)
    >>> found["peak_iou_inverted"], found["peak_threshold_inverted"], found["advice"]
    (0.5, 0, [])
    """
    images = len(intersection)
    total = np.zeros(256)
    for start in range(0, images, chunk):
        part_i, part_u = inverted_counts(
            np.asarray(intersection[start : start + chunk], np.int64),
            np.asarray(union[start : start + chunk], np.int64),
        )
        total = np.vstack([total[None, :], iou_curve(part_i, part_u)]).sum(axis=0)  # row after row
    curve = total / max(images, 1)
    top = float(np.max(curve))
    candidates = np.flatnonzero(curve >= top - 4 * max(images, 1) * np.spacing(max(top, 1e-300)))
    if len(candidates) > 1:  # a near tie: decide it exactly (rare; needs the inverted counts whole)
        figure, threshold = exact_peak(
            curve, *inverted_counts(np.asarray(intersection, np.int64), np.asarray(union, np.int64))
        )
    else:
        figure, threshold = top, int(candidates[0])
    advice = []
    if _far_higher(figure, peak_iou):
        advice.append(
            {
                "code": "inverted_maps",
                "would_reach": figure,
                "message": (
                    f"The localization maps look inverted (the object dark, the background bright): "
                    f"255 - map would reach a Peak-IoU of {_percent(figure)} (at threshold {threshold}) instead of "
                    f"{_percent(peak_iou)}. Write high values where the object is."
                ),
            }
        )
    return {"peak_iou_inverted": figure, "peak_threshold_inverted": threshold, "advice": advice}
