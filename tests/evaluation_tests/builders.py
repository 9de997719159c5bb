"""Hand-made PNG and zip files, byte by byte, for the cases ordinary writers never produce."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(pixels: np.ndarray, kinds: list[int]) -> bytes:
    """Filter 1-byte-per-pixel rows with the given PNG filter type per row (spec section 9)."""
    height, width = pixels.shape
    out = bytearray()
    previous = [0] * width
    for y in range(height):
        row = [int(v) for v in pixels[y]]
        kind = kinds[y % len(kinds)]
        out.append(kind)
        for x in range(width):
            a = row[x - 1] if x else 0
            b = previous[x]
            c = previous[x - 1] if x else 0
            predictor = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            out.append((row[x] - predictor) % 256)
        previous = row
    return bytes(out)


def png_bytes(
    pixels: np.ndarray,
    *,
    color_type: int = 0,
    bit_depth: int = 8,
    kinds: list[int] | None = None,
    interlace: bool = False,
    palette: bool = True,
    iend: bool = True,
    width: int | None = None,
    height: int | None = None,
) -> bytes:
    """A PNG of 8-bit gray or palette pixels with chosen filters; or only a header for odd depths."""
    h, w = pixels.shape
    ihdr = struct.pack(">IIBBBBB", width or w, height or h, bit_depth, color_type, 0, 0, int(interlace))
    parts = [SIGNATURE, chunk(b"IHDR", ihdr)]
    if color_type == 3 and palette:
        parts.append(chunk(b"PLTE", bytes(range(256)) * 3))
    if bit_depth != 8:
        raw = _pack_low_depth(pixels, bit_depth)
    elif interlace:
        raw = _adam7(pixels, kinds or [0])
    else:
        raw = filter_rows(pixels, kinds or [0])
    parts.append(chunk(b"IDAT", zlib.compress(raw)))
    if iend:
        parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def _pack_low_depth(pixels: np.ndarray, depth: int) -> bytes:
    out = bytearray()
    for row in pixels:
        out.append(0)
        bits = "".join(format(int(v), f"0{depth}b") for v in row)
        bits += "0" * (-len(bits) % 8)
        out += bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    return bytes(out)


_ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))


def _adam7(pixels: np.ndarray, kinds: list[int]) -> bytes:
    out = b""
    for row0, col0, row_step, col_step in _ADAM7:
        sub = pixels[row0::row_step, col0::col_step]
        if sub.size:
            out += filter_rows(sub, kinds)
    return out


def pillow_png(pixels: np.ndarray, mode: str = "L", **options: object) -> bytes:
    """Encode with Pillow as a team would: mode L, or mode P with a full 256-colour palette."""
    image = Image.fromarray(pixels.astype(np.uint8))
    if mode == "P":
        image = image.convert("L").point(lambda v: v)  # keep values
        paletted = Image.new("P", image.size)
        paletted.putpalette([v for i in range(256) for v in ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)])
        paletted.putdata(list(pixels.astype(np.uint8).ravel()))
        image = paletted
    elif mode != "L":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


@dataclass
class Entry:
    """One member of a hand-built zip; every header field can be set to lie."""

    name: bytes | str
    data: bytes = b""
    method: int = 0
    flags: int = 0
    crc: int | None = None
    compressed_size: int | None = None
    size: int | None = None
    external_attr: int = 0o644 << 16
    local_name: bytes | None = None
    local_method: int | None = None
    descriptor: bool = False
    header_offset: int | None = None
    payload: bytes | None = field(default=None)  # bytes written after the local header (default: compressed data)


def _compressed(entry: Entry) -> bytes:
    if entry.method == 8:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(entry.data) + compressor.flush()
    return entry.data


def build_zip(entries: list[Entry], *, zip64_end: bool = False, prefix: bytes = b"") -> bytes:
    """A zip file from entries; ``zip64_end`` writes ZIP64 end records (entry count 0xFFFF)."""
    out = bytearray(prefix)
    central = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8") if isinstance(entry.name, str) else entry.name
        flags = entry.flags | (0x800 if isinstance(entry.name, str) and not name.isascii() else 0)
        body = entry.payload if entry.payload is not None else _compressed(entry)
        crc = zlib.crc32(entry.data) if entry.crc is None else entry.crc
        csize = len(_compressed(entry)) if entry.compressed_size is None else entry.compressed_size
        size = len(entry.data) if entry.size is None else entry.size
        offset = len(out) - len(prefix)
        local_method = entry.method if entry.local_method is None else entry.local_method
        local_sizes = (0, 0, 0) if entry.descriptor else (crc, csize, size)
        local_flags = flags | (0x08 if entry.descriptor else 0)
        local_name = entry.local_name if entry.local_name is not None else name
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, local_flags, local_method, 0, 33, *local_sizes, len(local_name), 0
        )
        out += local_name + body
        if entry.descriptor:
            out += struct.pack("<4s3L", b"PK\x07\x08", crc, csize, size)
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            (3 << 8) | 20,
            20,
            local_flags,
            entry.method,
            0,
            33,
            crc,
            csize,
            size,
            len(name),
            0,
            0,
            0,
            0,
            entry.external_attr,
            offset if entry.header_offset is None else entry.header_offset,
        )
        central += name
    directory_offset = len(out) - len(prefix)
    out += central
    if zip64_end:
        record_offset = len(out) - len(prefix)
        out += struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, len(entries), len(entries), len(central), directory_offset
        )
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, record_offset, 1)
        out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), directory_offset, 0
        )
    return bytes(out)
