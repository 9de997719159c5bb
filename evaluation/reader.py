"""Reading verified members of a checked zip archive, one at a time, into memory."""

from __future__ import annotations

import os
import zipfile
import zlib
from types import TracebackType

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
        data = _inflate_raw(compressed, member.size) if member.method == zipfile.ZIP_DEFLATED else compressed
        if data is None or len(data) != member.size or _crc32(data) != member.crc:
            raise _reject(
                "corrupt_archive",
                f"The zip archive is damaged: '{member.name}' does not inflate to the size and checksum its directory declares. "
                f"{_REZIP_HINT.capitalize()}.",
                member.name,
            )
        return data


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
