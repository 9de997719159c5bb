"""Reading verified members of a checked zip archive, one at a time, into memory.

Stored, Deflate, Deflate64 (the ``inflate64`` package), bzip2 and LZMA members are read; each
inflate stops at the size the directory declares (which :func:`evaluation.archive.check_archive`
has held to its bound), so a member that inflates further is refused, never held in memory.
"""

from __future__ import annotations

import bz2
import lzma
import os
import struct
import zipfile
import zlib
from types import TracebackType
from typing import Any

from evaluation import accelerators
from evaluation.archive import _REZIP_HINT, ArchiveMember, _reject

_libdeflate = accelerators.libdeflate
_crc32 = accelerators.crc32


class ArchiveReader:
    """Reads verified members of a checked archive, one at a time, into memory.

    Each read is one ``pread`` of the member's compressed bytes, an inflate capped at the size the
    directory declares, and a check of that size and of the CRC-32: a directory that lies about
    sizes or a damaged member gives ``corrupt_archive``, never an oversized buffer.

    Examples
    --------
    >>> import tempfile, zipfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.zip")
    >>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("a.png", b"not really a png")
    >>> from evaluation.archive import check_archive
    >>> listing = check_archive(path)
    >>> with ArchiveReader(path) as reader:
    ...     reader.read(listing.members["a"])
    b'not really a png'
    """

    def __init__(self, zip_path: str | os.PathLike[str]) -> None:
        self._descriptor = os.open(os.fspath(zip_path), os.O_RDONLY | getattr(os, "O_BINARY", 0))

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file.

        Examples
        --------
        >>> import tempfile, zipfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "p.zip"); zipfile.ZipFile(path, "w").close()
        >>> ArchiveReader(path).close()
        """
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1

    def read(self, member: ArchiveMember) -> bytes:
        """The member's verified content.

        Parameters
        ----------
        member : ArchiveMember

        Returns
        -------
        bytes

        Raises
        ------
        SubmissionFormatError
            ``corrupt_archive`` when the data does not inflate to the declared size and CRC.

        Examples
        --------
        >>> import tempfile, zipfile, os
        >>> from evaluation.archive import check_archive
        >>> path = os.path.join(tempfile.mkdtemp(), "p.zip")
        >>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        ...     z.writestr("a.png", b"abc" * 10)
        >>> ArchiveReader(path).read(check_archive(path).members["a"])[:6]
        b'abcabc'
        """
        compressed = os.pread(self._descriptor, member.compressed_size, member.data_offset)
        data = _decompress(member.method, compressed, member.size)
        if data is None or len(data) != member.size or _crc32(data) != member.crc:
            raise _reject(
                "corrupt_archive",
                f"The zip archive is damaged: '{member.name}' does not inflate to the size and checksum its directory declares. "
                f"{_REZIP_HINT.capitalize()}.",
                member.name,
            )
        return data


def _decompress(method: int, compressed: bytes, size: int) -> bytes | None:
    """The member's bytes, at most ``size + 1`` of them (None if the data is damaged)."""
    if method == zipfile.ZIP_STORED:
        return compressed
    if method == zipfile.ZIP_DEFLATED:
        return _inflate_raw(compressed, size)
    if method == 9:
        return _inflate_deflate64(compressed, size)
    decompressor: Any
    try:
        if method == zipfile.ZIP_BZIP2:
            decompressor = bz2.BZ2Decompressor()
        elif method == zipfile.ZIP_LZMA:
            decompressor, compressed = _lzma_decompressor(compressed, size)
        else:
            return None
        return bytes(decompressor.decompress(compressed, size + 1))
    except (OSError, EOFError, ValueError, lzma.LZMAError):
        return None


def _lzma_decompressor(compressed: bytes, size: int) -> tuple[lzma.LZMADecompressor, bytes]:
    """A raw LZMA1 decompressor for a zip member (APPNOTE 5.8: version, properties size, properties).

    The dictionary the stream asks for (up to 4 GiB, allocated at once) is cut to the member's
    declared size: no reference of a valid stream reaches further back than its own output.
    """
    if len(compressed) < 9:
        raise ValueError("too short")
    (properties_size,) = struct.unpack_from("<H", compressed, 2)
    if properties_size != 5:
        raise ValueError("unexpected LZMA properties")
    properties, dictionary_size = compressed[4], struct.unpack_from("<I", compressed, 5)[0]
    if properties >= 9 * 5 * 5:
        raise ValueError("bad LZMA properties")
    literal_context, rest = properties % 9, properties // 9
    filters = [
        {
            "id": lzma.FILTER_LZMA1,
            "dict_size": min(dictionary_size, max(4096, size + 1)),
            "lc": literal_context,
            "lp": rest % 5,
            "pb": rest // 5,
        }
    ]
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters), compressed[9:]


# A Deflate64 code of 18 bits at least yields at most 65,538 bytes: 29,128 bytes per input byte.
_DEFLATE64_MAX_RATIO = 29_128


def _inflate_deflate64(compressed: bytes, size: int) -> bytes | None:
    """Inflate Deflate64 (``inflate64`` has no output limit: it is fed small enough pieces)."""
    import inflate64

    inflater = inflate64.Inflater()
    parts: list[bytes] = []
    produced = position = 0
    try:
        while position < len(compressed) and not inflater.eof:
            step = max(16, (size + 1 - produced) // _DEFLATE64_MAX_RATIO)
            piece = inflater.inflate(compressed[position : position + step])
            position += step
            produced += len(piece)
            parts.append(piece)
            if produced > size:
                return None  # longer than declared: stopped within a few hundred KiB of the bound
    except (ValueError, RuntimeError, EOFError, OSError):
        return None
    return b"".join(parts) if inflater.eof else None


def _inflate_raw(compressed: bytes, size: int) -> bytes | None:
    """Inflate a raw deflate stream to at most ``size`` bytes (None if it is damaged or longer)."""
    if _libdeflate is not None and size > 0:
        try:
            return bytes(_libdeflate.deflate_decompress(compressed, size))
        except _libdeflate.DeflateError:
            return None
    try:
        inflater = zlib.decompressobj(-15)
        out = inflater.decompress(compressed, max(size, 1))  # max_length 0 would mean "no limit"
        if inflater.unconsumed_tail or not inflater.eof:
            return None  # longer than declared, or cut short
    except zlib.error:
        return None
    return out
