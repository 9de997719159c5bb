"""The metrics of SPEC section 2, as small pure functions on numpy arrays.

Tracks 1 and 2 are scored from one confusion matrix accumulated over the whole split: rows are
ground-truth classes, columns predicted labels, and ground-truth pixels with the track's ignore
value (255 in track 1, 0 in track 2) are left out entirely. For class ``c``::

    IoU_c      = TP_c / (TP_c + FP_c + FN_c)     (NaN when the union is 0)
    accuracy_c = TP_c / (TP_c + FN_c)            (NaN when the class has no pixel)
    mean IoU   = nanmean of IoU_c over the track's scored classes
    pixel accuracy = sum_c TP_c / number of scored pixels

In track 2 a prediction of 0 on a labelled pixel lands in column 0: it is a false negative of the
true class and a false positive of no scored class.

Track 3 thresholds a localization map at every ``t`` in 0..255 (foreground = ``map >= t``). From
two 256-bin histograms of the map (inside and outside the object) and reverse cumulative sums::

    I(t) = #{object pixels with map >= t}
    U(t) = #{object pixels} + #{background pixels with map >= t}
    IoU(t) = I(t) / U(t), and 1 when U(t) = 0

The curve is the mean of the per-image IoU(t) (each image weighs the same); the pixel-accumulated
curve is sum I(t) / sum U(t), 1 where the summed union is 0 (SPEC section 2). Peak-IoU is the
curve's maximum, Peak-Threshold the smallest ``t`` reaching it, ties decided on the exact
rational values (:func:`exact_peak`), not on the float sums.

Diagnosis (advice, never part of the score): :func:`shifted_mean_iou` is the mean IoU the same
predictions reach with every label moved by one; :func:`inverted_counts` gives the curve of
``255 - map`` from the same counts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.tracks import TrackSpec

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
U8Array = npt.NDArray[np.uint8]
CountArray = npt.NDArray[np.integer[Any]]  # int64, or uint32 per-image counts


def joint_histogram(ground_truth: U8Array, prediction: U8Array) -> IntArray:
    """Count every (ground-truth value, predicted value) pair of an image.

    Parameters
    ----------
    ground_truth, prediction : numpy.ndarray
        ``uint8`` arrays of the same shape.

    Returns
    -------
    numpy.ndarray
        ``(256, 256)`` int64 counts, indexed ``[ground truth, prediction]``.

    Examples
    --------
    >>> gt = np.array([[0, 0, 1]], np.uint8); pred = np.array([[0, 1, 1]], np.uint8)
    >>> h = joint_histogram(gt, pred)
    >>> int(h[0, 0]), int(h[0, 1]), int(h[1, 1]), int(h.sum())
    (1, 1, 1, 3)
    """
    codes = ground_truth.ravel().astype(np.uint16)
    codes <<= 8
    codes |= prediction.ravel()
    return np.bincount(codes, minlength=65536).reshape(256, 256).astype(np.int64)


def joint_histogram_from_mismatches(ground_truth: U8Array, prediction: U8Array, gt_histogram: IntArray) -> IntArray:
    """:func:`joint_histogram`, counting only the pixels where prediction and truth differ.

    The ground truth's own histogram (stored with the ground truth) gives the diagonal:
    ``H[g, g] = gt_histogram[g] - (off-diagonal counts of row g)``. Predictions are mostly right,
    so this touches a fraction of the pixels.

    Parameters
    ----------
    ground_truth, prediction : numpy.ndarray
        ``uint8`` arrays of the same shape.
    gt_histogram : numpy.ndarray
        ``(256,)`` counts of the ground-truth values.

    Returns
    -------
    numpy.ndarray
        ``(256, 256)`` int64, equal to ``joint_histogram(ground_truth, prediction)``.

    Examples
    --------
    >>> gt = np.array([[0, 0, 1, 255]], np.uint8); pred = np.array([[0, 1, 1, 3]], np.uint8)
    >>> hist = np.bincount(gt.ravel(), minlength=256)
    >>> bool((joint_histogram_from_mismatches(gt, pred, hist) == joint_histogram(gt, pred)).all())
    True
    """
    gt_flat, pred_flat = ground_truth.ravel(), prediction.ravel()
    wrong = np.flatnonzero(gt_flat != pred_flat)
    codes = gt_flat[wrong].astype(np.uint16)
    codes <<= 8
    codes |= pred_flat[wrong]
    joint = np.bincount(codes, minlength=65536).reshape(256, 256).astype(np.int64)
    diagonal = np.asarray(gt_histogram, dtype=np.int64) - joint.sum(axis=1)
    joint[np.arange(256), np.arange(256)] = diagonal
    return joint


def confusion_from_joint(joint: IntArray, spec: TrackSpec) -> IntArray:
    """The ``(C, C)`` confusion matrix of a track from a ``(256, 256)`` joint histogram.

    Rows of ignored ground truth are dropped (left as zeros for track 2's row 0). The caller
    must have refused predictions ``>= C`` (see :func:`out_of_range_values`).

    Parameters
    ----------
    joint : numpy.ndarray
        ``(256, 256)`` counts ``[ground truth, prediction]``.
    spec : TrackSpec
        A segmentation track.

    Returns
    -------
    numpy.ndarray
        ``(C, C)`` int64, rows = true class, columns = predicted label.

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> joint = np.zeros((256, 256), np.int64); joint[0, 1] = 2; joint[3, 3] = 5; joint[0, 0] = 1
    >>> conf = confusion_from_joint(joint, TRACKS[2])
    >>> conf.shape, int(conf[0].sum()), int(conf[3, 3])
    ((151, 151), 0, 5)
    """
    size = spec.num_classes
    confusion = np.array(joint[:size, :size], dtype=np.int64)
    if spec.ignore_label is not None and spec.ignore_label < size:
        confusion[spec.ignore_label, :] = 0
    return confusion


def confusion_matrix(ground_truth: U8Array, prediction: U8Array, spec: TrackSpec) -> IntArray:
    """The confusion matrix of one image (tracks 1-2).

    Parameters
    ----------
    ground_truth, prediction : numpy.ndarray
        ``uint8`` label maps of the same shape.
    spec : TrackSpec

    Returns
    -------
    numpy.ndarray
        ``(C, C)`` int64.

    Raises
    ------
    ValueError
        If the prediction holds values ``>= C``.

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> gt = np.array([[0, 1, 255]], np.uint8); pred = np.array([[0, 2, 2]], np.uint8)
    >>> conf = confusion_matrix(gt, pred, TRACKS[1])
    >>> int(conf[0, 0]), int(conf[1, 2]), int(conf.sum())  # the pixel under 255 is left out
    (1, 1, 2)
    """
    joint = joint_histogram(ground_truth, prediction)
    bad = out_of_range_values(joint.sum(axis=0), spec.num_classes)
    if bad:
        raise ValueError(f"prediction values {bad} are not labels of track {spec.number}")
    return confusion_from_joint(joint, spec)


def out_of_range_values(prediction_histogram: IntArray, num_classes: int) -> list[int]:
    """Predicted values ``>= num_classes`` that occur, in increasing order.

    Examples
    --------
    >>> hist = np.zeros(256, np.int64); hist[[0, 201, 255]] = 1
    >>> out_of_range_values(hist, 201)
    [201, 255]
    """
    return [int(v) + num_classes for v in np.flatnonzero(prediction_histogram[num_classes:])]


def intersection_and_union(confusion: IntArray) -> tuple[IntArray, IntArray]:
    """Per-class intersection ``TP`` and union ``TP + FP + FN`` of a confusion matrix.

    Examples
    --------
    >>> conf = np.array([[3, 1], [2, 4]])  # rows true, columns predicted
    >>> inter, union = intersection_and_union(conf)
    >>> inter.tolist(), union.tolist()  # class 0: 3 / (3+1+2); class 1: 4 / (4+2+1)
    ([3, 4], [6, 7])
    """
    true_positive = np.diagonal(confusion).astype(np.int64)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positive
    return true_positive, union.astype(np.int64)


def _ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _nanmean(values: FloatArray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values)) if values.size else float("nan")


def segmentation_scores(confusion: IntArray, scored_classes: Sequence[int]) -> dict[str, object]:
    """Per-class IoU and accuracy and their means from a dataset-level confusion matrix.

    Parameters
    ----------
    confusion : numpy.ndarray
        ``(C, C)`` counts, rows = true class, columns = predicted label.
    scored_classes : sequence of int
        Classes the means run over; NaN classes (no pixel in truth or prediction) are left out.

    Returns
    -------
    dict
        ``iou`` and ``accuracy`` (float arrays with NaN), ``mean_iou``, ``mean_accuracy``,
        ``pixel_accuracy`` (floats, NaN if undefined).

    Examples
    --------
    >>> conf = np.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])
    >>> s = segmentation_scores(conf, [0, 1, 2])
    >>> round(s["mean_iou"], 4)  # (3/6 + 4/7) / 2; class 2 has an empty union
    0.5357
    >>> round(s["mean_accuracy"], 4), s["pixel_accuracy"]  # (3/4 + 4/6) / 2, 7/10
    (0.7083, 0.7)
    """
    true_positive, union = intersection_and_union(confusion)
    iou = _ratio(true_positive, union)
    accuracy = _ratio(true_positive, confusion.sum(axis=1))
    chosen = np.asarray(list(scored_classes), dtype=np.intp)
    total = int(confusion.sum())
    return {
        "iou": iou,
        "accuracy": accuracy,
        "mean_iou": _nanmean(iou[chosen]),
        "mean_accuracy": _nanmean(accuracy[chosen]),
        "pixel_accuracy": int(true_positive.sum()) / total if total else float("nan"),
    }


def threshold_histograms(mask: U8Array, score_map: U8Array) -> IntArray:
    """Histograms of a localization map outside (row 0) and inside (row 1) the object.

    Parameters
    ----------
    mask : numpy.ndarray
        ``uint8`` 0/1 object mask.
    score_map : numpy.ndarray
        ``uint8`` localization map of the same shape.

    Returns
    -------
    numpy.ndarray
        ``(2, 256)`` int64.

    Examples
    --------
    >>> h = threshold_histograms(np.array([[0, 1, 1]], np.uint8), np.array([[9, 9, 200]], np.uint8))
    >>> int(h[0, 9]), int(h[1, 9]), int(h[1, 200])
    (1, 1, 1)
    """
    codes = mask.ravel().astype(np.uint16)
    codes <<= 8
    codes |= score_map.ravel()
    return np.bincount(codes, minlength=512).reshape(2, 256).astype(np.int64)


def curve_counts(histograms: IntArray) -> tuple[IntArray, IntArray]:
    """Intersection ``I(t)`` and union ``U(t)`` for t = 0..255 by reverse cumulative sums.

    Parameters
    ----------
    histograms : numpy.ndarray
        ``(..., 2, 256)`` from :func:`threshold_histograms` (a leading axis of images is kept).

    Returns
    -------
    tuple of numpy.ndarray
        ``(..., 256)`` int64 each.

    Examples
    --------
    >>> h = np.zeros((2, 256), np.int64); h[1, 200] = 2; h[0, 100] = 1  # 2 object, 1 background px
    >>> inter, union = curve_counts(h)
    >>> inter[[0, 150, 201]].tolist(), union[[0, 150, 201]].tolist()
    ([2, 2, 0], [3, 2, 2])
    """
    at_or_above = np.cumsum(histograms[..., ::-1], axis=-1)[..., ::-1]
    intersection = at_or_above[..., 1, :]
    union = histograms[..., 1, :].sum(axis=-1, keepdims=True) + at_or_above[..., 0, :]
    return intersection.astype(np.int64), union.astype(np.int64)


def iou_curve(intersection: IntArray, union: IntArray) -> FloatArray:
    """IoU per threshold, 1 where the union is empty (nothing to find and nothing found).

    Examples
    --------
    >>> iou_curve(np.array([1, 0]), np.array([4, 0])).tolist()
    [0.25, 1.0]
    """
    num = np.asarray(intersection)
    den = np.asarray(union)
    curve = np.ones(np.broadcast_shapes(num.shape, den.shape))
    # one pass, the counts converted to float64 a block at a time (no full-size copies): I / U where U > 0
    return np.divide(num, den, out=curve, where=den > 0, dtype=np.float64)


def iou_threshold_curve(mask: U8Array, score_map: U8Array) -> FloatArray:
    """The 256-point IoU-threshold curve of one image.

    Examples
    --------
    >>> curve = iou_threshold_curve(np.array([[1, 1, 0, 0]], np.uint8), np.array([[200, 100, 100, 0]], np.uint8))
    >>> curve[[0, 1, 101, 201]].tolist()  # t=0: 2/4; t=1..100: 2/3; t=101..200: 1/2; t>200: 0/2
    [0.5, 0.6666666666666666, 0.5, 0.0]
    """
    return iou_curve(*curve_counts(threshold_histograms(mask, score_map)))


def peak(curve: FloatArray) -> tuple[float, int]:
    """Peak-IoU and Peak-Threshold (the smallest threshold reaching the maximum).

    Examples
    --------
    >>> peak(np.array([0.2, 0.5, 0.5, 0.1]))
    (0.5, 1)
    """
    threshold = int(np.argmax(curve))
    return float(curve[threshold]), threshold


def _exact_sum(intersection: CountArray, union: CountArray) -> Fraction:
    """Sum over images of I/U (1 where U is 0), exactly: one big common denominator, no float."""
    numerators: dict[int, int] = {}
    for i, u in zip(intersection.tolist(), union.tolist(), strict=True):
        if u == 0:
            i, u = 1, 1
        numerators[u] = numerators.get(u, 0) + i
    common = math.lcm(*numerators) if numerators else 1
    return Fraction(sum(n * (common // u) for u, n in numerators.items()), common)


def exact_peak(curve: FloatArray, intersection: CountArray, union: CountArray) -> tuple[float, int]:
    """:func:`peak` with ties decided exactly, from the per-image counts behind the curve.

    The float curve (a sum of rounded quotients) may order two thresholds whose exact mean IoUs
    are equal. Thresholds within ``4 * images`` units in the last place of the maximum are
    compared again exactly: the difference of their sums over the images whose counts differ
    between them, as one fraction.

    Parameters
    ----------
    curve : numpy.ndarray
        ``(256,)`` mean IoU per threshold (floats).
    intersection, union : numpy.ndarray
        ``(images, 256)`` per-image counts ``I(t)`` and ``U(t)``.

    Returns
    -------
    tuple
        Peak-IoU (the curve's value at the chosen threshold) and Peak-Threshold.

    Examples
    --------
    >>> inter = np.array([[1, 1], [1, 2]]); union = np.array([[3, 2], [6, 6]])
    >>> curve = (inter / union).sum(axis=0) / 2  # t=0: 1/3 + 1/6 = 1/2; t=1: 1/2 + 1/3 = 5/6
    >>> exact_peak(curve, inter, union)
    (0.41666666666666663, 1)
    >>> inter = np.array([[1, 0], [0, 1]]); union = np.array([[2, 2], [2, 2]])  # an exact tie
    >>> exact_peak(np.array([0.25, 0.25 + 2**-54]), inter, union)[1]  # a float that says t=1
    0
    """
    top = float(np.max(curve))
    tolerance = 4 * max(len(intersection), 1) * math.ulp(max(top, 1e-300))
    candidates = [int(t) for t in np.flatnonzero(curve >= top - tolerance)]
    best = candidates[0]
    for t in candidates[1:]:
        differ = (intersection[:, t] != intersection[:, best]) | (union[:, t] != union[:, best])
        gain = _exact_sum(intersection[differ, t], union[differ, t]) - _exact_sum(
            intersection[differ, best], union[differ, best]
        )
        if gain > 0:
            best = t
    return float(curve[best]), best


def shifted_mean_iou(confusion: IntArray, shift: int, scored_classes: Sequence[int]) -> float:
    """The mean IoU the same predictions reach with every predicted label moved by ``shift``.

    Label ``p`` becomes ``p + shift``; a label moved outside ``0..C-1`` is wrong for every class.
    The ground truth, and so each class's pixel count, is unchanged.

    Parameters
    ----------
    confusion : numpy.ndarray
        ``(C, C)`` counts, rows = true class, columns = predicted label.
    shift : int
        ``+1`` (predictions one too low, e.g. 0-based labels for 1-based classes) or ``-1``.
    scored_classes : sequence of int

    Returns
    -------
    float
        NaN if no scored class has a pixel in truth or the shifted prediction.

    Examples
    --------
    >>> conf = np.array([[0, 0, 0], [4, 0, 0], [0, 2, 0]])  # every class predicted one too low
    >>> shifted_mean_iou(conf, +1, [1, 2]), shifted_mean_iou(conf, -1, [1, 2])
    (1.0, 0.0)
    """
    size = confusion.shape[0]
    source = np.arange(size) - shift  # the predicted label that lands on each class
    valid = (source >= 0) & (source < size)
    safe = np.where(valid, source, 0)
    true_positive = np.where(valid, confusion[np.arange(size), safe], 0)
    predicted = np.where(valid, confusion.sum(axis=0)[safe], 0)
    union = confusion.sum(axis=1) + predicted - true_positive
    iou = _ratio(true_positive, union)
    return _nanmean(iou[np.asarray(list(scored_classes), dtype=np.intp)])


def inverted_counts(intersection: IntArray, union: IntArray) -> tuple[IntArray, IntArray]:
    """``I(t)`` and ``U(t)`` of the inverted maps ``255 - map``, from the counts of the maps.

    ``255 - map >= t`` is ``map <= 255 - t``, the complement of ``map >= 256 - t``; so
    ``I'(t) = I(0) - I(256 - t)`` and ``U'(t) = U(0) - U(256 - t) + I(0)``, where ``I(256) = 0``
    and ``U(256) = I(0)`` (no pixel reaches 256; the union is then the object alone).

    Parameters
    ----------
    intersection, union : numpy.ndarray
        ``(..., 256)`` counts from :func:`curve_counts`.

    Returns
    -------
    tuple of numpy.ndarray

    Examples
    --------
    >>> mask = np.array([[1, 1, 0, 0]], np.uint8); score_map = np.array([[200, 100, 100, 0]], np.uint8)
    >>> inter, union = inverted_counts(*curve_counts(threshold_histograms(mask, score_map)))
    >>> direct = curve_counts(threshold_histograms(mask, 255 - score_map))
    >>> bool((inter == direct[0]).all() and (union == direct[1]).all())
    True
    """
    objects = intersection[..., :1]
    beyond_i = np.concatenate([intersection, np.zeros_like(objects)], axis=-1)
    beyond_u = np.concatenate([union, objects], axis=-1)
    inverted_i = objects - beyond_i[..., 256:0:-1]
    inverted_u = union[..., :1] - beyond_u[..., 256:0:-1] + objects
    return inverted_i.astype(np.int64, copy=False), inverted_u.astype(np.int64, copy=False)
