"""Low-level builders of PNGs and zip archives, including what :mod:`zipfile` refuses to write.

Where zipfile cannot write what an attacker can (encrypted or Deflate64 members, NUL bytes in
names, sizes that lie, two directory entries sharing one local header), the archive is written
normally and then its headers are patched byte by byte.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from unittest import mock

import numpy as np
from PIL import Image

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"


# --------------------------------------------------------------------------------------------------
# PNG builders


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def palette_png(array: np.ndarray) -> bytes:
    """Mode P: the stored indices are the labels; the palette colours are irrelevant."""
    image = Image.fromarray(array.astype(np.uint8)).convert("P")
    image.putdata(array.astype(np.uint8).ravel().tolist())
    image.putpalette([v for i in range(256) for v in ((i * 37) % 256, (i * 91) % 256, (i * 13) % 256)])
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(width: int, height: int, raw: bytes, *, interlace: int = 0, depth: int = 8, colour: int = 0) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


# The seven Adam7 passes: (row start, column start, row step, column step).
_ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]


def interlaced_png(array: np.ndarray) -> bytes:
    """An Adam7-interlaced 8-bit grayscale PNG (Pillow reads these but cannot write them)."""
    height, width = array.shape
    raw = bytearray()
    for r0, c0, dr, dc in _ADAM7:
        sub = array[r0::dr, c0::dc]
        if sub.size == 0:
            continue
        for row in sub.astype(np.uint8):
            raw += b"\x00" + row.tobytes()  # filter type 0 (None) on every scanline
    return _png(width, height, bytes(raw), interlace=1)


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG whose header claims ``width`` x ``height`` but whose data is a few bytes."""
    return _png(width, height, b"\x00" * 64)


def jpeg_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def png16(array: np.ndarray) -> bytes:
    return png_bytes(array.astype(np.uint16) * 257)


def png_rgb(array: np.ndarray) -> bytes:
    return png_bytes(np.stack([array.astype(np.uint8)] * 3, axis=-1))


def png_1bit(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).convert("1").save(buf, format="PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# ZIP builders


class _NoSeek(io.RawIOBase):
    """A write-only stream that cannot seek, so zipfile writes data descriptors (flag bit 3)."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[no-untyped-def,override]
        return self.buf.write(b)


def zip_bytes(
    members: dict[str, bytes] | list[tuple[str | zipfile.ZipInfo, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
    force_zip64: bool = False,
    streaming: bool = False,
) -> bytes:
    items = list(members.items()) if isinstance(members, dict) else list(members)
    target: io.IOBase = _NoSeek() if streaming else io.BytesIO()
    # A limit of 0 makes zipfile write ZIP64 records everywhere (local, central and end of directory).
    limit = 0 if force_zip64 else zipfile.ZIP64_LIMIT
    with mock.patch.object(zipfile, "ZIP64_LIMIT", limit), zipfile.ZipFile(target, "w", compression=compression) as zf:  # type: ignore[arg-type]
        for name, data in items:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name, (2020, 3, 22, 12, 0, 0))
            if not isinstance(name, zipfile.ZipInfo):
                info.compress_type = compression
            if force_zip64 or streaming:
                with zf.open(info, "w", force_zip64=force_zip64) as handle:
                    handle.write(data)
            else:
                zf.writestr(info, data)
    return target.buf.getvalue() if isinstance(target, _NoSeek) else target.getvalue()  # type: ignore[union-attr]


@dataclass
class _Entry:
    central: int  # offset of the central directory record
    local: int  # offset of the local header
    name: bytes


def entries(data: bytes) -> list[_Entry]:
    """Walk the central directory by hand (no zipfile: it would refuse the patched archives)."""
    eocd = data.rindex(b"PK\x05\x06")
    count, size, offset = struct.unpack("<HII", data[eocd + 10 : eocd + 20])
    found, pos = [], offset
    for _ in range(count):
        assert data[pos : pos + 4] == CENTRAL_SIG, "not a central directory record"
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        local = struct.unpack("<I", data[pos + 42 : pos + 46])[0]
        found.append(_Entry(pos, local, data[pos + 46 : pos + 46 + name_len]))
        pos += 46 + name_len + extra_len + comment_len
    return found


def _put(data: bytearray, offset: int, fmt: str, value: int) -> None:
    data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)


def patch_entry(
    data: bytes,
    name: str,
    *,
    flag_bits: int | None = None,
    method: int | None = None,
    file_size: int | None = None,
    local_offset: int | None = None,
) -> bytes:
    """Rewrite header fields of member ``name`` in both its local header and its central record."""
    out = bytearray(data)
    for entry in entries(data):
        if entry.name != name.encode():
            continue
        c, loc = entry.central, entry.local
        if flag_bits is not None:
            _put(out, c + 8, "<H", struct.unpack("<H", out[c + 8 : c + 10])[0] | flag_bits)
            _put(out, loc + 6, "<H", struct.unpack("<H", out[loc + 6 : loc + 8])[0] | flag_bits)
        if method is not None:
            _put(out, c + 10, "<H", method)
            _put(out, loc + 8, "<H", method)
        if file_size is not None:
            _put(out, c + 24, "<I", file_size)
            _put(out, loc + 22, "<I", file_size)
        if local_offset is not None:
            _put(out, c + 42, "<I", local_offset)
    return bytes(out)


def rename_raw(data: bytes, placeholder: str, raw_name: bytes) -> bytes:
    """Replace a same-length placeholder name by raw bytes (e.g. with a NUL) in every header."""
    assert len(placeholder.encode()) == len(raw_name)
    assert data.count(placeholder.encode()) == 2, "placeholder must occur once in each header"
    return data.replace(placeholder.encode(), raw_name)


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2020, 3, 22, 12, 0, 0))
    info.create_system = 3  # Unix, so external_attr's high word is st_mode
    info.external_attr = (0o120777 << 16) | 0x20
    return info


def deflated_zeros(size: int) -> bytes:
    return b"\x00" * size
