"""Decoding of label-map PNGs from bytes in memory, with the checks a hostile file needs.

Only 8-bit single-channel images (mode ``L``) and palette images (mode ``P``, whose *indices*
are the labels) are label maps. The header is checked before any pixel is decoded, so a PNG that
declares 20000 x 20000 pixels is refused without inflating anything.

Decoding takes the fastest route that gives exactly Pillow's pixels. The image data of an 8-bit,
non-interlaced L or P image is inflated in one call (libdeflate when the ``deflate`` package is
installed, else zlib); rows that use only the None, Sub and Up filters are unfiltered with numpy;
rows with Average or Paeth filters go to libspng (``pyspng``, if installed) as an uncompressed
8-bit gray PNG. Everything else (interlaced, palettes of fewer than 8 bits, a stream that does
not inflate to exactly the expected size, no ``pyspng``) goes to Pillow, the reference.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile

from evaluation import accelerators
from evaluation.unfilter import PNG_SIGNATURE, unfilter_rows

_libdeflate: Any = accelerators.libdeflate  # a module attribute, so tests can switch it off

_MAX_CHUNKS = 200_000  # Pillow writes 64 KiB IDAT chunks, libpng 8 KiB: a 40 Mpx image needs a few thousand

_OTHER_FORMATS: tuple[tuple[int, bytes, str, str], ...] = (
    # (offset, magic, what it is, error code)
    (0, b"PK\x03\x04", "a zip archive", "nested_archive"),
    (0, b"PK\x05\x06", "an empty zip archive", "nested_archive"),
    (0, b"\x1f\x8b", "a gzip archive", "nested_archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "nested_archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive", "nested_archive"),
    (0, b"BZh", "a bzip2 archive", "nested_archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive", "nested_archive"),
    (0, b"\x28\xb5\x2f\xfd", "a Zstandard archive", "nested_archive"),
    (257, b"ustar", "a tar archive", "nested_archive"),
    (0, b"\xff\xd8\xff", "a JPEG image", "not_png"),
    (0, b"GIF8", "a GIF image", "not_png"),
    (0, b"BM", "a BMP image", "not_png"),
    (0, b"II*\x00", "a TIFF image", "not_png"),
    (0, b"MM\x00*", "a TIFF image", "not_png"),
    (8, b"WEBP", "a WebP image", "not_png"),
    (0, b"%PDF", "a PDF document", "not_png"),
    (0, b"\x93NUMPY", "a NumPy .npy file", "not_png"),
)
_VALID_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_FIX_HINT = (
    "save the label map as an 8-bit single-channel PNG, e.g. Image.fromarray(labels.astype(np.uint8)).save(path)"
)


class PngProblem(Exception):
    """Why a PNG is not an acceptable label map (``code`` as in ``ERROR_CODES``; ``reason`` a phrase).

    Examples
    --------
    >>> PngProblem("not_png", "is empty").reason
    'is empty'
    """

    def __init__(self, code: str, reason: str, *, what: str = "", kind: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
        self.what = what or reason  # the finding alone, without the fix for a label map
        self.kind = kind  # unsupported_png_mode: "16-bit", "1-bit", "gray" or "color"


@dataclass(frozen=True)
class PngHeader:
    """The IHDR chunk of a PNG.

    Examples
    --------
    >>> h = PngHeader(width=500, height=375, bit_depth=8, color_type=0, interlaced=False)
    >>> h.pixels, h.mode
    (187500, 'L')
    """

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool

    @property
    def pixels(self) -> int:
        """Width times height.

        Examples
        --------
        >>> PngHeader(4, 3, 8, 0, False).pixels
        12
        """
        return self.width * self.height

    @property
    def mode(self) -> str:
        """The Pillow-style name of the pixel format (``L``, ``P``, ``1``, ``RGB`` ...).

        Examples
        --------
        >>> PngHeader(4, 3, 1, 0, False).mode, PngHeader(4, 3, 16, 2, False).mode
        ('1', 'RGB;16')
        """
        names = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
        if self.color_type == 0 and self.bit_depth == 1:
            return "1"
        return names[self.color_type] + (";16" if self.bit_depth == 16 else "")


def read_png_header(data: bytes) -> PngHeader:
    """Read and validate the signature and IHDR chunk, without decoding pixels.

    Parameters
    ----------
    data : bytes
        The file's content.

    Returns
    -------
    PngHeader

    Raises
    ------
    PngProblem
        ``not_png``, ``nested_archive``, ``truncated_png`` or ``corrupt_png``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("L", (4, 3)).save(buf, format="PNG")
    >>> read_png_header(buf.getvalue())
    PngHeader(width=4, height=3, bit_depth=8, color_type=0, interlaced=False)
    >>> read_png_header(b"\\xff\\xd8\\xff\\xe0 JFIF")
    Traceback (most recent call last):
    ...
    evaluation.png.PngProblem: ('not_png', 'is a JPEG image renamed to .png, not a PNG file')
    """
    if not data:
        raise PngProblem("not_png", "is empty (0 bytes)")
    if not data.startswith(PNG_SIGNATURE):
        if PNG_SIGNATURE.startswith(data):
            raise PngProblem("truncated_png", f"is truncated: it ends after {len(data)} bytes")
        for offset, magic, what, code in _OTHER_FORMATS:
            if data[offset : offset + len(magic)] == magic:
                return _raise(code, f"is {what} renamed to .png, not a PNG file")
        raise PngProblem("not_png", "is not a PNG file (it does not start with the PNG signature)")
    if len(data) < 33:
        raise PngProblem("truncated_png", f"is truncated: it ends after {len(data)} bytes, inside its header")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise PngProblem("corrupt_png", "is a damaged PNG: it does not start with an IHDR chunk")
    if zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]:
        raise PngProblem("corrupt_png", "is a damaged PNG: the checksum of its header is wrong")
    width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if not (0 < width < 2**31 and 0 < height < 2**31) or compression or filtering or interlace > 1:
        raise PngProblem("corrupt_png", "is a damaged PNG: its header holds impossible values")
    if depth not in _VALID_DEPTHS.get(color, ()):
        raise PngProblem("corrupt_png", f"is a damaged PNG: bit depth {depth} with color type {color}")
    return PngHeader(width, height, depth, color, bool(interlace))


def _raise(code: str, reason: str) -> PngHeader:
    raise PngProblem(code, reason)


def check_label_header(header: PngHeader, max_pixels: int) -> None:
    """Refuse, from the header alone, images too large or not in a label-map pixel format.

    Parameters
    ----------
    header : PngHeader
    max_pixels : int
        Largest width x height accepted (a decompression-bomb guard).

    Raises
    ------
    PngProblem
        ``image_too_large`` or ``unsupported_png_mode``.

    Examples
    --------
    >>> check_label_header(PngHeader(500, 375, 8, 3, False), max_pixels=40_000_000)
    >>> check_label_header(PngHeader(20000, 20000, 8, 0, False), max_pixels=40_000_000)
    Traceback (most recent call last):
    ...
    evaluation.png.PngProblem: ('image_too_large', 'declares 20000 x 20000 = 400,000,000 pixels, more than the limit of 40,000,000 pixels')
    """
    if header.pixels > max_pixels:
        raise PngProblem(
            "image_too_large",
            f"declares {header.width} x {header.height} = {header.pixels:,} pixels, "
            f"more than the limit of {max_pixels:,} pixels",
        )
    color, depth = header.color_type, header.bit_depth
    if color == 3 or (color == 0 and depth == 8):
        return
    if depth == 16:
        kind, what, fix = "16-bit", f"a 16-bit PNG (mode {header.mode})", _FIX_HINT
    elif color == 0 and depth == 1:
        kind, what = "1-bit", "a 1-bit black-and-white PNG (mode '1')"
        fix = "which cannot hold class labels; " + _FIX_HINT
    elif color == 0:
        kind, what, fix = "gray", f"a {depth}-bit grayscale PNG", _FIX_HINT
    else:
        kind = "color"
        what = f"an {header.mode} PNG with {'color' if color in (2, 6) else 'alpha'} channels (a visualization?)"
        fix = _FIX_HINT
    separator = ", " if kind == "1-bit" else "; "
    raise PngProblem("unsupported_png_mode", f"is {what}{separator}{fix}", what=f"is {what}", kind=kind)


def decode_png(data: bytes, max_pixels: int) -> npt.NDArray[np.uint8]:
    """Decode a label-map PNG into a 2-D ``uint8`` array (palette images give their indices).

    Parameters
    ----------
    data : bytes
        The PNG file's content.
    max_pixels : int
        Largest width x height accepted; checked before decoding.

    Returns
    -------
    numpy.ndarray
        ``(height, width)`` array of ``uint8``.

    Raises
    ------
    PngProblem
        With the codes of :func:`read_png_header` and :func:`check_label_header`, and
        ``truncated_png`` or ``corrupt_png`` when the pixel data is incomplete or damaged.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> labels = np.array([[0, 1, 2], [3, 4, 255]], dtype=np.uint8)
    >>> buf = io.BytesIO(); Image.fromarray(labels).save(buf, format="PNG")
    >>> decode_png(buf.getvalue(), max_pixels=100).tolist()
    [[0, 1, 2], [3, 4, 255]]
    """
    header = read_png_header(data)
    check_label_header(header, max_pixels)
    rows = filtered_rows(data, header)
    if rows is not None:
        pixels = unfilter_rows(rows, header.height, header.width)
        if pixels is not None:
            return pixels
    return decode_png_with_pillow(data, header)


def filtered_rows(data: bytes, header: PngHeader) -> bytes | None:
    """The inflated, still filtered rows of a label map whose header was checked.

    Parameters
    ----------
    data : bytes
        The PNG file's content.
    header : PngHeader
        Its header, accepted by :func:`check_label_header`.

    Returns
    -------
    bytes or None
        ``height`` rows of one filter-type byte and ``width`` bytes, for an 8-bit non-interlaced
        gray or palette image (what the fast routes unfilter); None for any other (Pillow decodes
        those).

    Raises
    ------
    PngProblem
        ``truncated_png`` or ``corrupt_png`` when the image data is incomplete or damaged.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("L", (2, 1), 7).save(buf, format="PNG")
    >>> rows = filtered_rows(buf.getvalue(), read_png_header(buf.getvalue()))
    >>> len(rows), rows[0] <= 4  # one row: its filter type, then two filtered bytes
    (3, True)
    """
    idat, has_palette = _image_data(data)
    raw = _inflate(idat, _raw_size(header))  # also proves the image data is complete
    if header.bit_depth == 8 and not header.interlaced and (has_palette or header.color_type == 0):
        return raw
    return None


_ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))


def _raw_size(header: PngHeader) -> int:
    """Bytes of filtered image data a header implies (one filter byte per row of each pass)."""
    if not header.interlaced:
        return header.height * (1 + (header.width * header.bit_depth + 7) // 8)
    total = 0
    for row0, col0, row_step, col_step in _ADAM7:
        rows = (header.height - row0 + row_step - 1) // row_step if header.height > row0 else 0
        cols = (header.width - col0 + col_step - 1) // col_step if header.width > col0 else 0
        if rows and cols:
            total += rows * (1 + (cols * header.bit_depth + 7) // 8)
    return total


def _image_data(data: bytes) -> tuple[bytes, bool]:
    """Walk the chunks: the joined IDAT payload and whether a PLTE chunk came first."""
    position, end = 8, len(data)
    chunks = 0
    parts: list[bytes] = []
    has_palette = False
    idat_run_over = False
    while True:
        if position + 12 > end:
            raise PngProblem("truncated_png", f"is truncated: it ends after {end:,} bytes, before its IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, position)
        if length >= 2**31 or position + 12 + length > end:
            raise PngProblem(
                "truncated_png", f"is truncated: its {_chunk_name(kind)} chunk runs past the end of the file"
            )
        if kind == b"IDAT":
            if idat_run_over:
                raise PngProblem("corrupt_png", "is a damaged PNG: its image data chunks are not consecutive")
            parts.append(data[position + 8 : position + 8 + length])
        elif parts:
            idat_run_over = True
        if kind == b"PLTE" and not parts:
            has_palette = True
        if kind == b"IEND":
            break
        position += 12 + length
        chunks += 1
        if chunks > _MAX_CHUNKS:
            raise PngProblem("corrupt_png", f"is a malformed PNG: it has more than {_MAX_CHUNKS:,} chunks")
    if not parts:
        raise PngProblem("corrupt_png", "is a damaged PNG: it holds no image data (IDAT)")
    return b"".join(parts), has_palette


def _chunk_name(kind: bytes) -> str:
    """A chunk type as text: ``IDAT``, or its bytes escaped if it is not four ASCII letters.

    Examples
    --------
    >>> print(_chunk_name(b"IDAT"), _chunk_name(bytes([0, 255, 46, 46])))
    IDAT '\\x00\\xff..'
    """
    if kind.isalpha() and kind.isascii():
        return kind.decode("ascii")
    return "'" + kind.decode("latin-1").encode("unicode_escape").decode("ascii") + "'"


def _inflate(compressed: bytes, size: int) -> bytes:
    """The first ``size`` bytes the zlib stream inflates to; refuses a damaged or short stream."""
    if _libdeflate is not None:
        try:
            fast: bytes = _libdeflate.zlib_decompress(compressed, size)  # a bytearray: no copy needed
            if len(fast) == size:
                return fast
        except _libdeflate.DeflateError:
            pass  # longer than needed, a bad checksum, or damaged: zlib tells which
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, size)
    except zlib.error as error:
        raise PngProblem("corrupt_png", f"is a damaged PNG: its image data does not inflate ({error})") from None
    if len(out) < size:
        raise PngProblem("truncated_png", f"is truncated: its image data ends after {len(out):,} of {size:,} bytes")
    return out


def decode_png_with_pillow(data: bytes, header: PngHeader | None = None) -> npt.NDArray[np.uint8]:
    """Decode with Pillow only (the reference the fast paths must agree with).

    Parameters
    ----------
    data : bytes
        A PNG whose header was already checked (see :func:`check_label_header`).
    header : PngHeader, optional
        Its header, read again if not given.

    Returns
    -------
    numpy.ndarray
        ``(height, width)`` ``uint8`` labels (palette indices for mode ``P``).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> im = Image.new("P", (2, 1)); im.putpalette(list(range(256)) * 3); im.putpixel((1, 0), 7)
    >>> buf = io.BytesIO(); im.save(buf, format="PNG")
    >>> decode_png_with_pillow(buf.getvalue()).tolist()
    [[0, 7]]
    """
    header = header or read_png_header(data)
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # never accept zero-filled pixels
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.mode not in ("L", "P") or image.size != (header.width, header.height):
                raise PngProblem(
                    "unsupported_png_mode",
                    f"decodes to mode {image.mode}; {_FIX_HINT}",
                    what=f"decodes to mode {image.mode}",
                )
            image.load()
            pixels: Any = np.asarray(image, dtype=np.uint8)
    except PngProblem:
        raise
    except Image.DecompressionBombError as error:
        raise PngProblem("image_too_large", f"is too large to decode ({error})") from None
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error ...
        if "truncated" in str(error) or isinstance(error, EOFError):
            raise PngProblem("truncated_png", "is truncated: its image data ends early") from None
        raise PngProblem("corrupt_png", f"is a damaged PNG that cannot be decoded ({error})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved
    if pixels.shape != (header.height, header.width):
        raise PngProblem("corrupt_png", "is a damaged PNG: its pixels do not match its header")
    return np.ascontiguousarray(pixels)
