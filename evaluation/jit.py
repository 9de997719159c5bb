"""Compiled loops (numba) for the hot spots of scoring: PNG unfiltering and both countings.

This module needs ``numba``; nothing imports it at start-up. :func:`evaluation.accelerators.jit`
imports it on first use and returns None when numba is not installed, and the callers then take
their numpy/libspng routes, which give the same numbers (the tests run both).

- :func:`unfilter_rows_into` undoes the five PNG row filters of an 8-bit single-channel image. Paeth
  rows, the common kind in smooth score maps, depend on the pixel to their left, so one row is a
  chain of dependent steps; four (or three, or two) consecutive Paeth rows are interleaved, each
  a pixel behind the one above it, so that the processor works on four chains at once.
- :func:`count_label_runs` adds an image of a segmentation track to the dataset's confusion matrix
  one run of equal (truth, prediction) pixel pairs at a time, and its per-class intersections
  and unions to two vectors: no C x C array per image.
- :func:`count_localization` builds the two threshold histograms of a track 3 image from the packed
  mask bits and the score map, into four interleaved partial histograms so that runs of equal
  values do not wait on one counter.

- :func:`score_label_image` and :func:`score_map_image` do both steps for one PNG in one call (the
  per-image pipeline of :mod:`evaluation.scoring`).

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

from evaluation.aot import BAD_FILTER, BAD_INPUT, LABEL_TOO_LARGE, SCORED

_numba: Any = importlib.import_module("numba")
trailing_zeros: Any = importlib.import_module("numba.cpython.unsafe.numbers").trailing_zeros
_F = TypeVar("_F", bound=Callable[..., Any])

U8Array = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.int64]

# Widens a uint8 before arithmetic. Not ``int()``: numba keeps int(uint8) a uint8, so 166 - 208
# would wrap to 214 (it did: the benchmark's data decoded a "label 204"); np.int64 really converts.
_wide: Any = np.int64
# An unsigned array index: numba tests a signed one for being negative (to wrap around), which
# keeps loops from vectorizing well.
_index: Any = np.uint64
_ONE = np.uint64(1)


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


@_compiled(inline=True)
def _paeth(left: int, above: int, corner: int) -> int:
    """The Paeth predictor (PNG spec 9.4): whichever neighbour is closest to left + above - corner.

    In stb_image's form (equal for all 256^3 inputs; a test checks them all): fewer operations
    and no branch, which makes the row loops about 1.5x faster than the spec's three distances.
    """
    threshold = corner * 3 - (left + above)
    low = min(left, above)
    high = max(left, above)
    chosen = low if high <= threshold else corner
    return high if threshold <= low else chosen


# The row loops take whole flat arrays and the offsets of their rows: a numba array view per row
# (rows[r, 1:], out[r]) costs reference-count updates that took longer than a None row itself.
# ``src[s + x]`` is filtered byte x, ``up[u + x]`` the pixel above, ``dst[d + x]`` the output.


@_compiled()
def _unfilter_none(src: U8Array, s: Any, dst: U8Array, d: Any, width: int) -> None:
    for x in range(width):
        dst[d + _index(x)] = src[s + _index(x)]


@_compiled()
def _unfilter_sub(src: U8Array, s: Any, dst: U8Array, d: Any, width: int) -> None:
    """A Sub row. Label maps' rows are mostly zeros (the pixel repeats its left neighbour):
    16 zeros at a time are found with one vectorized test and filled in."""
    left = np.uint8(0)
    whole = width - width % _RUN
    for start in range(0, whole, _RUN):
        first = _index(start)
        nonzero = np.uint8(0)
        for k in range(_RUN):
            nonzero |= src[s + first + _index(k)]
        if nonzero:
            for k in range(_RUN):
                left = np.uint8(src[s + first + _index(k)] + left)
                dst[d + first + _index(k)] = left
        else:
            for k in range(_RUN):
                dst[d + first + _index(k)] = left
    for x in range(whole, width):
        left = np.uint8(src[s + _index(x)] + left)
        dst[d + _index(x)] = left


_RUN = 16  # bytes of a Sub row tested at once for all zeros


@_compiled()
def _unfilter_up(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    for x in range(width):
        dst[d + _index(x)] = np.uint8(src[s + _index(x)] + up[u + _index(x)])


@_compiled()
def _unfilter_average(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    left = 0
    for x in range(width):
        left = (_wide(src[s + _index(x)]) + ((left + _wide(up[u + _index(x)])) >> 1)) & 255
        dst[d + _index(x)] = left


@_compiled()
def _unfilter_paeth(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    left = 0
    corner = 0
    for x in range(width):
        above = _wide(up[u + _index(x)])
        left = (_wide(src[s + _index(x)]) + _paeth(left, above, corner)) & 255
        dst[d + _index(x)] = left
        corner = above


@_compiled()
def _unfilter_paeth_pair(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    """Two consecutive Paeth rows at once, the second one pixel behind the first (its filtered
    bytes start at ``s + width + 1``, its output at ``d + width``)."""
    s2 = s + _index(width + 1)
    d2 = d + _index(width)
    above = _wide(up[u])
    left = (_wide(src[s]) + _paeth(0, above, 0)) & 255  # row 1, column 0
    dst[d] = left
    corner = above
    left2 = 0
    corner2 = 0
    for x in range(1, width):
        here = _index(x)
        before = here - _ONE
        # row 2, column x - 1: its upper neighbour is row 1's column x - 1, still in ``left``
        left2 = (_wide(src[s2 + before]) + _paeth(left2, left, corner2)) & 255
        dst[d2 + before] = left2
        corner2 = left
        above = _wide(up[u + here])
        left = (_wide(src[s + here]) + _paeth(left, above, corner)) & 255
        dst[d + here] = left
        corner = above
    last = _index(width - 1)
    left2 = (_wide(src[s2 + last]) + _paeth(left2, left, corner2)) & 255
    dst[d2 + last] = left2


@_compiled()
def _unfilter_paeth_triple(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    """Three consecutive Paeth rows at once, each a pixel behind the one above it (``width >= 2``):
    three chains of dependent steps in flight, 12% faster than a pair on the benchmark's maps."""
    s2 = s + _index(width + 1)
    d2 = d + _index(width)
    s3 = s2 + _index(width + 1)
    d3 = d2 + _index(width)
    above = _wide(up[u])
    left = (_wide(src[s]) + _paeth(0, above, 0)) & 255  # row 1, column 0
    dst[d] = left
    corner = above
    left2 = (_wide(src[s2]) + _paeth(0, left, 0)) & 255  # row 2, column 0
    dst[d2] = left2
    corner2 = left
    above = _wide(up[u + _ONE])
    left = (_wide(src[s + _ONE]) + _paeth(left, above, corner)) & 255  # row 1, column 1
    dst[d + _ONE] = left
    corner = above
    left3 = 0
    corner3 = 0
    for x in range(2, width):
        here = _index(x)
        before = here - _ONE
        two_before = here - _TWO
        # row 3, column x - 2: its upper neighbour is row 2's column x - 2, still in ``left2``
        left3 = (_wide(src[s3 + two_before]) + _paeth(left3, left2, corner3)) & 255
        dst[d3 + two_before] = left3
        corner3 = left2
        # row 2, column x - 1: its upper neighbour is row 1's column x - 1, still in ``left``
        left2 = (_wide(src[s2 + before]) + _paeth(left2, left, corner2)) & 255
        dst[d2 + before] = left2
        corner2 = left
        above = _wide(up[u + here])
        left = (_wide(src[s + here]) + _paeth(left, above, corner)) & 255
        dst[d + here] = left
        corner = above
    two_before = _index(width - 2)
    last = _index(width - 1)
    left3 = (_wide(src[s3 + two_before]) + _paeth(left3, left2, corner3)) & 255
    dst[d3 + two_before] = left3
    corner3 = left2
    left2 = (_wide(src[s2 + last]) + _paeth(left2, left, corner2)) & 255
    dst[d2 + last] = left2
    left3 = (_wide(src[s3 + last]) + _paeth(left3, left2, corner3)) & 255
    dst[d3 + last] = left3


_TWO = np.uint64(2)
_THREE_ROWS = np.uint64(3)


@_compiled()
def _unfilter_paeth_quad(src: U8Array, s: Any, up: U8Array, u: Any, dst: U8Array, d: Any, width: int) -> None:
    """Four consecutive Paeth rows at once, in a staircase (row k is k - 1 pixels behind row 1;
    ``width >= 3``): four chains in flight, 14% faster again than three rows."""
    s2 = s + _index(width + 1)
    d2 = d + _index(width)
    s3 = s2 + _index(width + 1)
    d3 = d2 + _index(width)
    s4 = s3 + _index(width + 1)
    d4 = d3 + _index(width)
    # the staircase's first steps: row 1 columns 0-2, row 2 columns 0-1, row 3 column 0
    above = _wide(up[u])
    left = (_wide(src[s]) + _paeth(0, above, 0)) & 255
    dst[d] = left
    corner = above
    left2 = (_wide(src[s2]) + _paeth(0, left, 0)) & 255
    dst[d2] = left2
    corner2 = left
    above = _wide(up[u + _ONE])
    left = (_wide(src[s + _ONE]) + _paeth(left, above, corner)) & 255
    dst[d + _ONE] = left
    corner = above
    left3 = (_wide(src[s3]) + _paeth(0, left2, 0)) & 255
    dst[d3] = left3
    corner3 = left2
    left2 = (_wide(src[s2 + _ONE]) + _paeth(left2, left, corner2)) & 255
    dst[d2 + _ONE] = left2
    corner2 = left
    above = _wide(up[u + _TWO])
    left = (_wide(src[s + _TWO]) + _paeth(left, above, corner)) & 255
    dst[d + _TWO] = left
    corner = above
    left4 = 0
    corner4 = 0
    # each row's upper neighbour is the row above's pixel one column back, still in its ``left``
    for x in range(3, width):
        here = _index(x)
        left4 = (_wide(src[s4 + here - _THREE_ROWS]) + _paeth(left4, left3, corner4)) & 255
        dst[d4 + here - _THREE_ROWS] = left4
        corner4 = left3
        left3 = (_wide(src[s3 + here - _TWO]) + _paeth(left3, left2, corner3)) & 255
        dst[d3 + here - _TWO] = left3
        corner3 = left2
        left2 = (_wide(src[s2 + here - _ONE]) + _paeth(left2, left, corner2)) & 255
        dst[d2 + here - _ONE] = left2
        corner2 = left
        above = _wide(up[u + here])
        left = (_wide(src[s + here]) + _paeth(left, above, corner)) & 255
        dst[d + here] = left
        corner = above
    # the staircase's last steps: rows 2-4 finish (a loop of its own: tests in the loop above cost 14%)
    for x in range(width, width + 3):
        here = _index(x)
        left4 = (_wide(src[s4 + here - _THREE_ROWS]) + _paeth(left4, left3, corner4)) & 255
        dst[d4 + here - _THREE_ROWS] = left4
        corner4 = left3
        if x < width + 2:
            left3 = (_wide(src[s3 + here - _TWO]) + _paeth(left3, left2, corner3)) & 255
            dst[d3 + here - _TWO] = left3
            corner3 = left2
        if x < width + 1:
            left2 = (_wide(src[s2 + here - _ONE]) + _paeth(left2, left, corner2)) & 255
            dst[d2 + here - _ONE] = left2
            corner2 = left


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
    if width <= 0:
        return True
    src = rows.reshape(rows.size)
    dst = out.reshape(out.size)
    zeros = np.zeros(width, np.uint8)
    r = 0
    while r < height:
        kind = _wide(rows[r, 0])
        if kind > 4:
            return False
        s = _index(r * (width + 1) + 1)
        d = _index(r * width)
        if r == 0:  # the row above the first is zeros
            up, u = zeros, _index(0)
        else:
            up, u = dst, d - _index(width)
        if kind == 0:
            _unfilter_none(src, s, dst, d, width)
        elif kind == 1:
            _unfilter_sub(src, s, dst, d, width)
        elif kind == 2:
            _unfilter_up(src, s, up, u, dst, d, width)
        elif kind == 3:
            _unfilter_average(src, s, up, u, dst, d, width)
        elif width >= 3 and r + 3 < height and rows[r + 1, 0] == 4 and rows[r + 2, 0] == 4 and rows[r + 3, 0] == 4:
            _unfilter_paeth_quad(src, s, up, u, dst, d, width)
            r += 3
        elif width >= 2 and r + 2 < height and rows[r + 1, 0] == 4 and rows[r + 2, 0] == 4:
            _unfilter_paeth_triple(src, s, up, u, dst, d, width)
            r += 2
        elif r + 1 < height and rows[r + 1, 0] == 4:
            _unfilter_paeth_pair(src, s, up, u, dst, d, width)
            r += 1
        else:
            _unfilter_paeth(src, s, up, u, dst, d, width)
        r += 1
    return True


_BLOCK = 64  # pixels tested at once for any change (a loop the compiler turns into SIMD)


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
        # an object is a region: 98% of the mask bytes on the benchmark's maps are all background
        # or all object, and their eight pixels need no bit taken out (27% faster)
        if bits == 0:
            for k in range(8):
                partial[k & 3, _wide(score_map[base + k])] += 1
        elif bits == 255:
            for k in range(8):
                partial[k & 3, 256 + _wide(score_map[base + k])] += 1
        else:
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


@_compiled(inline=True)
def _add_run(
    label: int, guess: int, length: int, ignore: int, confusion: IntArray, intersection: IntArray, union: IntArray
) -> None:
    """Count ``length`` pixels of truth ``label`` predicted as ``guess`` (no branch: runs are short)."""
    confusion[label, guess] += length
    scored = length * (label != ignore)
    union[label] += scored
    union[guess] += scored * (label != guess)
    intersection[label] += scored * (label == guess)


@_compiled()
def count_label_runs(
    truth: U8Array, prediction: U8Array, ignore: int, confusion: IntArray, intersection: IntArray, union: IntArray
) -> bool:
    """Count an image into the dataset's confusion matrix, one run of equal pixel pairs at a time.

    A label map is made of regions, so along the pixels the pair (truth, prediction) changes
    rarely (every 80 pixels in a realistic track 1 split, even with a fifth of the pixels wrong).
    Eight pixels are tested at once, as a 64-bit word; each run is counted once. Counting only the
    wrong pixels (as before) took several times longer on such predictions.

    All arrays are indexed by values 0..255, so no value can reach outside them; the caller drops
    the rows and columns ``>= C`` and the ``ignore`` row of ``confusion`` (which does count the
    ignored pixels).

    Parameters
    ----------
    truth, prediction : numpy.ndarray
        1-D uint8 of equal length.
    ignore : int
        The truth label that is not scored (-1: none).
    confusion : numpy.ndarray
        ``(256, 256)`` int64, added to: ``confusion[truth, prediction]``.
    intersection, union : numpy.ndarray
        ``(256,)`` int64, added to: the image's per-class true positives and ``truth | prediction``
        pixel counts, over the scored pixels.

    Returns
    -------
    bool
        False (nothing counted) if the lengths or the arrays' shapes are wrong.

    Examples
    --------
    >>> import numpy as np
    >>> confusion = np.zeros((256, 256), np.int64); inter, union = np.zeros(256, np.int64), np.zeros(256, np.int64)
    >>> truth = np.array([0, 1, 1, 255, 2], np.uint8); prediction = np.array([0, 2, 1, 2, 0], np.uint8)
    >>> count_label_runs(truth, prediction, 255, confusion, inter, union)
    True
    >>> confusion[:3, :3].tolist(), inter[:3].tolist(), union[:3].tolist()
    ([[1, 0, 0], [0, 1, 1], [1, 0, 0]], [1, 1, 0], [2, 2, 2])
    """
    size = truth.size
    if (
        prediction.size != size
        or confusion.shape[0] != 256
        or confusion.shape[1] != 256
        or intersection.size != 256
        or union.size != 256
    ):
        return False
    if size == 0:
        return True
    label = _wide(truth[0])
    guess = _wide(prediction[0])
    run_start = 0
    # Eight pixels at a time, as one 64-bit word of each image. A word XOR eight copies of the
    # run's label and guess is zero while the run goes on (most words); else each byte that
    # differs from the pixel before it ends a run.
    words = size // 8
    truth_words = truth[: 8 * words].view(np.uint64)
    guess_words = prediction[: 8 * words].view(np.uint64)
    label_bytes = _index(label) * _EIGHT_BYTES
    guess_bytes = _index(guess) * _EIGHT_BYTES
    for w in range(words):
        word = _index(w)
        labels = truth_words[word]
        guesses = guess_words[word]
        if not ((labels ^ label_bytes) | (guesses ^ guess_bytes)):
            continue
        # the pixel before byte 0 is the run's last pixel, in the top byte of label_bytes
        changed = (labels ^ ((labels << _EIGHT) | (label_bytes >> _LAST))) | (
            guesses ^ ((guesses << _EIGHT) | (guess_bytes >> _LAST))
        )
        changed = (((changed & _LOW_SEVEN) + _LOW_SEVEN) | changed) & _HIGH_BITS  # bit 7 of each such byte
        while changed:
            shift = trailing_zeros(changed) - _SEVEN
            i = 8 * w + _wide(shift >> _THREE)
            _add_run(label, guess, i - run_start, ignore, confusion, intersection, union)
            label = _wide((labels >> shift) & _BYTE)
            guess = _wide((guesses >> shift) & _BYTE)
            run_start = i
            changed &= changed - _ONE
        label_bytes = (labels >> _LAST) * _EIGHT_BYTES
        guess_bytes = (guesses >> _LAST) * _EIGHT_BYTES
    for i in range(8 * words, size):
        if truth[i] != label or prediction[i] != guess:
            _add_run(label, guess, i - run_start, ignore, confusion, intersection, union)
            label = _wide(truth[i])
            guess = _wide(prediction[i])
            run_start = i
    _add_run(label, guess, size - run_start, ignore, confusion, intersection, union)
    return True


_EIGHT_BYTES = np.uint64(0x0101010101010101)
_LOW_SEVEN = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH_BITS = np.uint64(0x8080808080808080)
_BYTE = np.uint64(0xFF)
_THREE = np.uint64(3)
_SEVEN = np.uint64(7)
_EIGHT = np.uint64(8)
_LAST = np.uint64(56)


@_compiled()
def _largest(values: U8Array) -> int:
    largest = np.uint8(0)
    for i in range(values.size):
        largest = max(largest, values[_index(i)])
    wide: int = _wide(largest)
    return wide


@_compiled()
def score_label_image(
    rows: U8Array,
    out: U8Array,
    truth: U8Array,
    classes: int,
    ignore: int,
    confusion: IntArray,
    intersection: IntArray,
    union: IntArray,
) -> int:
    """Unfilter a predicted label map's PNG rows into ``out``, check its labels and count it.

    Parameters
    ----------
    rows : numpy.ndarray
        ``(height, width + 1)`` uint8, the inflated PNG image data (see :func:`unfilter_rows_into`).
    out : numpy.ndarray
        ``(height, width)`` uint8, C-contiguous; receives the prediction.
    truth : numpy.ndarray
        1-D uint8, ``height * width`` ground-truth labels.
    classes : int
        C: a predicted label must be below it.
    ignore, confusion, intersection, union
        As for :func:`count_label_runs`.

    Returns
    -------
    int
        ``SCORED``; ``BAD_FILTER`` (a row's filter type is invalid); ``LABEL_TOO_LARGE`` (a
        predicted label is ``>= classes``: ``out`` holds the prediction); ``BAD_INPUT`` (the sizes
        do not fit). Nothing is counted unless ``SCORED``.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[0, 1, 1], [2, 0, 1]], np.uint8)  # None: 1 1; Up: 1 2
    >>> confusion, inter, union = np.zeros((256, 256), np.int64), np.zeros(256, np.int64), np.zeros(256, np.int64)
    >>> out = np.empty((2, 2), np.uint8)
    >>> score_label_image(rows, out, np.array([1, 1, 1, 1], np.uint8), 3, -1, confusion, inter, union) == SCORED
    True
    >>> out.tolist(), inter[:3].tolist(), union[:3].tolist()
    ([[1, 1], [1, 2]], [0, 3, 0], [0, 4, 1])
    >>> score_label_image(rows, out, np.array([1, 1, 1, 1], np.uint8), 2, -1, confusion, inter, union) == LABEL_TOO_LARGE
    True
    """
    if not unfilter_rows_into(rows, out):
        return BAD_FILTER
    flat = out.reshape(out.size)
    if _largest(flat) >= classes:
        return LABEL_TOO_LARGE
    if not count_label_runs(truth, flat, ignore, confusion, intersection, union):
        return BAD_INPUT
    return SCORED


@_compiled()
def score_map_image(rows: U8Array, out: U8Array, mask_bits: U8Array, counts: IntArray) -> int:
    """Unfilter a track 3 score map's PNG rows into ``out`` and add its two histograms (see
    :func:`count_localization`), in one call.

    Returns
    -------
    int
        ``SCORED``, ``BAD_FILTER`` (nothing counted) or ``BAD_INPUT`` (the mask is too short).

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.zeros((2, 256), np.int64)
    >>> rows = np.array([[1, 5, 1]], np.uint8)  # Sub: 5 6
    >>> score_map_image(rows, np.empty((1, 2), np.uint8), np.packbits([1, 0]), counts) == SCORED
    True
    >>> int(counts[1, 5]), int(counts[0, 6])
    (1, 1)
    """
    if not unfilter_rows_into(rows, out):
        return BAD_FILTER
    if not count_localization(mask_bits, out.reshape(out.size), counts):
        return BAD_INPUT
    return SCORED
