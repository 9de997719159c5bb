"""Packing and checking ground truth, for organizers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation import GroundTruthError, open_ground_truth, pack_ground_truth

from .builders import pillow_png


def folder_of(tmp_path: Path, images: dict[str, bytes]) -> Path:
    folder = tmp_path / "gt"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (folder / name).write_bytes(data)
    return folder


def labels(values: list[int], shape: tuple[int, int] = (3, 4)) -> bytes:
    return pillow_png(np.resize(np.array(values, np.uint8), shape[0] * shape[1]).reshape(shape))


def test_pack_and_read_back(tmp_path: Path) -> None:
    a = np.array([[0, 1, 255], [200, 3, 3]], np.uint8)
    source = folder_of(tmp_path, {"b.png": pillow_png(a), "a.png": pillow_png(a.T.copy(), "P")})
    info = pack_ground_truth(1, source, tmp_path / "store")
    store = open_ground_truth(tmp_path / "store", track=1)
    assert info.names == ("a", "b") and store.names == ["a", "b"] and info.image_count == 2
    assert store.shape_of("a") == (3, 2) and np.array_equal(store.labels("b"), a)
    assert np.array_equal(store.histogram("b")[[0, 3, 255]], [1, 2, 1])
    assert info.checksum == store.checksum == open_ground_truth(source, 1).checksum


def test_track3_store_keeps_one_bit_per_pixel(tmp_path: Path) -> None:
    mask = np.zeros((5, 7), np.uint8)
    mask[1:3, 2:6] = 255
    source = folder_of(tmp_path, {"x.png": pillow_png(mask)})
    pack_ground_truth(3, source, tmp_path / "store")
    assert (tmp_path / "store" / "labels.bin").stat().st_size == (35 + 7) // 8
    assert np.array_equal(open_ground_truth(tmp_path / "store").labels("x"), (mask != 0).astype(np.uint8))


def test_checksum_depends_on_content_not_encoding(tmp_path: Path) -> None:
    a = np.array([[0, 1], [2, 3]], np.uint8)
    first = pack_ground_truth(2, folder_of(tmp_path / "1", {"a.png": pillow_png(a)}), tmp_path / "s1").checksum
    second = pack_ground_truth(
        2, folder_of(tmp_path / "2", {"a.png": pillow_png(a, "P", optimize=True)}), tmp_path / "s2"
    ).checksum
    changed = pack_ground_truth(2, folder_of(tmp_path / "3", {"a.png": pillow_png(a + 1)}), tmp_path / "s3").checksum
    assert first == second != changed


def test_pack_from_a_zip(tmp_path: Path) -> None:
    source = tmp_path / "gt.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("gt/a.png", labels([1, 2]))
    assert pack_ground_truth(2, source, tmp_path / "store").names == ("a",)


@pytest.mark.parametrize(
    ("track", "image", "fragment"),
    [
        (1, labels([0, 201]), "values not allowed in track 1: 201"),
        (2, labels([0, 151, 255]), "values not allowed in track 2: 151, 255"),
        (1, pillow_png(np.zeros((2, 2), np.uint8), "RGB"), "RGB PNG"),
        (1, pillow_png(np.zeros((2, 2), np.uint8), "I;16"), "16-bit"),
        (3, b"not a png", "not a PNG"),
    ],
)
def test_bad_ground_truth_is_explained(tmp_path: Path, track: int, image: bytes, fragment: str) -> None:
    source = folder_of(tmp_path, {"good.png": labels([0, 1]), "bad.png": image})
    with pytest.raises(GroundTruthError) as caught:
        pack_ground_truth(track, source, tmp_path / "store")
    assert "bad.png" in str(caught.value) and fragment in str(caught.value)
    assert not (tmp_path / "store").exists()


def test_names_differing_only_in_case(tmp_path: Path) -> None:
    source = folder_of(tmp_path, {"a.png": labels([1]), "A.png": labels([1])})
    with pytest.raises(GroundTruthError, match="differ only in case"):
        pack_ground_truth(2, source, tmp_path / "store")


def test_other_files_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(GroundTruthError, match="not '<image id>.png' files"):
        pack_ground_truth(2, folder_of(tmp_path, {"a.png": labels([1]), "notes.txt": b"x"}), tmp_path / "s")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GroundTruthError, match="no ground-truth PNG"):
        pack_ground_truth(2, empty, tmp_path / "s")


def test_store_replaces_a_store_but_not_other_folders(tmp_path: Path) -> None:
    source = folder_of(tmp_path, {"a.png": labels([1])})
    pack_ground_truth(2, source, tmp_path / "store")
    pack_ground_truth(2, source, tmp_path / "store")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "precious.txt").write_text("keep")
    with pytest.raises(GroundTruthError, match="not a ground-truth store"):
        pack_ground_truth(2, source, tmp_path / "other")
    assert (tmp_path / "other" / "precious.txt").exists()


def test_track_must_match(tmp_path: Path) -> None:
    pack_ground_truth(2, folder_of(tmp_path, {"a.png": labels([1])}), tmp_path / "store")
    with pytest.raises(GroundTruthError, match="not track 1"):
        open_ground_truth(tmp_path / "store", track=1)
    with pytest.raises(GroundTruthError, match="say which track"):
        open_ground_truth(tmp_path / "gt")


def test_folder_ground_truth_checks_values_when_read(tmp_path: Path) -> None:
    Image.fromarray(np.array([[7, 250]], np.uint8)).save(folder_of(tmp_path, {}) / "a.png")
    truth = open_ground_truth(tmp_path / "gt", track=1)
    with pytest.raises(GroundTruthError, match="250"):
        truth.labels("a")
