"""The hostile archives are what they claim to be (otherwise the upload tests would prove nothing)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from tests.security_tests import hostile

GT, SAMPLE = hostile.make_sample(1)
FIRST = f"{SAMPLE.names[0]}.png"


def build(case_id: str) -> bytes:
    return hostile.CASES_BY_ID[case_id].build(SAMPLE, "/srv/ground_truth")


def test_case_ids_are_unique_and_cover_the_issue():
    ids = [case.id for case in hostile.CASES]
    assert len(ids) == len(set(ids))
    for required in (
        "bomb_ratio",
        "bomb_size_lies_small",
        "overlapping_entries",
        "symlink_to_etc_passwd",
        "encrypted_member",
        "zstandard_member",
        "png_declares_20000x20000",
        "empty_archive",
    ):
        assert required in ids


def test_ratio_bomb_declares_its_true_size_and_exceeds_200_to_1():
    info = zipfile.ZipFile(io.BytesIO(build("bomb_ratio"))).getinfo(FIRST)
    assert info.file_size == 20 * 2**20
    assert info.file_size / info.compress_size > 200


def test_lying_bomb_declares_1_kib_but_inflates_to_64_mib():
    data = build("bomb_size_lies_small")
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(FIRST)
    assert info.file_size == 1024
    local = data[info.header_offset :]
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    raw = local[30 + name_len + extra_len : 30 + name_len + extra_len + info.compress_size]
    assert len(zlib.decompressobj(-15).decompress(raw)) == 64 * 2**20
    with pytest.raises(zipfile.BadZipFile):  # Python itself notices the lie at the CRC
        zipfile.ZipFile(io.BytesIO(data)).read(FIRST)


def test_overlapping_entries_share_one_local_header():
    records = hostile.entries(build("overlapping_entries"))
    assert records[0].local == records[1].local
    assert records[0].name != records[1].name


def test_symlink_member_is_a_unix_symlink_whose_content_is_the_target():
    zf = zipfile.ZipFile(io.BytesIO(build("symlink_to_etc_passwd")))
    info = zf.getinfo(FIRST)
    assert (info.external_attr >> 16) & 0o170000 == 0o120000
    assert zf.read(FIRST) == b"/etc/passwd"


def test_raw_nul_name_survives_in_both_headers():
    data = build("name_with_nul")
    assert data.count(b"evil\x00.png") == 2


def test_encrypted_and_zstandard_flags_are_set():
    encrypted = zipfile.ZipFile(io.BytesIO(build("encrypted_member"))).getinfo(FIRST)
    assert encrypted.flag_bits & 0x1
    zstandard = zipfile.ZipFile(io.BytesIO(build("zstandard_member"))).getinfo(FIRST)
    assert zstandard.compress_type == 93


def test_png_header_declares_20000_by_20000_in_a_few_hundred_bytes():
    zf = zipfile.ZipFile(io.BytesIO(build("png_declares_20000x20000")))
    data = zf.read(FIRST)
    assert len(data) < 300
    assert struct.unpack(">II", data[16:24]) == (20000, 20000)


@pytest.mark.parametrize(
    ("case_id", "mode"), [("png_16bit", "I;16"), ("png_rgb", "RGB"), ("png_1bit", "1"), ("jpeg_named_png", "L")]
)
def test_wrong_image_kinds(case_id, mode):
    data = zipfile.ZipFile(io.BytesIO(build(case_id))).read(FIRST)
    image = Image.open(io.BytesIO(data))
    assert image.mode == mode
    assert image.format == ("JPEG" if case_id == "jpeg_named_png" else "PNG")


def test_traversal_names_are_stored_verbatim():
    names = zipfile.ZipFile(io.BytesIO(build("traversal_backslash"))).namelist()
    assert f"..\\{hostile.PLANTED}" in names
    names = zipfile.ZipFile(io.BytesIO(build("absolute_unix"))).namelist()
    assert f"/tmp/{hostile.PLANTED}" in names


@pytest.mark.parametrize("variant", sorted(hostile.VARIANTS))
def test_valid_variants_decode_to_the_same_arrays(variant):
    data = hostile.VARIANTS[variant](SAMPLE)
    zf = zipfile.ZipFile(io.BytesIO(data))
    pngs = {n.rsplit("/", 1)[-1]: n for n in zf.namelist() if n.endswith(".png") and "__MACOSX" not in n}
    assert sorted(pngs) == [f"{n}.png" for n in SAMPLE.names]
    for name in SAMPLE.names:
        decoded = np.asarray(Image.open(io.BytesIO(zf.read(pngs[f"{name}.png"]))))
        np.testing.assert_array_equal(decoded, SAMPLE.arrays[name])


def test_variant_flags():
    data = hostile.VARIANTS["zip64"](SAMPLE)
    assert b"PK\x06\x06" in data  # the ZIP64 end of central directory record
    zip64 = zipfile.ZipFile(io.BytesIO(data)).infolist()[1]
    assert zip64.extra[:2] == b"\x01\x00"  # the central record's ZIP64 extra field (id 0x0001)
    streamed = zipfile.ZipFile(io.BytesIO(hostile.VARIANTS["data_descriptors"](SAMPLE))).infolist()[0]
    assert streamed.flag_bits & 0x8
    interlaced = zipfile.ZipFile(io.BytesIO(hostile.VARIANTS["interlaced"](SAMPLE)))
    assert interlaced.read(FIRST)[28] == 1  # IHDR interlace method: Adam7
    palette = zipfile.ZipFile(io.BytesIO(hostile.VARIANTS["palette"](SAMPLE)))
    assert Image.open(io.BytesIO(palette.read(FIRST))).mode == "P"


def test_every_expected_code_is_a_code_of_the_scoring_core():
    from evaluation.errors import ERROR_CODES

    allowed = set(ERROR_CODES) | {"invalid"}  # "invalid": the API's own form validation (an empty file)
    assert {code for case in hostile.CASES for code in case.codes} - allowed == set()
