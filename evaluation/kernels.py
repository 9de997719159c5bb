"""Per-image statistics, computed fast; :mod:`evaluation.metrics` holds the plain definitions.

Tracks 1-2: predictions are mostly right, so only the pixels where prediction and truth differ
are counted (one ``bincount`` over ``truth * C + prediction`` codes of those pixels); the
ground truth's stored histogram gives the rest. Track 3: one ``bincount`` over
``mask * 256 + map`` codes gives both threshold histograms. With numba installed, each counting
is one compiled loop of :mod:`evaluation.jit` instead (same numbers, no temporary arrays). The
tests check both routes against the definitions in :mod:`evaluation.metrics`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evaluation import accelerators
from evaluation.metrics import curve_counts, iou_curve
from evaluation.tracks import TrackSpec

IntArray = npt.NDArray[np.int64]
U8Array = npt.NDArray[np.uint8]


class SegmentationAccumulator:
    """Adds images of a segmentation track into a dataset-level confusion matrix.

    Per image only the scored pixels where prediction and truth differ are counted, by
    :func:`evaluation.jit.count_misses` or, without numba, by one ``bincount`` of their
    ``truth * C + prediction`` codes: that is the image's off-diagonal joint histogram, whose row
    and column sums are the misses of each class; the truth's stored histogram gives the rest
    (``hits = truth count - row misses``).

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> acc = SegmentationAccumulator(TRACKS[1])
    >>> gt = np.array([[0, 1, 1, 255]], np.uint8); pred = np.array([[0, 1, 2, 7]], np.uint8)
    >>> inter, union = acc.add(gt, np.bincount(gt.ravel(), minlength=256), pred)
    >>> inter[:3].tolist(), union[:3].tolist()  # class 1: TP 1, FN 1; class 2: FP 1; 255 ignored
    ([1, 1, 0], [1, 2, 1])
    >>> int(acc.confusion()[1, 2])
    1
    """

    def __init__(self, spec: TrackSpec) -> None:
        self.spec = spec
        size = spec.num_classes
        self._valid_rows = np.ones(size, dtype=bool)
        self._ignore = spec.ignore_label
        self._ignore_code = -1 if spec.ignore_label is None else spec.ignore_label
        if spec.ignore_label is not None and spec.ignore_label < size:
            self._valid_rows[spec.ignore_label] = False
        self._misses = np.zeros((size, size), dtype=np.int64)
        self._hits = np.zeros(size, dtype=np.int64)

    def add(self, ground_truth: U8Array, gt_histogram: IntArray, prediction: U8Array) -> tuple[IntArray, IntArray]:
        """Count one image; returns its per-class intersection and union (length C).

        The caller has checked that the prediction holds no value ``>= C`` and that the truth
        holds only class labels and the ignore value.

        Examples
        --------
        >>> from evaluation.tracks import TRACKS
        >>> gt = np.array([[0, 5, 5, 7]], np.uint8); pred = np.array([[9, 5, 0, 7]], np.uint8)
        >>> inter, union = SegmentationAccumulator(TRACKS[2]).add(gt, np.bincount(gt.ravel(), minlength=256), pred)
        >>> inter[[5, 7]].tolist(), union[[5, 7, 9]].tolist()  # the 9 on unlabeled 0 is not counted
        ([1, 1], [2, 1, 0])
        """
        gt_flat, pred_flat = ground_truth.ravel(), prediction.ravel()
        size = self.spec.num_classes
        scored_truth = np.where(self._valid_rows, gt_histogram[:size], 0)
        kernels = accelerators.jit()
        if kernels is not None:
            truth_misses = np.zeros(size, np.int64)
            predicted_misses = np.zeros(size, np.int64)
            if not kernels.count_misses(
                gt_flat, pred_flat, self._ignore_code, self._misses, truth_misses, predicted_misses
            ):
                raise ValueError(f"unchecked input: the images differ in size or hold a label >= {size}")
            hits = scored_truth - truth_misses
            self._hits += hits
            return hits, scored_truth + predicted_misses
        differ = gt_flat != pred_flat
        if self._ignore is not None:
            differ &= gt_flat != self._ignore  # ignored pixels are not scored, whatever was predicted
        wrong = np.flatnonzero(differ)
        codes = gt_flat[wrong].astype(np.uint16)  # uint16: in-place ops of uint8 into intp are 30x slower
        codes *= size  # C * C <= 40401 fits
        codes += pred_flat[wrong]
        misses = np.bincount(codes, minlength=size * size).reshape(size, size)
        self._misses += misses
        hits = scored_truth - misses.sum(axis=1)
        self._hits += hits
        # union = truth + predicted - hits, and predicted = hits + the column's misses
        return hits, scored_truth + misses.sum(axis=0)

    def confusion(self) -> IntArray:
        """The ``(C, C)`` confusion matrix of the images added so far.

        Examples
        --------
        >>> from evaluation.tracks import TRACKS
        >>> acc = SegmentationAccumulator(TRACKS[2])
        >>> gt = np.array([[3, 3]], np.uint8)
        >>> _ = acc.add(gt, np.bincount(gt.ravel(), minlength=256), np.array([[3, 4]], np.uint8))
        >>> acc.confusion()[3, 3:5].tolist()
        [1, 1]
        """
        joint = self._misses.copy()
        joint[np.diag_indices_from(joint)] += self._hits
        return joint


def localization_image(
    mask: U8Array, score_map: U8Array, *, packed: bool = False
) -> tuple[npt.NDArray[np.float64], IntArray, IntArray]:
    """IoU curve, intersections ``I(t)`` and unions ``U(t)`` of one track-3 image.

    Parameters
    ----------
    mask : numpy.ndarray
        The 0/1 object mask, the shape of ``score_map``; or, with ``packed=True``, the mask's
        ``numpy.packbits`` of its pixels in row order (what a ground-truth store holds).
    score_map : numpy.ndarray
        uint8 scores.
    packed : bool, optional

    Examples
    --------
    >>> curve, inter, union = localization_image(np.array([[1, 0]], np.uint8), np.array([[5, 9]], np.uint8))
    >>> curve[[0, 6, 10]].tolist(), int(inter[0]), int(union[6])  # t<=5: 1/2; 5<t<=9: 0/2; t>9: 0/1
    ([0.5, 0.0, 0.0], 1, 2)
    >>> bits = np.packbits(np.array([1, 0], np.uint8))
    >>> localization_image(bits, np.array([[5, 9]], np.uint8), packed=True)[0][6]
    np.float64(0.0)
    """
    kernels = accelerators.jit()
    if kernels is not None:
        bits = mask if packed else np.packbits(mask.ravel())
        histograms = np.zeros((2, 256), np.int64)
        if not kernels.count_localization(bits, score_map.ravel(), histograms):
            raise ValueError("the mask holds fewer pixels than the score map")
    else:
        flat_mask = np.unpackbits(mask, count=score_map.size) if packed else mask.ravel()
        codes = flat_mask.astype(np.uint16)
        codes <<= 8
        codes |= score_map.ravel()
        histograms = np.bincount(codes, minlength=512).reshape(2, 256)
    intersection, union = curve_counts(histograms)
    return iou_curve(intersection, union), intersection, union
