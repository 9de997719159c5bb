"""Undoing PNG row filters (PNG spec section 9) for 8-bit single-channel images.

Rows that all use filter type None are copied with numpy. Any other image goes to the compiled
loop of :mod:`evaluation.jit` when numba is installed. Without it, Average and Paeth rows, which
are sequential along the row, go to libspng (``pyspng``): the inflated rows are wrapped into an
8-bit gray PNG whose image data is stored uncompressed (libspng's own zlib is slow); palette
images are wrapped the same way, so their indices come back. numpy's own ``cumsum`` in uint8 is
~2 ns per pixel, so libspng is used for every filtered image when it is installed; numpy alone
undoes Sub and Up rows, and Pillow the rest.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation import accelerators

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_pyspng: Any = accelerators.pyspng  # a module attribute, so tests can switch it off
_crc32 = accelerators.crc32
_adler32 = accelerators.adler32


def unfilter_rows(raw: bytes, height: int, width: int) -> npt.NDArray[np.uint8] | None:
    """Undo the PNG row filters of an inflated 1-byte-per-pixel image (None: let Pillow do it).

    Parameters
    ----------
    raw : bytes
        ``height`` rows of one filter-type byte and ``width`` filtered bytes.
    height, width : int

    Returns
    -------
    numpy.ndarray or None
        ``(height, width)`` uint8, or None for invalid filter types, or for Average/Paeth rows
        when neither numba nor ``pyspng`` is installed.

    Examples
    --------
    >>> rows = bytes([0, 5, 6, 1, 1, 1, 2, 1, 1])  # None: 5 6; Sub: 1 1+1; Up: 1+1 2+1
    >>> unfilter_rows(rows, 3, 2).tolist()
    [[5, 6], [1, 2], [2, 3]]
    """
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, width + 1)
    kinds = rows[:, 0]
    highest = int(kinds.max())
    if highest == 0:
        return np.array(rows[:, 1:])
    if highest > 4:
        return None  # invalid filter type: Pillow reports the damage
    kernels = accelerators.jit()
    if kernels is not None:
        out = np.empty((height, width), np.uint8)
        return out if kernels.unfilter_rows_into(rows, out) else None
    if _pyspng is not None:
        # libspng unfilters in C; hand it the inflated rows stored uncompressed (its zlib is slow)
        return _unfilter_with_spng(raw, height, width)
    return _unfilter_with_numpy(rows) if highest <= 2 else None


def _unfilter_with_numpy(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """None, Sub and Up rows with numpy (the fallback without ``pyspng``)."""
    height, width = rows.shape[0], rows.shape[1] - 1
    kinds = rows[:, 0]
    out = np.array(rows[:, 1:])
    sub = kinds == 1
    if sub.any():
        out[sub] = np.cumsum(out[sub], axis=1, dtype=np.uint8)  # uint8 arithmetic wraps mod 256
    up = kinds == 2
    up[0] = False  # the row above the first row is all zeros: Up there is None
    if up.any():
        # Up rows continue a column-wise running sum from the last None/Sub row above them:
        # out[r] = S[r] - S[s - 1] with S the column cumsum and s that restart row.
        running = np.cumsum(out, axis=0, dtype=np.uint8)
        restart = np.where(up, 0, np.arange(height))
        np.maximum.accumulate(restart, out=restart)
        before = np.vstack([np.zeros((1, width), np.uint8), running])[restart]
        out = running - before
    return out


def _chunk_header(kind: bytes, length: int) -> bytes:
    return struct.pack(">I", length) + kind


def _rewrapped(raw: bytes, height: int, width: int) -> bytes:
    """An 8-bit gray PNG whose IDAT stores ``raw`` (filtered rows) in uncompressed deflate blocks."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    view = memoryview(raw)
    stream: list[bytes | memoryview] = [b"\x78\x01"]
    for start in range(0, len(raw), 65535):
        block = view[start : start + 65535]
        final = 1 if start + 65535 >= len(raw) else 0
        stream += [struct.pack("<BHH", final, len(block), 0xFFFF ^ len(block)), block]
    stream.append(struct.pack(">I", _adler32(raw)))
    crc = _crc32(b"IDAT")
    for part in stream:
        crc = _crc32(part, crc)
    length = sum(len(part) for part in stream)
    return b"".join(
        [
            PNG_SIGNATURE,
            struct.pack(">I", 13),
            ihdr,
            struct.pack(">I", _crc32(ihdr)),
            _chunk_header(b"IDAT", length),
            *stream,
        ]
        + [struct.pack(">I", crc), b"\x00\x00\x00\x00IEND\xaeB`\x82"]
    )


def _unfilter_with_spng(raw: bytes, height: int, width: int) -> npt.NDArray[np.uint8] | None:
    assert _pyspng is not None
    try:
        pixels: npt.NDArray[np.uint8] = _pyspng.load(_rewrapped(raw, height, width))
    except Exception:  # pragma: no cover - a valid file by construction; let Pillow decide
        return None
    if pixels.dtype != np.uint8 or pixels.shape != (height, width):
        return None  # pragma: no cover
    return pixels
