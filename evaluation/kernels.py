"""Per-image statistics, computed fast; :mod:`evaluation.metrics` holds the plain definitions.

Tracks 1-2: with numba, :func:`evaluation.jit.count_label_runs` counts each run of equal
(truth, prediction) pixel pairs once; without it, only the pixels where prediction and truth
differ are counted (one ``bincount`` over ``truth * C + prediction`` codes of those pixels) and
the ground truth's stored histogram gives the rest. Track 3: one compiled loop, or one
``bincount`` over ``mask * 256 + map`` codes, gives both threshold histograms. The routes give
the same numbers; the tests check both against the definitions in :mod:`evaluation.metrics`.
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

    With numba, :func:`evaluation.jit.count_label_runs` adds each run of equal (truth,
    prediction) pairs to :attr:`counts` at once. Without it, only the scored pixels where
    prediction and truth differ are counted, by one ``bincount`` of their ``truth * C +
    prediction`` codes: that is the image's off-diagonal joint histogram, whose row and column
    sums are the misses of each class; the truth's stored histogram gives the rest
    (``hits = truth count - row misses``).

    Attributes
    ----------
    pair_counts : numpy.ndarray
        ``(256, 256)`` int64: what the compiled loops counted, indexed by any two byte values
        (so that no value can reach outside it); :meth:`confusion` keeps the ``C x C`` scored part.
        The compiled per-image pipeline of :mod:`evaluation.scoring` adds to it directly.

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
        self._counts = np.zeros((size, size), dtype=np.int64)
        self.pair_counts = np.zeros((256, 256), dtype=np.int64)

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
        kernels = accelerators.jit()
        if kernels is not None:
            intersection = np.zeros(256, np.int64)
            union = np.zeros(256, np.int64)
            if not kernels.count_label_runs(
                gt_flat, pred_flat, self._ignore_code, self.pair_counts, intersection, union
            ):
                raise ValueError("unchecked input: the images differ in size")
            return intersection[:size], union[:size]
        scored_truth = np.where(self._valid_rows, gt_histogram[:size], 0)
        differ = gt_flat != pred_flat
        if self._ignore is not None:
            differ &= gt_flat != self._ignore  # ignored pixels are not scored, whatever was predicted
        wrong = np.flatnonzero(differ)
        codes = gt_flat[wrong].astype(np.uint16)  # uint16: in-place ops of uint8 into intp are 30x slower
        codes *= size  # C * C <= 40401 fits
        codes += pred_flat[wrong]
        misses = np.bincount(codes, minlength=size * size).reshape(size, size)
        hits = scored_truth - misses.sum(axis=1)
        self._counts += misses
        self._counts[np.diag_indices(size)] += hits
        # union = truth + predicted - hits, and predicted = hits + the column's misses
        return hits, scored_truth + misses.sum(axis=0)

    def confusion(self) -> IntArray:
        """The ``(C, C)`` confusion matrix of the images added so far.

        Raises
        ------
        ValueError
            If a truth label ``>= C`` other than the ignore value was counted (ground truth is
            checked when it is packed: this is a bug, not a team's error).

        Examples
        --------
        >>> from evaluation.tracks import TRACKS
        >>> acc = SegmentationAccumulator(TRACKS[2])
        >>> gt = np.array([[3, 3]], np.uint8)
        >>> _ = acc.add(gt, np.bincount(gt.ravel(), minlength=256), np.array([[3, 4]], np.uint8))
        >>> acc.confusion()[3, 3:5].tolist()
        [1, 1]
        """
        size = self.spec.num_classes
        pairs = self.pair_counts.copy()
        if self._ignore is not None:
            pairs[self._ignore] = 0  # ignored pixels are not scored
        if pairs[size:].any() or pairs[:, size:].any():
            raise ValueError(f"unchecked input: a label >= {size} was counted")
        return self._counts + pairs[:size, :size]


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
    histograms = localization_histograms(mask, score_map, packed=packed)
    intersection, union = curve_counts(histograms)
    return iou_curve(intersection, union), intersection, union


def localization_histograms(mask: U8Array, score_map: U8Array, *, packed: bool = False) -> IntArray:
    """A track 3 image's ``(2, 256)`` histograms of score values: row 0 background, row 1 object.

    Parameters are those of :func:`localization_image`.

    Examples
    --------
    >>> counts = localization_histograms(np.array([[1, 0, 1]], np.uint8), np.array([[5, 9, 5]], np.uint8))
    >>> int(counts[1, 5]), int(counts[0, 9]), int(counts.sum())
    (2, 1, 3)
    """
    kernels = accelerators.jit()
    if kernels is not None:
        bits = mask if packed else np.packbits(mask.ravel())
        histograms = np.zeros((2, 256), np.int64)
        if not kernels.count_localization(bits, score_map.ravel(), histograms):
            raise ValueError("the mask holds fewer pixels than the score map")
        return histograms
    flat_mask = np.unpackbits(mask, count=score_map.size) if packed else mask.ravel()
    codes = flat_mask.astype(np.uint16)
    codes <<= 8
    codes |= score_map.ravel()
    return np.bincount(codes, minlength=512).reshape(2, 256)
