"""Compiled loops (numba) for the three hot spots of scoring: PNG unfiltering and both countings.

This module needs ``numba``; nothing imports it at start-up. :func:`evaluation.accelerators.jit`
imports it on first use and returns None when numba is not installed, and the callers then take
their numpy/libspng routes, which give the same numbers (the tests run both).

- :func:`unfilter_rows_into` undoes the five PNG row filters of an 8-bit single-channel image. Paeth
  rows, the common kind in smooth score maps, depend on the pixel to their left, so one row is a
  chain of dependent steps; two consecutive Paeth rows are interleaved (the lower one a pixel
  behind) so that the processor works on two chains at once.
- :func:`count_misses` adds an image's wrong pixels to the off-diagonal part of the dataset's
  confusion matrix, and its per-class misses to two vectors: no C x C array per image.
- :func:`count_localization` builds the two threshold histograms of a track 3 image from the packed
  mask bits and the score map, into four interleaved partial histograms so that runs of equal
  values do not wait on one counter.

Compiled code is cached on disk (numba's ``cache=True``: next to this file, or in
``NUMBA_CACHE_DIR``), so a new worker process loads it instead of compiling again.

Examples
--------
>>> import numpy as np
>>> rows = np.array([[0, 5, 6], [1, 1, 1], [2, 1, 1]], np.uint8)  # None: 5 6; Sub: 1 2; Up: 2 3
>>> out = np.empty((3, 2), np.uint8)
>>> unfilter_rows_into(rows, out), out.tolist()
(True, [[5, 6], [1, 2], [2, 3]])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

_numba: Any = importlib.import_module("numba")
_F = TypeVar("_F", bound=Callable[..., Any])

U8Array = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.int64]

# Widens a uint8 before arithmetic. Not ``int()``: numba keeps int(uint8) a uint8, so 166 - 208
# would wrap to 214 (it did: the benchmark's data decoded a "label 204"); np.int64 really converts.
_wide: Any = np.int64


def _compiled(inline: bool = False) -> Callable[[_F], _F]:
    """numba's ``njit`` with our options, typed so that mypy keeps the functions' signatures.

    ``inline=True`` inlines a helper into its callers in numba's own IR (LLVM alone left the
    miss-counting helper a call, 40% slower).
    """
    options: dict[str, Any] = {"cache": True, "nogil": True, "boundscheck": False}
    if inline:
        options["inline"] = "always"
    decorator: Callable[[_F], _F] = _numba.njit(**options)
    return decorator


@_compiled()
def _paeth(left: int, above: int, corner: int) -> int:
    """The Paeth predictor (PNG spec 9.4): whichever neighbour is closest to left + above - corner."""
    to_left = abs(above - corner)
    to_above = abs(left - corner)
    to_corner = abs(left + above - 2 * corner)
    if to_left <= to_above and to_left <= to_corner:
        return left
    if to_above <= to_corner:
        return above
    return corner


@_compiled()
def _unfilter_row(kind: int, filtered: U8Array, above: U8Array, out: U8Array, width: int) -> None:
    """One row of filter type 0-4 (``above``: the previous unfiltered row, zeros for the first)."""
    if kind == 0:
        for x in range(width):
            out[x] = filtered[x]
    elif kind == 1:
        left = 0
        for x in range(width):
            left = (_wide(filtered[x]) + left) & 255
            out[x] = left
    elif kind == 2:
        for x in range(width):
            out[x] = (_wide(filtered[x]) + _wide(above[x])) & 255
    elif kind == 3:
        left = 0
        for x in range(width):
            left = (_wide(filtered[x]) + ((left + _wide(above[x])) >> 1)) & 255
            out[x] = left
    else:
        left = 0
        corner = 0
        for x in range(width):
            up = _wide(above[x])
            left = (_wide(filtered[x]) + _paeth(left, up, corner)) & 255
            out[x] = left
            corner = up


@_compiled()
def _unfilter_paeth_pair(
    first: U8Array, second: U8Array, above: U8Array, out_first: U8Array, out_second: U8Array, width: int
) -> None:
    """Two consecutive Paeth rows at once, the second one pixel behind the first."""
    up = _wide(above[0])
    left = (_wide(first[0]) + _paeth(0, up, 0)) & 255  # row 1, column 0
    out_first[0] = left
    corner = up
    left2 = 0
    corner2 = 0
    for x in range(1, width):
        # row 2, column x - 1: its upper neighbour is row 1's column x - 1, still in ``left``
        left2 = (_wide(second[x - 1]) + _paeth(left2, left, corner2)) & 255
        out_second[x - 1] = left2
        corner2 = left
        up = _wide(above[x])
        left = (_wide(first[x]) + _paeth(left, up, corner)) & 255
        out_first[x] = left
        corner = up
    left2 = (_wide(second[width - 1]) + _paeth(left2, left, corner2)) & 255
    out_second[width - 1] = left2


@_compiled()
def unfilter_rows_into(rows: U8Array, out: U8Array) -> bool:
    """Undo the PNG row filters of an inflated 8-bit single-channel image, into ``out``.

    Parameters
    ----------
    rows : numpy.ndarray
        ``(height, width + 1)`` uint8: each row's filter-type byte, then its filtered bytes.
    out : numpy.ndarray
        ``(height, width)`` uint8, C-contiguous; receives the pixels.

    Returns
    -------
    bool
        False if a row has a filter type above 4 (the image is damaged; ``out`` is then partial),
        or if ``out`` is not ``(height, width)``.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[4, 9, 1], [4, 1, 1], [3, 2, 2], [7, 0, 0]], np.uint8)
    >>> out = np.empty((3, 2), np.uint8)
    >>> unfilter_rows_into(rows[:3], out), out.tolist()  # Paeth, Paeth, Average
    (True, [[9, 10], [10, 11], [7, 11]])
    >>> unfilter_rows_into(rows, np.empty((4, 2), np.uint8))  # filter type 7 does not exist
    False
    """
    height = rows.shape[0]
    width = rows.shape[1] - 1
    if out.shape[0] != height or out.shape[1] != width:
        return False
    zeros = np.zeros(width, np.uint8)
    r = 0
    while r < height:
        kind = _wide(rows[r, 0])
        if kind > 4:
            return False
        above = out[r - 1] if r > 0 else zeros
        if kind == 4 and r + 1 < height and rows[r + 1, 0] == 4:
            _unfilter_paeth_pair(rows[r, 1:], rows[r + 1, 1:], above, out[r], out[r + 1], width)
            r += 2
        else:
            _unfilter_row(kind, rows[r, 1:], above, out[r], width)
            r += 1
    return True


@_compiled(inline=True)
def _count_misses_between(
    truth: U8Array,
    prediction: U8Array,
    ignore: int,
    misses: IntArray,
    truth_misses: IntArray,
    predicted_misses: IntArray,
    start: int,
    stop: int,
) -> bool:
    classes = misses.shape[0]
    for i in range(start, stop):
        label = _wide(truth[i])
        guess = _wide(prediction[i])
        if label != guess and label != ignore:
            if label >= classes or guess >= classes:
                return False
            misses[label, guess] += 1
            truth_misses[label] += 1
            predicted_misses[guess] += 1
    return True


_BLOCK = 64  # pixels tested at once for any difference (a loop the compiler turns into SIMD)


@_compiled()
def count_misses(
    truth: U8Array,
    prediction: U8Array,
    ignore: int,
    misses: IntArray,
    truth_misses: IntArray,
    predicted_misses: IntArray,
) -> bool:
    """Count the scored pixels where prediction and truth differ.

    For each pixel with ``truth != prediction`` and ``truth != ignore``: ``misses[truth,
    prediction]``, ``truth_misses[truth]`` and ``predicted_misses[prediction]`` go up by one.
    Predictions are mostly right, so blocks of 64 pixels are first tested for any difference
    (an OR of XORs, vectorized); only blocks with one are visited pixel by pixel.

    Parameters
    ----------
    truth, prediction : numpy.ndarray
        1-D uint8 of equal length; every prediction and every scored truth value is ``< C``.
    ignore : int
        The label that is not scored (-1: none).
    misses : numpy.ndarray
        ``(C, C)`` int64, added to.
    truth_misses, predicted_misses : numpy.ndarray
        ``(C,)`` int64, added to.

    Returns
    -------
    bool
        False, with the arrays partly counted, if the lengths differ or a differing pixel holds a
        value ``>= C`` that is not ``ignore`` (the caller checks values first: this only keeps
        memory safe, as the loop does not check indices).

    Examples
    --------
    >>> import numpy as np
    >>> misses, by_truth, by_prediction = np.zeros((3, 3), np.int64), np.zeros(3, np.int64), np.zeros(3, np.int64)
    >>> truth = np.array([0, 1, 1, 255, 2], np.uint8); prediction = np.array([0, 2, 1, 2, 0], np.uint8)
    >>> count_misses(truth, prediction, 255, misses, by_truth, by_prediction)
    True
    >>> misses.tolist(), by_truth.tolist(), by_prediction.tolist()
    ([[0, 0, 0], [0, 0, 1], [1, 0, 0]], [0, 1, 1], [1, 0, 1])
    """
    size = truth.size
    classes = misses.shape[0]
    if prediction.size != size or misses.shape[1] != classes or min(truth_misses.size, predicted_misses.size) < classes:
        return False
    whole = size - size % _BLOCK
    # whole blocks, then the tail: a test of fixed length is what the compiler vectorizes (one loop
    # with a computed end for the last block ran 3x slower)
    for start in range(0, whole, _BLOCK):
        differ = np.uint8(0)
        for i in range(start, start + _BLOCK):
            differ |= truth[i] ^ prediction[i]
        if differ and not _count_misses_between(
            truth, prediction, ignore, misses, truth_misses, predicted_misses, start, start + _BLOCK
        ):
            return False
    return _count_misses_between(truth, prediction, ignore, misses, truth_misses, predicted_misses, whole, size)


@_compiled()
def count_localization(mask_bits: U8Array, score_map: U8Array, counts: IntArray) -> bool:
    """Add a track 3 image's histograms of score values, inside and outside the object.

    Parameters
    ----------
    mask_bits : numpy.ndarray
        The object mask packed by ``numpy.packbits`` (first pixel in the highest bit).
    score_map : numpy.ndarray
        1-D uint8, the image's scores in the same pixel order.
    counts : numpy.ndarray
        ``(2, 256)`` int64, added to: row 0 background, row 1 object.

    Returns
    -------
    bool
        False (nothing counted) if ``mask_bits`` is too short for ``score_map`` or ``counts`` is not
        ``(2, 256)``.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.zeros((2, 256), np.int64)
    >>> mask = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1], np.uint8); scores = np.array([9, 9, 3, 9, 0, 0, 0, 0, 3], np.uint8)
    >>> count_localization(np.packbits(mask), scores, counts)
    True
    >>> counts[0, [0, 3, 9]].tolist(), counts[1, [0, 3, 9]].tolist()
    ([3, 1, 1], [1, 1, 2])
    """
    size = score_map.size
    if mask_bits.size * 8 < size or counts.shape[0] != 2 or counts.shape[1] != 256:
        return False
    partial = np.zeros((4, 512), np.int64)
    whole_bytes = size // 8
    for j in range(whole_bytes):
        bits = _wide(mask_bits[j])
        base = 8 * j
        for k in range(8):
            partial[k & 3, (((bits >> (7 - k)) & 1) << 8) | _wide(score_map[base + k])] += 1
    for i in range(8 * whole_bytes, size):
        bit = (_wide(mask_bits[i >> 3]) >> (7 - (i & 7))) & 1
        partial[0, (bit << 8) | _wide(score_map[i])] += 1
    for value in range(256):
        counts[0, value] += partial[0, value] + partial[1, value] + partial[2, value] + partial[3, value]
        counts[1, value] += (
            partial[0, 256 + value] + partial[1, 256 + value] + partial[2, 256 + value] + partial[3, 256 + value]
        )
    return True
