"""Archives as the common tools write them (SPEC section 1): every compression method and naming
habit of a valid archive is accepted, and a bomb is still stopped whatever its method."""

from __future__ import annotations

import bz2
import io
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import inflate64
import numpy as np
import pytest
from PIL import Image

from evaluation import accelerators, check_archive, score_archive

from .builders import Entry, build_zip, pillow_png
from .rejection_cases import SHAPES, good_members, refused, write


def expected_score(gt_dir: Path) -> dict[str, object]:
    return score_archive(1, gt_dir, write(gt_dir.parent, good_members())).metrics()


def zipped(tmp_path: Path, content: dict[str, bytes], method: int) -> Path:
    path = tmp_path / "tool.zip"
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def payload_of(path: Path, name: str) -> tuple[bytes, zipfile.ZipInfo]:
    """The compressed bytes of one member as a tool wrote them."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    data = path.read_bytes()
    start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    start += int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    return data[start : start + info.compress_size], info


def deflate64(data: bytes) -> bytes:
    deflater = inflate64.Deflater()
    return deflater.deflate(data) + deflater.flush()


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_python_zipfile_methods_score_like_deflate(gt_dir: Path, tmp_path: Path, method: int) -> None:
    reference = expected_score(gt_dir)
    assert score_archive(1, gt_dir, zipped(tmp_path, good_members("preds/"), method)).metrics() == reference


def test_deflate64_scores_like_deflate(gt_dir: Path, tmp_path: Path) -> None:
    entries = [Entry(name, data, method=9, payload=deflate64(data)) for name, data in good_members().items()]
    for entry in entries:
        entry.compressed_size = len(entry.payload or b"")
    assert score_archive(1, gt_dir, write(tmp_path, build_zip(entries))).metrics() == expected_score(gt_dir)


def _bomb_payload(tmp_path: Path, method: int) -> bytes:
    zeros = bytes(20_000_000)
    if method == 9:
        return deflate64(zeros)
    payload, _ = payload_of(zipped(tmp_path, {"x": zeros}, method), "x")
    return payload


@pytest.mark.parametrize(
    "method",
    [zipfile.ZIP_DEFLATED, 9, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
    ids=["deflate", "deflate64", "bzip2", "lzma"],
)
def test_a_member_that_inflates_past_its_declared_size_is_stopped_at_once(
    gt_dir: Path, tmp_path: Path, method: int
) -> None:
    # 20 MB of zeros declared as 200 bytes (within the bound): the reader stops at 201 bytes.
    members = good_members()
    entries = [Entry(name, data, method=8) for name, data in members.items()]
    payload = _bomb_payload(tmp_path, method)
    entries[0] = Entry("img_a.png", b"", method=method, payload=payload, compressed_size=len(payload), size=200, crc=0)
    path = write(tmp_path, build_zip(entries))
    accelerators.load_kernels()  # numba's own start-up is not the reader's memory
    tracemalloc.start()
    try:
        refused(gt_dir, path, "corrupt_archive", "'img_a.png' does not inflate to the size and checksum")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, peak


def test_an_lzma_member_asking_for_a_4_gib_dictionary_gets_only_what_its_size_needs(
    gt_dir: Path, tmp_path: Path
) -> None:
    members = good_members()
    entries = [Entry(name, data, method=zipfile.ZIP_LZMA) for name, data in members.items()]
    for entry in entries:
        payload, _ = payload_of(zipped(tmp_path, {"x": entry.data}, zipfile.ZIP_LZMA), "x")
        entry.payload = payload[:5] + (2**32 - 1).to_bytes(4, "little") + payload[9:]
        entry.compressed_size = len(entry.payload)
    path = write(tmp_path, build_zip(entries))
    accelerators.load_kernels()  # numba's own start-up is not the reader's memory
    tracemalloc.start()
    try:
        metrics = score_archive(1, gt_dir, path).metrics()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert metrics == expected_score(gt_dir)
    assert peak < 4_000_000, peak


def test_a_damaged_bzip2_member_is_corrupt(gt_dir: Path, tmp_path: Path) -> None:
    data = good_members()["img_a.png"]
    payload = bytearray(bz2.compress(data))
    payload[len(payload) // 2] ^= 0xFF
    entries = [Entry(name, d, method=8) for name, d in good_members().items()]
    entries[0] = Entry("img_a.png", data, method=12, payload=bytes(payload), compressed_size=len(payload))
    refused(gt_dir, write(tmp_path, build_zip(entries)), "corrupt_archive", "'img_a.png'")


@pytest.mark.parametrize(
    "names",
    [
        {f"preds\\{n}.png": f"{n}.png" for n in SHAPES},  # PowerShell 5.1 Compress-Archive
        {f"./{n}.png": f"{n}.png" for n in SHAPES},
        {f"./preds/{n}.png": f"{n}.png" for n in SHAPES},
        {f".\\preds\\{n}.png": f"{n}.png" for n in SHAPES},
    ],
    ids=["backslash", "dot-slash", "dot-slash-folder", "dot-backslash"],
)
def test_names_as_other_tools_write_them(gt_dir: Path, tmp_path: Path, names: dict[str, str]) -> None:
    members = good_members()
    content = {written: members[plain] for written, plain in names.items()}
    path = write(tmp_path, build_zip([Entry(name, data, method=8) for name, data in content.items()]))
    listing = check_archive(path, expected_names=SHAPES)
    assert sorted(listing.members) == sorted(SHAPES)
    assert score_archive(1, gt_dir, path).metrics() == expected_score(gt_dir)


def test_litter_of_every_system_is_ignored_wherever_it_sits(gt_dir: Path, tmp_path: Path) -> None:
    content = good_members("p/") | {
        "__MACOSX/p/._img_a.png": b"\x00\x05\x16\x07",
        "p/__MACOSX/x": b"junk",
        "p/._img_b.png": b"\x00\x05\x16\x07",
        "._p": b"",
        "p/.DS_Store": b"",
        ".DS_Store": b"",
        "p/Thumbs.db": b"",
        "p\\desktop.ini": b"[.ShellClassInfo]",
        "Desktop.ini": b"",
    }
    listing = check_archive(write(tmp_path, content), expected_names=SHAPES)
    assert listing.folder == "p"
    assert listing.ignored == tuple(sorted(n.replace("\\", "/") for n in content if n not in good_members("p/")))
    assert score_archive(1, gt_dir, tmp_path / "pred.zip").metrics() == expected_score(gt_dir)


def _tar(gzip: bool) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gzip else "w") as archive:
        for name, data in good_members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(("gzip", "kind"), [(False, "a tar archive"), (True, "a tar.gz archive")])
def test_a_tar_renamed_zip_is_named_as_a_tar(gt_dir: Path, tmp_path: Path, gzip: bool, kind: str) -> None:
    refused(
        gt_dir,
        write(tmp_path, _tar(gzip)),
        "not_a_zip",
        f"The upload is {kind}",
        "not a zip archive",
        "zip -r predictions.zip .",
    )


def test_an_uncompressed_png_of_a_uniform_map_is_no_bomb(tmp_path: Path) -> None:
    # The case: Pillow compress_level=0 of an all-background map, zipped with Deflate,
    # compresses about 500 times; it must score like any other archive.
    gt = tmp_path / "gt"
    gt.mkdir()
    labels = np.zeros((300, 400), np.uint8)
    labels[100:200, 100:300] = 7
    Image.fromarray(labels).save(gt / "a.png")
    prediction = pillow_png(np.zeros((300, 400), np.uint8), compress_level=0)
    path = zipped(tmp_path, {"a.png": prediction}, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("a.png")
    assert info.file_size > 400 * info.compress_size
    metrics = score_archive(1, gt, path).metrics()
    assert metrics["mean_iou"] == pytest.approx((100_000 / 120_000 + 0) / 2)


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_palette_pngs_of_few_bits_give_their_indices(tmp_path: Path, bits: int) -> None:
    gt = tmp_path / "gt"
    gt.mkdir()
    rng = np.random.default_rng(bits)
    labels = rng.integers(0, 2**bits, (5, 9)).astype(np.uint8)
    Image.fromarray(labels).save(gt / "a.png")
    image = Image.fromarray(labels).convert("P")
    image.putpalette([v for i in range(2**bits) for v in (i * 16, 255 - i * 16, i)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", bits=bits)
    assert buffer.getvalue()[24] == bits  # the IHDR's bit depth
    metrics = score_archive(1, gt, zipped(tmp_path, {"a.png": buffer.getvalue()}, zipfile.ZIP_DEFLATED)).metrics()
    assert metrics["pixel_accuracy"] == 1.0


def test_deflate64_without_inflate64_installed_is_a_sentence_not_a_traceback(
    gt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the client may install the scoring core without its optional packages
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "inflate64" else real(name, *a))
    entries = [Entry(name, data, method=9, payload=deflate64(data)) for name, data in good_members().items()]
    for entry in entries:
        entry.compressed_size = len(entry.payload or b"")
    refused(
        gt_dir,
        write(tmp_path, build_zip(entries)),
        "unsupported_compression",
        "'img_a.png' is compressed with Deflate64, which needs the inflate64 package",
        "zip -r predictions.zip .",
    )
