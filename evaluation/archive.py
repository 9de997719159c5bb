"""The cheap checks of a team's zip archive, which run before anything is inflated.

:func:`check_archive` looks only at the zip's directory and the local header of each member
(a few dozen bytes each): names, counts, declared sizes, overlaps, and the set of image ids
against the ground truth. :class:`evaluation.reader.ArchiveReader` then reads one member at a
time, never inflating it past the size its directory declares.

Archives as the common tools write them are accepted (SPEC section 1): members stored or
compressed with Deflate, Deflate64 (7-Zip, Windows Explorer), bzip2 or LZMA (Python's
``zipfile``); ``\\`` separators (PowerShell 5 ``Compress-Archive``) read as ``/``; a leading
``./`` dropped; ``__MACOSX/``, AppleDouble ``._*`` files, ``.DS_Store``, ``Thumbs.db`` and
``desktop.ini`` ignored wherever they sit.

Zip bombs are stopped by size, never by compression ratio (an uncompressed PNG of a uniform map
legitimately compresses a thousand times): the size a member declares may not exceed what any PNG
of its ground-truth image's height and width can need (:meth:`ArchiveLimits.member_bound`), nor
may the archive's total exceed ``max_total_uncompressed``; the reader holds every member to its
declared size.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from evaluation.errors import SubmissionFormatError
from evaluation.zipdir import end_of_central_directory

_IGNORED_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})  # compared in lower case
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".7z", ".rar", ".zst", ".lz4")
#: Compression methods a member may use (zip method number -> name); see :mod:`evaluation.reader`.
SUPPORTED_METHODS = {0: "stored", 8: "Deflate", 9: "Deflate64", 12: "bzip2", 14: "LZMA"}
_COMPRESSION_NAMES = {93: "Zstandard", 95: "XZ", 97: "WavPack", 98: "PPMd"}
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
    max_pixels : int
        Largest width x height of one image, checked from its header before decoding.
    max_member_size : int
        Most bytes one member may inflate to when its ground-truth size is not known (the
        upload check); when it is known, :meth:`member_bound` is the tighter limit.
    png_extra_bytes : int
        Budget for a PNG's chunks other than its image data (text, ICC profile, Exif, palette),
        on top of :meth:`member_bound`'s image data.

    Examples
    --------
    >>> ArchiveLimits().max_members
    50000
    >>> ArchiveLimits(max_pixels=10_000).max_pixels
    10000
    """

    max_members: int = 50_000
    max_total_uncompressed: int = 8 * 2**30
    max_pixels: int = 40_000_000
    max_member_size: int = 256 * 2**20
    png_extra_bytes: int = 2**20

    def member_bound(self, height: int, width: int) -> int:
        """Most bytes a valid PNG prediction of ``height`` x ``width`` pixels can take.

        An 8-bit single-channel PNG holds ``height * (width + 1)`` bytes of filtered image data
        (one filter byte per row; palettes of 1, 2 or 4 bits need less, interlacing about one
        more byte per row). Deflate stores it in at most twice its size (stored blocks add 5 bytes
        per 65,535; no Huffman code is longer than 15 bits per byte), split into IDAT chunks of
        12 bytes of overhead each (one per row at most), plus the signature, header, palette
        and end chunks (1 KiB) and :attr:`png_extra_bytes` for any other chunk. No valid PNG
        of that size is refused; a zip bomb is refused before it is inflated past it.

        Examples
        --------
        >>> ArchiveLimits().member_bound(375, 500)  # 2 * 375 * 501 + 12 * 375 + 1024 + 1 MiB
        1429850
        """
        return 2 * height * (width + 1) + 12 * height + 1024 + self.png_extra_bytes


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
    shape_of: Callable[[str], tuple[int, int]] | None = None,
) -> ArchiveListing:
    """Check an archive from its directory and local headers only (no member is inflated).

    Parameters
    ----------
    zip_path : str or os.PathLike
        The uploaded file.
    expected_names : collection of str, optional
        Ground-truth image ids (without ``.png``); missing and extra files are named.
    limits : ArchiveLimits, optional
    shape_of : callable, optional
        ``(height, width)`` of a ground-truth image by id: each prediction's declared size is
        then held to :meth:`ArchiveLimits.member_bound` of that size (the scorer passes it).

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
    evaluation.errors.SubmissionFormatError: 1 of 2 predictions is missing: 'b.png'. Add one PNG per ground-truth image, named exactly like it (names are case-sensitive).
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
        files, folders = _check_entries(infos, limits)
        members = _verify_local_headers(handle, files, file_size, directory_offset)
    if not infos:
        raise _reject("empty_archive", "The zip archive is empty. Put one PNG per ground-truth image in it.")
    listing = _match_names(path, len(infos), folders, members, expected_names)
    if shape_of is not None:
        for member in listing.members.values():
            _check_member_bound(member, shape_of(member.image_id), limits)
    return listing


def _check_member_bound(member: ArchiveMember, shape: tuple[int, int], limits: ArchiveLimits) -> None:
    height, width = shape
    bound = limits.member_bound(height, width)
    if member.size > bound:
        raise _reject(
            "member_too_large",
            f"'{member.name}' declares {member.size:,} bytes once inflated, more than any PNG of its "
            f"ground-truth size ({width} x {height} pixels) can need (at most {bound:,} bytes). "
            "Put only the 8-bit PNG predictions in the archive.",
            member.name,
        )


def _plural(count: int, word: str) -> str:
    """``1 file``, ``2 files`` (English plurals of the words used here).

    Examples
    --------
    >>> _plural(1, "file"), _plural(1_000, "entry")
    ('1 file', '1,000 entries')
    """
    if count == 1:
        return f"1 {word}"
    return f"{count:,} " + (word[:-1] + "ies" if word.endswith("y") else word + "s")


def _gzip_holds_tar(head: bytes) -> bool:
    try:
        start = zlib.decompressobj(31).decompress(head, 512)
    except zlib.error:
        return False
    return start[257:262] == b"ustar"


def _not_a_zip_message(handle: object) -> str:
    assert hasattr(handle, "seek") and hasattr(handle, "read")
    handle.seek(0)
    head: bytes = handle.read(4096)
    kinds = {
        b"\x1f\x8b": "a gzip file",
        b"BZh": "a bzip2 file",
        b"\xfd7zXZ\x00": "an xz file",
        b"7z\xbc\xaf": "a 7-Zip file",
        b"Rar!": "a RAR file",
        b"\x89PNG": "a single PNG file",
    }
    kind = next((kind for magic, kind in kinds.items() if head.startswith(magic)), None)
    if head[257:262] == b"ustar":
        kind = "a tar archive"
    elif head.startswith(b"\x1f\x8b") and _gzip_holds_tar(head):
        kind = "a tar.gz archive (a gzip-compressed tar)"
    if kind is not None:
        return (
            f"The upload is {kind}, not a zip archive. Upload a .zip holding one PNG per image, "
            "e.g. made with `zip -r predictions.zip .` inside the folder of PNG files."
        )
    if not head:
        return "The upload is an empty file, not a zip archive. Upload a .zip holding one PNG per image."
    return "The upload is not a zip archive (or its end is missing). Upload a .zip holding one PNG per image."


def normalized_name(name: str) -> str:
    """A member name as the common tools mean it: ``\\`` read as ``/``, a leading ``./`` dropped.

    Examples
    --------
    >>> normalized_name("preds\\\\a.png"), normalized_name("./preds/a.png"), normalized_name(".\\\\a.png")
    ('preds/a.png', 'preds/a.png', 'a.png')
    """
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


def is_ignored(name: str) -> bool:
    """Whether a (normalized) member is an operating system's litter, ignored wherever it sits.

    Examples
    --------
    >>> [is_ignored(n) for n in ("__MACOSX/p/a.png", "p/._a.png", "p/.DS_Store", "Thumbs.db", "p/desktop.ini", "p/a.png")]
    [True, True, True, True, True, False]
    """
    parts = name.rstrip("/").split("/")
    base = parts[-1]
    return "__MACOSX" in parts or base.startswith("._") or base.lower() in _IGNORED_NAMES


def _name_problem(name: str) -> tuple[str, str] | None:
    printable_ascii = name.isascii() and name.isprintable()  # the common case, checked in C
    for char in () if printable_ascii else name:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            return "bad_characters_in_name", f"U+{ord(char):04X}"
    if name.startswith("/"):
        return "unsafe_path", "an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        return "unsafe_path", "a drive letter"
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "unsafe_path", "a '..', '.' or empty path component"
    return None


def _check_entries(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> tuple[list[zipfile.ZipInfo], list[str]]:
    """Per-entry checks of the directory; returns the entries that are files, and the folders."""
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    folders: list[str] = []
    total = 0
    for info in infos:
        name = normalized_name(info.orig_filename)
        if not name and info.orig_filename.replace("\\", "/").endswith("/"):
            continue  # "./", the archive's own top folder (bsdtar writes it)
        problem = _name_problem(name)
        if problem is not None:
            code, what = problem
            shown = info.orig_filename.encode("unicode_escape").decode("ascii")
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
        if info.compress_type == 9 and importlib.util.find_spec("inflate64") is None:  # a core installed without it
            raise _reject(
                "unsupported_compression",
                f"'{name}' is compressed with Deflate64, which needs the inflate64 package (pip install "
                f"inflate64); or {_REZIP_HINT}.",
                name,
            )
        if info.compress_type not in SUPPORTED_METHODS:
            method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise _reject(
                "unsupported_compression",
                f"'{name}' is compressed with {method}, which is not supported (stored, Deflate, Deflate64, "
                f"bzip2 and LZMA are); {_REZIP_HINT}.",
                name,
            )
        if name.endswith("/"):
            folders.append(name)
            continue
        if name.lower().endswith(_ARCHIVE_SUFFIXES) and not is_ignored(name):
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
        total += info.file_size
        files.append(info)
    if total > limits.max_total_uncompressed:
        raise _reject(
            "archive_too_large",
            f"The archive inflates to {total:,} bytes, more than the limit of {limits.max_total_uncompressed:,}.",
        )
    return files, folders


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
        normalized = normalized_name(name)
        base = posixpath.basename(normalized)
        image_id = base[:-4] if base.endswith(".png") and len(base) > 4 else ""  # "": not a prediction's name
        members.append(
            ArchiveMember(normalized, image_id, start, info.compress_size, info.file_size, info.CRC, info.compress_type)
        )
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
    path: str, entries: int, folders_listed: list[str], members: list[ArchiveMember], expected: Collection[str] | None
) -> ArchiveListing:
    ignored: list[str] = []
    used: list[ArchiveMember] = []
    for member in members:
        if is_ignored(member.name):
            ignored.append(member.name)
        else:
            used.append(member)
    ignored += [folder for folder in folders_listed if is_ignored(folder)]
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
        if member.image_id:
            by_id[member.image_id] = member
        else:
            extra.append(posixpath.basename(member.name))
    if expected is not None:
        expected_set = set(expected)
        missing = expected_set.difference(by_id)
        extra += [f"{i}.png" for i in by_id if i not in expected_set]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            message = (
                f"{len(missing):,} of {_plural(len(expected_set), 'prediction')} {verb} missing: "
                f"{_first([f'{m}.png' for m in missing])}."
            )
            if extra:
                message += f" The archive also holds {_plural(len(extra), 'file')} with unexpected names, e.g. {_first(extra)}."
            message += " Add one PNG per ground-truth image, named exactly like it (names are case-sensitive)."
            raise _reject("missing_files", message)
    if extra:
        what = (
            "a file that is not a prediction" if len(extra) == 1 else f"{len(extra):,} files that are not predictions"
        )
        raise _reject(
            "extra_files",
            f"The archive holds {what} for a ground-truth image: {_first(extra)}. Remove "
            + ("it" if len(extra) == 1 else "them")
            + "; only '<image id>.png' files belong in it.",
        )
    return ArchiveListing(
        path=path,
        members=by_id,
        folder=folders[0],
        ignored=tuple(sorted(ignored)),
        total_uncompressed=sum(m.size for m in used),
        total_compressed=sum(m.compressed_size for m in used),
        entries=entries,
    )
