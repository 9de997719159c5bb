"""One test per way an archive is refused (directory, headers, data): the exact code and an actionable message."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from evaluation import DEFAULT_LIMITS, ArchiveLimits, check_archive, score_archive

from .builders import Entry, build_zip, pillow_png
from .rejection_cases import SHAPES, entries_for, good_members, refused, write


def test_the_good_archive_is_accepted(gt_dir: Path, tmp_path: Path) -> None:
    assert score_archive(1, gt_dir, write(tmp_path, good_members("preds/"))).image_count == 3


# --- the file is not a usable zip -------------------------------------------------------------


def test_random_bytes_are_not_a_zip(gt_dir: Path, tmp_path: Path) -> None:
    refused(gt_dir, write(tmp_path, b"hello, this is text"), "not_a_zip", "not a zip archive", "Upload a .zip")


def test_a_gzip_file_is_named(gt_dir: Path, tmp_path: Path) -> None:
    import gzip

    refused(gt_dir, write(tmp_path, gzip.compress(b"x" * 100)), "not_a_zip", "gzip")


def test_an_empty_file_is_not_a_zip(gt_dir: Path, tmp_path: Path) -> None:
    refused(gt_dir, write(tmp_path, b""), "not_a_zip", "empty file")


def test_an_empty_zip(gt_dir: Path, tmp_path: Path) -> None:
    refused(gt_dir, write(tmp_path, {}), "empty_archive", "empty")


def test_a_zip_of_only_ignored_files_is_empty(gt_dir: Path, tmp_path: Path) -> None:
    refused(
        gt_dir,
        write(tmp_path, {"__MACOSX/._a.png": b"", ".DS_Store": b"", "x/Thumbs.db": b""}),
        "empty_archive",
        "no prediction files",
    )


def test_ignored_files_are_ignored(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members("p/") | {"__MACOSX/p/._img_a.png": b"junk", "p/.DS_Store": b"", "p/Thumbs.db": b""}
    listing = check_archive(write(tmp_path, content), expected_names=SHAPES)
    assert listing.folder == "p" and len(listing.ignored) == 3
    assert score_archive(1, gt_dir, tmp_path / "pred.zip").image_count == 3


def test_encrypted_member(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[1].flags = 0x1
    refused(gt_dir, write(tmp_path, build_zip(entries)), "encrypted_archive", "img_b.png", "without a password")


@pytest.mark.parametrize(("method", "name"), [(93, "Zstandard"), (98, "PPMd"), (20, "method 20")])
def test_unsupported_compression(gt_dir: Path, tmp_path: Path, method: int, name: str) -> None:
    entries = entries_for(good_members())
    entries[0].method = entries[0].local_method = method
    refused(
        gt_dir,
        write(tmp_path, build_zip(entries)),
        "unsupported_compression",
        f"'img_a.png' is compressed with {name}",
        "stored, Deflate, Deflate64, bzip2 and LZMA are",
        "zip -r predictions.zip .",
    )


@pytest.mark.parametrize(
    "bad_name",
    [
        "../img_a.png",
        "p/../../img_a.png",
        "/img_a.png",
        "C:/img_a.png",
        "c:img_a.png",
        "C:\\p\\img_a.png",
        "..\\img_a.png",
        "\\\\server\\img_a.png",
        "p/./img_a.png",
        "p//img_a.png",
    ],
)
def test_names_that_escape(gt_dir: Path, tmp_path: Path, bad_name: str) -> None:
    content = good_members()
    content[bad_name] = content.pop("img_a.png")
    refused(gt_dir, write(tmp_path, build_zip(entries_for(content))), "unsafe_path", "plain relative names")


@pytest.mark.parametrize("char", ["\x00", "\r", "\n", "\u202e", "\x7f", "\u200b"])
def test_names_with_control_characters(gt_dir: Path, tmp_path: Path, char: str) -> None:
    content = good_members()
    content[f"img_a{char}.png"] = content.pop("img_a.png")
    error = refused(
        gt_dir, write(tmp_path, build_zip(entries_for(content))), "bad_characters_in_name", f"U+{ord(char):04X}"
    )
    assert char not in error.message  # the message itself is printable


def test_symlink(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[2] = Entry("img_c.png", b"/etc/passwd", external_attr=0o120777 << 16)
    refused(gt_dir, write(tmp_path, build_zip(entries)), "symlink", "img_c.png", "symbolic link")


def test_duplicate_names(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries.append(Entry("img_a.png", entries[0].data, method=8))
    refused(gt_dir, write(tmp_path, build_zip(entries)), "duplicate_names", "img_a.png", "more than once")


@pytest.mark.parametrize("name", ["inner.zip", "p.tar.gz", "x.7z", "y.rar"])
def test_nested_archive_by_name(gt_dir: Path, tmp_path: Path, name: str) -> None:
    refused(gt_dir, write(tmp_path, good_members() | {name: b"PK\x03\x04"}), "nested_archive", name)


def test_nested_archive_named_png(gt_dir: Path, tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("x.png", b"x")
    refused(
        gt_dir,
        write(tmp_path, good_members() | {"img_b.png": inner.getvalue()}),
        "nested_archive",
        "img_b.png",
        "zip archive",
    )


def test_too_many_members(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members() | {"__MACOSX/a": b"", "__MACOSX/b": b""}
    refused(
        gt_dir,
        write(tmp_path, content),
        "too_many_members",
        "5 entries",
        "at most 4",
        limits=ArchiveLimits(max_members=4),
    )


def test_too_many_members_read_from_the_end_record(gt_dir: Path, tmp_path: Path) -> None:
    # The end record claims 70,000 entries: refused before zipfile parses the directory.
    data = bytearray(build_zip(entries_for(good_members())))
    data[-12:-10] = (70_000 % 65536).to_bytes(2, "little")
    data[-14:-12] = data[-12:-10]
    refused(
        gt_dir,
        write(
            tmp_path,
            bytes(build_zip(entries_for(good_members()), zip64_end=True)).replace(b"PK\x06\x06", b"PK\x06\x06"),
        ),
        "too_many_members",
        "at most 2",
        limits=ArchiveLimits(max_members=2),
    )


def test_total_uncompressed_size(gt_dir: Path, tmp_path: Path) -> None:
    refused(
        gt_dir,
        write(tmp_path, good_members()),
        "archive_too_large",
        "more than the limit of 100",
        limits=ArchiveLimits(max_total_uncompressed=100),
    )


def test_member_size(gt_dir: Path, tmp_path: Path) -> None:
    refused(
        gt_dir,
        write(tmp_path, good_members()),
        "member_too_large",
        "more than the limit of 10",
        limits=ArchiveLimits(max_member_size=10),
    )


def test_a_bomb_among_the_predictions_is_refused_by_its_ground_truth_size(gt_dir: Path, tmp_path: Path) -> None:
    # 10 MB of zeros under a prediction's name: an 8 x 6 PNG never needs more than about 1 MiB.
    content = good_members() | {"img_a.png": bytes(10_000_000)}
    refused(
        gt_dir,
        write(tmp_path, content),
        "member_too_large",
        "'img_a.png' declares 10,000,000 bytes once inflated",
        "ground-truth size (8 x 6 pixels)",
        f"at most {DEFAULT_LIMITS.member_bound(6, 8):,} bytes",
    )


def test_a_bomb_declared_by_a_lying_directory(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[0].size = 200_000_000  # the directory claims 200 MB from a few hundred bytes
    refused(gt_dir, write(tmp_path, build_zip(entries)), "member_too_large", "'img_a.png' declares 200,000,000 bytes")


def test_ignored_files_are_never_inflated_so_their_size_only_counts_in_the_total(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members() | {"__MACOSX/._bomb": bytes(10_000_000)}
    assert score_archive(1, gt_dir, write(tmp_path, content)).image_count == 3
    refused(gt_dir, tmp_path / "pred.zip", "archive_too_large", limits=ArchiveLimits(max_total_uncompressed=9_999_999))


def test_several_folders(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members("a/")
    content["b/img_c.png"] = content.pop("a/img_c.png")
    refused(gt_dir, write(tmp_path, content), "several_folders", "'a/'", "'b/'", "one folder")


def test_missing_files_are_counted_and_named(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members()
    del content["img_b.png"], content["img_c.png"]
    refused(
        gt_dir, write(tmp_path, content), "missing_files", "2 of 3 predictions are missing", "'img_b.png', 'img_c.png'"
    )


def test_missing_files_mention_misnamed_ones(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members()
    content["IMG_A.png"] = content.pop("img_a.png")
    refused(
        gt_dir,
        write(tmp_path, content),
        "missing_files",
        "'img_a.png'",
        "unexpected names",
        "'IMG_A.png'",
        "case-sensitive",
    )


def test_extra_files(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members() | {"readme.txt": b"hi", "img_z.png": pillow_png(np.ones((2, 2), np.uint8))}
    refused(gt_dir, write(tmp_path, content), "extra_files", "2 files", "'img_z.png'", "'readme.txt'", "Remove them")


# --- the local headers and the data -----------------------------------------------------------


def test_overlapping_entries(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    first_length = len(build_zip(entries[:1])) - 22 - 46 - len("img_a.png")  # local header + data
    entries[0].compressed_size = first_length + 10  # its data now runs into the next entry
    refused(
        gt_dir,
        write(tmp_path, build_zip(entries)),
        "overlapping_entries",
        "img_a.png",
        "img_b.png",
        "share the same bytes",
    )


def test_two_directory_entries_on_one_local_header(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[1].header_offset = 0  # img_b.png points at img_a.png's header
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_b.png", "disagrees with the directory")


def test_local_header_method_disagrees(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[0].local_method = 0
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_a.png")


def test_directory_declares_a_smaller_size_than_the_data(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[0].size = 20  # inflating stops at 20 bytes: never more than declared
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_a.png", "does not inflate to the size")


def test_directory_declares_a_larger_size_than_the_data(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[0].size = len(entries[0].data) + 50
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_a.png")


def test_compressed_size_runs_past_the_directory(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[2].compressed_size = 10_000
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_c.png", "past the end")


def test_crc_mismatch(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[1].crc = 12345
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "img_b.png", "checksum")


def test_zip64_and_data_descriptors_are_fine(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries[0].descriptor = True
    entries[1].descriptor = True
    entries[1].method = 0
    path = write(tmp_path, build_zip(entries, zip64_end=True))
    assert score_archive(1, gt_dir, path).image_count == 3


def test_zipfile_zip64_members_are_fine(gt_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "pred.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in good_members().items():
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(data)
    assert score_archive(1, gt_dir, path).image_count == 3


def test_data_prepended_to_the_zip_is_fine(gt_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path, build_zip(entries_for(good_members()), prefix=b"#!/bin/sh\nexit 0\n"))
    assert score_archive(1, gt_dir, path).image_count == 3


def test_local_header_sizes_disagree_with_the_directory(gt_dir: Path, tmp_path: Path) -> None:
    data = bytearray(build_zip(entries_for(good_members())))
    data[22:26] = (12345).to_bytes(4, "little")  # the first local header's uncompressed size
    refused(gt_dir, write(tmp_path, bytes(data)), "corrupt_archive", "img_a.png", "disagrees with the directory")


def test_a_directory_zipfile_cannot_decode(gt_dir: Path, tmp_path: Path) -> None:
    entries = entries_for(good_members())
    entries.append(Entry(b"\xff\xfe.png", b"x", flags=0x800))  # flagged UTF-8, but not UTF-8
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "directory cannot be read")
