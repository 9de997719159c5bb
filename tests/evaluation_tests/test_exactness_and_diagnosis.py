"""Peak-Threshold ties decided exactly, the pixel curve at an empty union, and the diagnosis of
scored submissions (labels shifted by one, inverted maps), each against a direct re-scoring."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation import score_archive

ROOT = Path(__file__).resolve().parents[2]


def dataset(
    tmp_path: Path, truth: dict[str, np.ndarray], predictions: dict[str, np.ndarray], tag: str = ""
) -> tuple[Path, Path]:
    gt = tmp_path / "gt"
    gt.mkdir(exist_ok=True)
    for name, labels in truth.items():
        Image.fromarray(labels.astype(np.uint8)).save(gt / f"{name}.png")
    path = tmp_path / f"pred{tag}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, labels in predictions.items():
            image = tmp_path / "one.png"
            Image.fromarray(labels.astype(np.uint8)).save(image)
            archive.write(image, f"{name}.png")
    return gt, path


# Four one-row images (object?, map value) found by search: the exact mean IoUs at t=1 and t=2 are
# equal (and the maximum), but the float sums in name order put t=2 a unit in the last place higher.
TIE = {
    "a": [(0, 1), (1, 3), (1, 1), (0, 2), (1, 3), (0, 1)],
    "b": [(0, 3), (1, 1), (1, 2)],
    "c": [(0, 0), (0, 2), (1, 2), (0, 1)],
    "d": [(1, 0), (0, 0), (1, 3), (0, 0), (0, 1)],
}


def test_peak_threshold_ties_are_decided_on_exact_values(tmp_path: Path) -> None:
    truth = {n: np.array([[255 * o for o, _ in px]]) for n, px in TIE.items()}
    maps = {n: np.array([[v for _, v in px]]) for n, px in TIE.items()}
    gt, path = dataset(tmp_path, truth, maps)
    metrics = score_archive(3, gt, path).metrics()
    curve = metrics["curve"]
    assert curve[2] > curve[1]  # the float curve alone would say t=2 ...
    # ... but per image, t=1: 3/6 + 2/3 + 1/3 + 1/3 and t=2: 2/4 + 1/3 + 1/2 + 1/2, both 11/6.
    assert metrics["peak_threshold"] == 1
    assert metrics["peak_iou"] == curve[1]


def test_pixel_curve_is_one_where_the_summed_union_is_empty(tmp_path: Path) -> None:
    gt, path = dataset(
        tmp_path, {"a": np.zeros((2, 3)), "b": np.zeros((1, 2))}, {"a": np.zeros((2, 3)), "b": np.zeros((1, 2))}
    )
    metrics = score_archive(3, gt, path).metrics()
    assert metrics["curve_pixel"][0] == 0.0  # t=0: every pixel is foreground, no object: 0/8
    assert metrics["curve_pixel"][1:] == [1.0] * 255  # nothing to find and nothing found


def _labels(rng: np.random.Generator, low: int, high: int) -> dict[str, np.ndarray]:
    return {f"img{i}": rng.integers(low, high + 1, (6, 9)) for i in range(4)}


def test_track2_predictions_one_too_low_are_diagnosed_with_the_score_they_would_reach(tmp_path: Path) -> None:
    truth = _labels(np.random.default_rng(2), 1, 6)
    gt, shifted = dataset(tmp_path, truth, {n: t - 1 for n, t in truth.items()})
    _, fixed = dataset(tmp_path, truth, truth, "fixed")
    metrics = score_archive(2, gt, shifted).metrics()
    diagnosis = metrics["diagnosis"]
    assert metrics["mean_iou"] == 0.0
    assert diagnosis["mean_iou_labels_plus_one"] == score_archive(2, gt, fixed).metrics()["mean_iou"] == 1.0
    assert diagnosis["mean_iou_labels_minus_one"] == 0.0
    [advice] = diagnosis["advice"]
    assert (advice["code"], advice["shift"], advice["would_reach"]) == ("labels_shifted", 1, 1.0)
    assert "with every label moved up by one" in advice["message"]
    assert "mean IoU of 100.00% instead of 0.00%" in advice["message"]


def test_track1_predictions_one_too_high_are_diagnosed(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    truth = _labels(rng, 0, 7)
    for labels in truth.values():
        labels[0, :3] = 255
    noisy = {n: np.where(rng.random(t.shape) < 0.8, t, rng.integers(0, 8, t.shape)) for n, t in truth.items()}
    noisy = {n: np.where(truth[n] == 255, 3, p) for n, p in noisy.items()}
    gt, shifted = dataset(tmp_path, truth, {n: p + 1 for n, p in noisy.items()})
    _, plain = dataset(tmp_path, truth, noisy, "plain")
    diagnosis = score_archive(1, gt, shifted).metrics()["diagnosis"]
    reference = score_archive(1, gt, plain).metrics()["mean_iou"]
    assert diagnosis["mean_iou_labels_minus_one"] == reference
    assert [a["shift"] for a in diagnosis["advice"]] == [-1]
    # the plain predictions need no advice
    assert score_archive(1, gt, plain).metrics()["diagnosis"]["advice"] == []


def test_inverted_maps_are_diagnosed_with_the_peak_iou_of_255_minus_map(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    truth, maps = {}, {}
    for i in range(5):
        mask = np.zeros((8, 10), np.uint8)
        mask[2:6, 3 : 3 + i + 3] = 255
        truth[f"m{i}"] = mask
        maps[f"m{i}"] = np.clip(np.where(mask > 0, 180, 60) + rng.integers(-50, 50, mask.shape), 0, 255)
    gt, inverted = dataset(tmp_path, truth, {n: 255 - m for n, m in maps.items()})
    _, upright = dataset(tmp_path, truth, maps, "upright")
    metrics = score_archive(3, gt, inverted).metrics()
    reference = score_archive(3, gt, upright).metrics()
    diagnosis = metrics["diagnosis"]
    assert diagnosis["peak_iou_inverted"] == reference["peak_iou"]
    assert diagnosis["peak_threshold_inverted"] == reference["peak_threshold"]
    [advice] = diagnosis["advice"]
    assert advice["code"] == "inverted_maps" and "255 - map would reach a Peak-IoU of" in advice["message"]
    # and the other way round: the upright maps are not advised to be inverted
    assert reference["diagnosis"]["peak_iou_inverted"] == metrics["peak_iou"]
    assert reference["diagnosis"]["advice"] == []


def test_the_cli_json_carries_the_diagnosis(tmp_path: Path) -> None:
    truth = _labels(np.random.default_rng(4), 1, 5)
    gt, shifted = dataset(tmp_path, truth, {n: t - 1 for n, t in truth.items()})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation",
            "score",
            "--track",
            "2",
            "--gt",
            str(gt),
            "--pred",
            str(shifted),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    diagnosis = json.loads(done.stdout)["diagnosis"]
    assert diagnosis["advice"][0]["code"] == "labels_shifted"
    assert diagnosis["mean_iou_labels_plus_one"] == 1.0


def test_the_inverted_curve_is_the_same_whatever_the_chunk_of_images() -> None:
    from evaluation.diagnosis import localization_diagnosis
    from evaluation.metrics import curve_counts

    rng = np.random.default_rng(5)
    histograms = rng.integers(0, 40, (37, 2, 256))
    intersection, union = curve_counts(histograms)
    whole = localization_diagnosis(intersection, union, 0.1)
    assert localization_diagnosis(intersection, union, 0.1, chunk=5) == whole
    assert localization_diagnosis(intersection.astype(np.uint32), union.astype(np.uint32), 0.1, chunk=1) == whole
