"""The end-of-central-directory record of a zip file, read before :mod:`zipfile` parses anything.

:mod:`zipfile` reads the whole central directory into memory and builds an object per entry; a
hostile archive can list millions of entries. Reading the end record first lets the caller
refuse such an archive from a few dozen bytes.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


def end_of_central_directory(handle: BinaryIO, file_size: int) -> tuple[int, int, int] | None:
    """Entry count, central-directory size and its actual start offset; None if not a zip file.

    Parameters
    ----------
    handle : binary file
        Open for reading and seeking.
    file_size : int
        Its size in bytes.

    Returns
    -------
    tuple of int or None
        ``(entries, directory_size, directory_offset)``; ZIP64 records are followed. The offset is
        where the directory really starts (data prepended to the zip shifts it).

    Examples
    --------
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("a.png", b"abc")
    >>> end_of_central_directory(buf, len(buf.getvalue()))
    (1, 51, 38)
    >>> end_of_central_directory(io.BytesIO(b"not a zip"), 9) is None
    True
    """
    tail_size = min(file_size, _EOCD.size + 65535)
    handle.seek(file_size - tail_size)
    tail = handle.read(tail_size)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or position + _EOCD.size > len(tail):
        return None
    _, _, _, _, entries, size, offset, _ = _EOCD.unpack_from(tail, position)
    record_offset = file_size - tail_size + position
    if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        if record_offset < _LOCATOR.size:
            return None
        handle.seek(record_offset - _LOCATOR.size)
        signature, _, zip64_offset, _ = _LOCATOR.unpack(handle.read(_LOCATOR.size))
        if signature != b"PK\x06\x07":
            return None
        record_offset = record_offset - _LOCATOR.size - _EOCD64.size
        if record_offset < 0:
            return None
        handle.seek(record_offset)
        record = handle.read(_EOCD64.size)
        if len(record) < _EOCD64.size or record[:4] != b"PK\x06\x06":
            return None
        _, _, _, _, _, _, _, entries, size, offset = _EOCD64.unpack(record)
    start = record_offset - size
    if start < 0:
        return None
    return entries, size, start
