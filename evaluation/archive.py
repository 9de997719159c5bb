"""The cheap checks of a team's zip archive, which run before anything is inflated.

:func:`check_archive` looks only at the zip's directory and the local header of each member
(a few dozen bytes each): names, counts, sizes, compression ratios, overlaps, and the set of
image ids against the ground truth. :class:`evaluation.reader.ArchiveReader` then reads one
member at a time.
"""

from __future__ import annotations

import os
import posixpath
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from evaluation.errors import SubmissionFormatError
from evaluation.zipdir import end_of_central_directory

_IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db"})
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".7z", ".rar", ".zst", ".lz4")
_COMPRESSION_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 97: "WavPack", 98: "PPMd"}
_REZIP_HINT = "create the archive again with standard Deflate compression, e.g. `zip -r predictions.zip .` inside the folder of PNG files"
_SHOWN = 5


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits that protect the scorer from zip bombs and decompression bombs.

    The defaults suit 21,120 images of about 500 x 375 with room to spare.

    Attributes
    ----------
    max_members : int
        Most entries (files, folders, ignored files) the archive may list.
    max_total_uncompressed : int
        Most bytes all members may inflate to.
    max_ratio : float
        Largest uncompressed/compressed ratio of a member or of the archive. PNG files hardly
        compress, so a high ratio means a bomb.
    max_pixels : int
        Largest width x height of one image, checked from its header before decoding.
    max_member_size : int
        Most bytes one member may inflate to.

    Examples
    --------
    >>> ArchiveLimits().max_members
    50000
    >>> ArchiveLimits(max_pixels=10_000).max_pixels
    10000
    """

    max_members: int = 50_000
    max_total_uncompressed: int = 8 * 2**30
    max_ratio: float = 200.0
    max_pixels: int = 40_000_000
    max_member_size: int = 256 * 2**20


#: The limits used when none are given (a frozen, shareable instance).
DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchiveMember:
    """Where one prediction's bytes are in the zip file, as verified against its local header.

    Examples
    --------
    >>> member = ArchiveMember("p/a.png", "a", data_offset=38, compressed_size=3, size=3, crc=0, method=0)
    >>> member.image_id
    'a'
    """

    name: str
    image_id: str
    data_offset: int
    compressed_size: int
    size: int
    crc: int
    method: int


@dataclass(frozen=True)
class ArchiveListing:
    """What :func:`check_archive` found: the predictions by image id, and what was ignored.

    Examples
    --------
    >>> listing = ArchiveListing(path="p.zip", members={}, folder="", ignored=())
    >>> listing.image_ids
    []
    """

    path: str
    members: Mapping[str, ArchiveMember]
    folder: str
    ignored: tuple[str, ...]
    total_uncompressed: int = 0
    total_compressed: int = 0
    entries: int = field(default=0)

    @property
    def image_ids(self) -> list[str]:
        """Sorted image ids of the PNG members.

        Examples
        --------
        >>> ArchiveListing(path="p.zip", members={"b": None, "a": None}, folder="", ignored=()).image_ids
        ['a', 'b']
        """
        return sorted(self.members)


def _reject(code: str, message: str, member: str | None = None) -> SubmissionFormatError:
    return SubmissionFormatError(code, message, member=member)


def _first(names: Collection[str]) -> str:
    shown = sorted(names)[:_SHOWN]
    more = f" and {len(names) - len(shown):,} more" if len(names) > len(shown) else ""
    return ", ".join(repr(n) for n in shown) + more


def check_archive(
    zip_path: str | os.PathLike[str],
    expected_names: Collection[str] | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ArchiveListing:
    """Check an archive from its directory and local headers only (no member is inflated).

    Parameters
    ----------
    zip_path : str or os.PathLike
        The uploaded file.
    expected_names : collection of str, optional
        Ground-truth image ids (without ``.png``); missing and extra files are named.
    limits : ArchiveLimits, optional

    Returns
    -------
    ArchiveListing

    Raises
    ------
    SubmissionFormatError
        With one of the archive codes of :data:`evaluation.errors.ERROR_CODES`.

    Examples
    --------
    >>> import io, tempfile, zipfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.zip")
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("preds/a.png", b"x"); z.writestr("__MACOSX/._a.png", b"")
    >>> listing = check_archive(path, expected_names={"a"})
    >>> listing.image_ids, listing.folder, listing.ignored
    (['a'], 'preds', ('__MACOSX/._a.png',))
    >>> check_archive(path, expected_names={"a", "b"})
    Traceback (most recent call last):
    ...
    evaluation.errors.SubmissionFormatError: 1 of 2 predictions are missing: 'b.png'. Add one PNG per ground-truth image, named exactly like it (names are case-sensitive).
    """
    path = os.fspath(zip_path)
    with open(path, "rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        directory = end_of_central_directory(handle, file_size)
        if directory is None:
            raise _reject("not_a_zip", _not_a_zip_message(handle))
        entries, directory_size, directory_offset = directory
        if entries > limits.max_members or directory_size > 1024 * limits.max_members + 65536:
            raise _reject(
                "too_many_members",
                f"The archive lists {entries:,} entries; at most {limits.max_members:,} are allowed. "
                "Put only the PNG predictions in it.",
            )
        try:
            infos = zipfile.ZipFile(handle).infolist()
        except Exception as error:  # zipfile raises many types on hostile directories
            raise _reject(
                "corrupt_archive",
                f"The zip archive is damaged: its directory cannot be read ({error}). {_REZIP_HINT.capitalize()}.",
            ) from None
        if len(infos) > limits.max_members:
            raise _reject(
                "too_many_members",
                f"The archive lists {len(infos):,} entries; at most {limits.max_members:,} are allowed.",
            )
        files = _check_entries(infos, limits)
        members = _verify_local_headers(handle, files, file_size, directory_offset)
    if not infos:
        raise _reject("empty_archive", "The zip archive is empty. Put one PNG per ground-truth image in it.")
    return _match_names(path, infos, members, expected_names)


def _not_a_zip_message(handle: object) -> str:
    assert hasattr(handle, "seek") and hasattr(handle, "read")
    handle.seek(0)
    head: bytes = handle.read(8)
    kinds = {
        b"\x1f\x8b": "a gzip/tar.gz file",
        b"7z\xbc\xaf": "a 7-Zip file",
        b"Rar!": "a RAR file",
        b"\x89PNG": "a single PNG file",
    }
    for magic, kind in kinds.items():
        if head.startswith(magic):
            return f"The upload is {kind}, not a zip archive. Upload a .zip holding one PNG per image."
    if not head:
        return "The upload is an empty file, not a zip archive. Upload a .zip holding one PNG per image."
    return "The upload is not a zip archive (or its end is missing). Upload a .zip holding one PNG per image."


def _name_problem(name: str) -> tuple[str, str] | None:
    printable_ascii = name.isascii() and name.isprintable()  # the common case, checked in C
    for char in () if printable_ascii else name:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            return "bad_characters_in_name", f"U+{ord(char):04X}"
    if "\\" in name:
        return "unsafe_path", "a backslash"
    if name.startswith("/"):
        return "unsafe_path", "an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        return "unsafe_path", "a drive letter"
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "unsafe_path", "a '..', '.' or empty path component"
    return None


def _check_entries(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """Per-entry checks of the directory; returns the entries that are files (not folders)."""
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    total = compressed_total = 0
    for info in infos:
        name = info.orig_filename
        problem = _name_problem(name)
        if problem is not None:
            code, what = problem
            shown = name.encode("unicode_escape").decode("ascii")
            raise _reject(
                code,
                f"The member name '{shown}' contains {what}. Use plain relative names like 'folder/<image id>.png'.",
                name,
            )
        if name in seen:
            raise _reject(
                "duplicate_names", f"The archive holds '{name}' more than once. Each file may appear only once.", name
            )
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _reject(
                "symlink",
                f"'{name}' is a symbolic link. Put the PNG files themselves in the archive (zip without -y).",
                name,
            )
        if info.flag_bits & 0x41 or info.compress_type == 99:
            raise _reject("encrypted_archive", f"'{name}' is encrypted. Upload an archive without a password.", name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise _reject(
                "unsupported_compression",
                f"'{name}' is compressed with {method}, which is not supported; {_REZIP_HINT}.",
                name,
            )
        if name.endswith("/"):
            continue
        if name.lower().endswith(_ARCHIVE_SUFFIXES):
            raise _reject(
                "nested_archive",
                f"'{name}' is an archive inside the archive. Put the PNG files directly in one zip.",
                name,
            )
        if info.file_size > limits.max_member_size:
            raise _reject(
                "member_too_large",
                f"'{name}' inflates to {info.file_size:,} bytes, more than the limit of {limits.max_member_size:,}.",
                name,
            )
        if info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _reject(
                "compression_ratio_too_high",
                f"'{name}' inflates {info.file_size / max(info.compress_size, 1):,.0f} times its compressed size "
                f"(the limit is {limits.max_ratio:,.0f}); PNG files never compress that well. Upload the PNG predictions only.",
                name,
            )
        total += info.file_size
        compressed_total += info.compress_size
        files.append(info)
    if total > limits.max_total_uncompressed:
        raise _reject(
            "archive_too_large",
            f"The archive inflates to {total:,} bytes, more than the limit of {limits.max_total_uncompressed:,}.",
        )
    if total > limits.max_ratio * max(compressed_total, 1):
        raise _reject(
            "compression_ratio_too_high",
            f"The archive inflates {total / max(compressed_total, 1):,.0f} times its size (the limit is {limits.max_ratio:,.0f}).",
        )
    return files


def _verify_local_headers(
    handle: object, files: list[zipfile.ZipInfo], file_size: int, directory_offset: int
) -> list[ArchiveMember]:
    """Read each local header; the data must lie where the directory says and not overlap."""
    assert hasattr(handle, "fileno")
    descriptor: int = handle.fileno()
    members: list[ArchiveMember] = []
    corrupt = "The zip archive is damaged: {}. " + _REZIP_HINT.capitalize() + "."
    for info in files:
        name = info.orig_filename
        expected = name.encode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace")
        # one read: the fixed header and, if the directory is right, the name
        header = (
            os.pread(descriptor, 30 + len(expected), info.header_offset) if 0 <= info.header_offset < file_size else b""
        )
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _reject(
                "corrupt_archive", corrupt.format(f"the entry for '{name}' is not where the directory says"), name
            )
        flags, method, crc, compressed, size, name_length, extra_length = struct.unpack("<6xHH4xLLLHH", header[:30])
        # without a data descriptor (flag 8) the local sizes must be the directory's (0xFFFFFFFF: in ZIP64 extra)
        sizes_differ = not flags & 0x08 and (
            crc != info.CRC
            or compressed not in (info.compress_size, 0xFFFFFFFF)
            or size not in (info.file_size, 0xFFFFFFFF)
        )
        if (
            header[30:] != expected
            or name_length != len(expected)
            or method != info.compress_type
            or (flags ^ info.flag_bits) & 0x41
            or sizes_differ
        ):
            raise _reject(
                "corrupt_archive", corrupt.format(f"the local header of '{name}' disagrees with the directory"), name
            )
        start = info.header_offset + 30 + name_length + extra_length
        if start + info.compress_size > min(directory_offset, file_size):
            raise _reject(
                "corrupt_archive", corrupt.format(f"the data of '{name}' runs past the end of the file"), name
            )
        members.append(ArchiveMember(name, "", start, info.compress_size, info.file_size, info.CRC, info.compress_type))
    spans = sorted(
        (info.header_offset, m.data_offset + m.compressed_size, m.name) for info, m in zip(files, members, strict=True)
    )
    for (_, end, name), (next_start, _, next_name) in zip(spans, spans[1:], strict=False):
        if end > next_start:
            raise _reject(
                "overlapping_entries",
                f"The zip archive is malformed: '{name}' and '{next_name}' share the same bytes. {_REZIP_HINT.capitalize()}.",
                next_name,
            )
    return members


def _match_names(
    path: str, infos: list[zipfile.ZipInfo], members: list[ArchiveMember], expected: Collection[str] | None
) -> ArchiveListing:
    ignored, used = [], []
    for member in members:
        parts = member.name.split("/")
        if parts[0] == "__MACOSX" or parts[-1] in _IGNORED_NAMES:
            ignored.append(member.name)
        else:
            used.append(member)
    ignored += [
        i.orig_filename for i in infos if i.orig_filename.endswith("/") and i.orig_filename.split("/")[0] == "__MACOSX"
    ]
    if not used:
        raise _reject(
            "empty_archive", "The zip archive holds no prediction files. Put one PNG per ground-truth image in it."
        )
    folders = sorted({posixpath.dirname(m.name) for m in used})
    if len(folders) > 1:
        shown = ", ".join(f"'{f}/'" if f else "the top level" for f in folders[:3])
        raise _reject(
            "several_folders",
            f"The files are spread over several folders ({shown}). Put all PNG files at the top of the archive or in one folder.",
        )
    by_id: dict[str, ArchiveMember] = {}
    extra: list[str] = []
    for member in used:
        base = posixpath.basename(member.name)
        if base.endswith(".png") and len(base) > 4:
            image_id = base[:-4]
            by_id[image_id] = ArchiveMember(
                member.name,
                image_id,
                member.data_offset,
                member.compressed_size,
                member.size,
                member.crc,
                member.method,
            )
        else:
            extra.append(base)
    if expected is not None:
        expected_set = set(expected)
        missing = expected_set.difference(by_id)
        extra += [f"{i}.png" for i in by_id if i not in expected_set]
        if missing:
            message = f"{len(missing):,} of {len(expected_set):,} predictions are missing: {_first([f'{m}.png' for m in missing])}."
            if extra:
                message += f" The archive also holds {len(extra):,} files with unexpected names, e.g. {_first(extra)}."
            message += " Add one PNG per ground-truth image, named exactly like it (names are case-sensitive)."
            raise _reject("missing_files", message)
    if extra:
        raise _reject(
            "extra_files",
            f"The archive holds {len(extra):,} files that are not predictions for a ground-truth image: {_first(extra)}. Remove them; only '<image id>.png' files belong in it.",
        )
    return ArchiveListing(
        path=path,
        members=by_id,
        folder=folders[0],
        ignored=tuple(sorted(ignored)),
        total_uncompressed=sum(m.size for m in used),
        total_compressed=sum(m.compressed_size for m in used),
        entries=len(infos),
    )
