"""One test per way a PNG prediction is refused: the exact code and an actionable message."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation import SubmissionFormatError, make_synthetic, score_archive
from evaluation.errors import ERROR_CODES

from .builders import chunk, pillow_png, png_bytes
from .rejection_cases import good_members, refused, write

# --- the PNG files ----------------------------------------------------------------------------


def with_member(name: str, data: bytes) -> dict[str, bytes]:
    return good_members() | {name: data}


def test_not_a_png(gt_dir: Path, tmp_path: Path) -> None:
    refused(
        gt_dir,
        write(tmp_path, with_member("img_a.png", b"GIF89a....")),
        "not_png",
        "'img_a.png'",
        "GIF",
        "Save every prediction as a PNG",
    )


def test_jpeg_named_png(gt_dir: Path, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("L", (8, 6)).save(buffer, format="JPEG")
    refused(
        gt_dir,
        write(tmp_path, with_member("img_a.png", buffer.getvalue())),
        "not_png",
        "'img_a.png' is a JPEG image renamed to .png",
    )


def test_empty_png(gt_dir: Path, tmp_path: Path) -> None:
    refused(gt_dir, write(tmp_path, with_member("img_a.png", b"")), "not_png", "empty")


def test_truncated_png(gt_dir: Path, tmp_path: Path) -> None:
    data = pillow_png(np.arange(48, dtype=np.uint8).reshape(6, 8))
    refused(
        gt_dir,
        write(tmp_path, with_member("img_a.png", data[: len(data) // 2])),
        "truncated_png",
        "'img_a.png' is truncated",
    )


def test_truncated_png_names_its_chunk_as_text(gt_dir: Path, tmp_path: Path) -> None:
    data = pillow_png(np.arange(48, dtype=np.uint8).reshape(6, 8))
    error = refused(gt_dir, write(tmp_path, with_member("img_a.png", data[:-20])), "truncated_png")
    assert error.message == (
        "'img_a.png' is truncated: its IDAT chunk runs past the end of the file. "
        "Write the file again and create the archive again."
    )


def test_png_without_iend(gt_dir: Path, tmp_path: Path) -> None:
    data = png_bytes(np.ones((6, 8), np.uint8), iend=False)
    refused(gt_dir, write(tmp_path, with_member("img_a.png", data)), "truncated_png", "before its IEND chunk")


def test_png_whose_image_data_is_cut(gt_dir: Path, tmp_path: Path) -> None:
    data = png_bytes(np.ones((6, 8), np.uint8))
    idat_start = data.index(b"IDAT") - 4
    compressed = zlib.compress(b"\x00" + b"\x01" * 8)  # one row of six
    broken = data[:idat_start] + chunk(b"IDAT", compressed) + chunk(b"IEND", b"")
    refused(gt_dir, write(tmp_path, with_member("img_a.png", broken)), "truncated_png", "img_a.png")


def test_png_with_a_damaged_header(gt_dir: Path, tmp_path: Path) -> None:
    data = bytearray(pillow_png(np.ones((6, 8), np.uint8)))
    data[29] ^= 0xFF  # the IHDR checksum
    refused(gt_dir, write(tmp_path, with_member("img_a.png", bytes(data))), "corrupt_png", "checksum")


@pytest.mark.parametrize(
    ("mode", "fragment"),
    [("I;16", "16-bit"), ("RGB", "RGB PNG"), ("RGBA", "RGBA PNG"), ("LA", "LA PNG"), ("1", "1-bit")],
)
def test_pngs_that_are_not_label_maps(gt_dir: Path, tmp_path: Path, mode: str, fragment: str) -> None:
    data = pillow_png(np.ones((6, 8), np.uint8), mode=mode)
    error = refused(
        gt_dir, write(tmp_path, with_member("img_a.png", data)), "unsupported_png_mode", "'img_a.png'", fragment
    )
    assert "8-bit single-channel" in error.message


def test_four_bit_grayscale(gt_dir: Path, tmp_path: Path) -> None:
    data = png_bytes(np.ones((6, 8), np.uint8), bit_depth=4)
    refused(gt_dir, write(tmp_path, with_member("img_a.png", data)), "unsupported_png_mode", "4-bit grayscale")


def test_pixel_limit_before_decoding(gt_dir: Path, tmp_path: Path) -> None:
    # The header declares 20000 x 20000; the data is a few bytes that would inflate to 400 MB.
    header = png_bytes(np.zeros((1, 1), np.uint8), width=20000, height=20000)
    refused(gt_dir, write(tmp_path, with_member("img_a.png", header)), "image_too_large", "20000 x 20000", "40,000,000")


def test_size_mismatch(gt_dir: Path, tmp_path: Path) -> None:
    data = pillow_png(np.ones((6, 9), np.uint8))
    error = refused(
        gt_dir, write(tmp_path, with_member("img_a.png", data)), "size_mismatch", "9 x 6", "8 x 6", "nothing is resized"
    )
    assert "swapped" not in error.message


def test_size_mismatch_says_swapped(gt_dir: Path, tmp_path: Path) -> None:
    data = pillow_png(np.ones((8, 6), np.uint8))
    refused(gt_dir, write(tmp_path, with_member("img_a.png", data)), "size_mismatch", "width and height are swapped")


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ([0, 3, 255], ["255", "255 was used for background", "write 0"]),
        ([1, 201], ["201", "shifted up by one", "reduce_zero_label"]),
        ([0, 255], ["0..1 (binary) map scaled to 0/255"]),
        (list(np.linspace(0, 255, 48).astype(int)), ["score or probability map"]),
        ([0, 210], ["210", "class label 0..200"]),
    ],
)
def test_labels_out_of_range_name_the_cause(
    gt_dir: Path, tmp_path: Path, values: list[int], fragments: list[str]
) -> None:
    pixels = np.resize(np.array(values, np.uint8), 48).reshape(6, 8)
    refused(
        gt_dir,
        write(tmp_path, with_member("img_a.png", pillow_png(pixels))),
        "labels_out_of_range",
        "'img_a.png'",
        "(0..200)",
        *fragments,
    )


def test_track_2_out_of_range_and_unlabeled_255(tmp_path: Path) -> None:
    folder = tmp_path / "gt2"
    folder.mkdir()
    Image.fromarray(np.full((4, 4), 3, np.uint8)).save(folder / "a.png")
    path = write(tmp_path, {"a.png": pillow_png(np.array([[3, 255] * 8], np.uint8).reshape(4, 4))})
    with pytest.raises(SubmissionFormatError) as caught:
        score_archive(2, folder, path)
    assert caught.value.code == "labels_out_of_range"
    assert "(0..150)" in caught.value.message and "unlabeled" in caught.value.message


def test_first_bad_image_in_name_order_is_reported_whatever_the_workers(tmp_path: Path) -> None:
    made = make_synthetic(2, 10, tmp_path / "synth")
    with zipfile.ZipFile(made.pred_zip) as source:  # type: ignore[arg-type]
        content = {name: source.read(name) for name in source.namelist()}
    content["predictions/ADE_test_00000009.png"] = b"junk"
    content["predictions/ADE_test_00000004.png"] = b"GIF89a"
    path = write(tmp_path, content)
    for workers in (1, 2):
        with pytest.raises(SubmissionFormatError) as caught:
            score_archive(2, made.gt_dir, path, workers=workers)
        assert caught.value.member == "predictions/ADE_test_00000004.png" and "GIF" in caught.value.message


def test_every_code_is_tested() -> None:
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_rejections_*.py"))
    untested = [code for code in ERROR_CODES if f'"{code}"' not in source]
    assert not untested


@pytest.mark.parametrize(
    ("depth", "color", "expected"),
    [
        (16, 0, "'m.png' is a 16-bit PNG (mode L;16); rescale the map to 0..255 first"),
        (1, 0, "'m.png' is a 1-bit black-and-white PNG (mode '1'), which cannot hold a localization map 0..255; "),
        (
            4,
            0,
            "'m.png' is a 4-bit grayscale PNG; save the localization map as an 8-bit single-channel PNG of values 0..255",
        ),
        (8, 4, "'m.png' is an LA PNG with alpha channels (a visualization?); save the localization map"),
    ],
)
def test_track3_mode_messages_speak_of_a_localization_map(depth: int, color: int, expected: str) -> None:
    from evaluation import TRACKS
    from evaluation.messages import png_problem_message
    from evaluation.png import PngHeader, PngProblem, check_label_header

    with pytest.raises(PngProblem) as caught:
        check_label_header(PngHeader(4, 3, depth, color, False), max_pixels=100)
    message = png_problem_message("m.png", caught.value, TRACKS[3])
    assert message.startswith(expected) and "label" not in message, message
    if depth == 16:
        assert "casting a 16-bit map to uint8 wraps every value above 255 around" in message
    # tracks 1-2 keep speaking of labels
    assert "label map" in png_problem_message("m.png", caught.value, TRACKS[1])
