"""The metrics of SPEC section 2: hand-computed tiny cases, and loop references on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation import TRACKS, ScoreResult, accelerators
from evaluation.kernels import SegmentationAccumulator, localization_histograms, localization_image
from evaluation.metrics import (
    confusion_matrix,
    iou_threshold_curve,
    joint_histogram,
    joint_histogram_from_mismatches,
    peak,
    segmentation_scores,
)


def seg_result(track: int, pairs: list[tuple[np.ndarray, np.ndarray]], spec: object = None) -> dict[str, object]:
    chosen = spec or TRACKS[track]
    accumulator = SegmentationAccumulator(chosen)  # type: ignore[arg-type]
    inter, union = [], []
    for gt, pred in pairs:
        i, u = accumulator.add(gt, np.bincount(gt.ravel(), minlength=256), pred)
        inter.append(i)
        union.append(u)
    names = [f"img{k}" for k in range(len(pairs))]
    result = ScoreResult(
        chosen, names, confusion=accumulator.confusion(), intersection=np.array(inter), union=np.array(union)
    )  # type: ignore[arg-type]
    return result.metrics()


# --- tracks 1-2, by hand ------------------------------------------------------------------------

GT1 = np.array([[0, 0, 1], [1, 1, 255]], np.uint8)
PRED1 = np.array([[0, 1, 1], [1, 2, 0]], np.uint8)


def test_track1_by_hand() -> None:
    m = seg_result(1, [(GT1, PRED1)])
    # 5 scored pixels (255 left out, so its prediction 0 is no false positive).
    # class 0: TP 1, FN 1 (predicted 1), FP 0 -> IoU 1/2, accuracy 1/2
    # class 1: TP 2, FP 1, FN 1 (predicted 2) -> IoU 2/4, accuracy 2/3
    # class 2: TP 0, FP 1 -> IoU 0, accuracy undefined (no pixel)
    assert m["per_class_iou"][:4] == [0.5, 0.5, 0.0, None]
    assert m["per_class_accuracy"][:3] == [0.5, pytest.approx(2 / 3), None]
    assert m["mean_iou"] == pytest.approx((0.5 + 0.5 + 0.0) / 3)
    assert m["mean_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert m["pixel_accuracy"] == pytest.approx(3 / 5)  # TP 1 + 2 over 5 scored pixels


def test_track1_without_background_is_configurable() -> None:
    m = seg_result(1, [(GT1, PRED1)], TRACKS[1].with_scored_classes(range(1, 201)))
    assert m["mean_iou"] == pytest.approx((0.5 + 0.0) / 2)  # classes 1 and 2 only
    assert m["mean_accuracy"] == pytest.approx(2 / 3)  # class 2 has no pixel: left out
    assert m["pixel_accuracy"] == pytest.approx(3 / 5)  # every scored pixel still counts
    assert m["per_class_iou"][0] == 0.5  # still reported


def test_track2_by_hand() -> None:
    gt = np.array([[0, 5, 5, 7]], np.uint8)
    pred = np.array([[9, 5, 0, 7]], np.uint8)
    m = seg_result(2, [(gt, pred)])
    # pixel 0 is unlabeled: left out (its 9 is no false positive of class 9)
    # pixel 2: 0 on a labelled pixel -> FN of class 5, FP of no scored class
    # class 5: TP 1, FN 1 -> IoU 1/2; class 7: TP 1 -> IoU 1; class 9: empty -> NaN
    assert m["per_class_iou"][5] == 0.5 and m["per_class_iou"][7] == 1.0 and m["per_class_iou"][9] is None
    assert m["per_class_iou"][0] is None and m["per_class_accuracy"][0] is None
    assert m["mean_iou"] == pytest.approx(0.75)
    assert m["mean_accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert m["pixel_accuracy"] == pytest.approx(2 / 3)


def test_dataset_level_not_mean_of_images() -> None:
    # image 1: class 1 perfect on 1 pixel; image 2: class 1 has 3 pixels, 1 found.
    a = (np.array([[1]], np.uint8), np.array([[1]], np.uint8))
    b = (np.array([[1, 1, 1]], np.uint8), np.array([[1, 0, 0]], np.uint8))
    m = seg_result(2, [a, b])
    assert m["per_class_iou"][1] == pytest.approx(2 / 4)  # (1 + 1) / (1 + 3), not (1 + 1/3) / 2


def test_all_scored_classes_nan_gives_none() -> None:
    m = seg_result(1, [(np.full((2, 2), 255, np.uint8), np.zeros((2, 2), np.uint8))])
    assert m["mean_iou"] is None and m["mean_accuracy"] is None and m["pixel_accuracy"] is None


def test_segmentation_scores_nan_rules() -> None:
    conf = np.zeros((3, 3), np.int64)
    conf[1, 2] = 4  # class 1 never found, class 2 only false positives, class 0 empty
    s = segmentation_scores(conf, [0, 1, 2])
    assert math.isnan(s["iou"][0]) and s["iou"][1] == 0 and s["iou"][2] == 0  # type: ignore[index]
    assert s["mean_iou"] == 0 and s["mean_accuracy"] == 0 and s["pixel_accuracy"] == 0


# --- track 3, by hand ---------------------------------------------------------------------------


def test_track3_curve_by_hand() -> None:
    mask = np.array([[1, 1, 0, 0]], np.uint8)
    score_map = np.array([[200, 100, 100, 0]], np.uint8)
    curve = iou_threshold_curve(mask, score_map)
    # t=0: all 4 foreground, I=2, U=4; t=1..100: 3 foreground, I=2, U=3;
    # t=101..200: 1 foreground, I=1, U=2; t>200: none, I=0, U=2
    assert curve[0] == 0.5 and curve[1] == curve[100] == pytest.approx(2 / 3)
    assert curve[101] == curve[200] == 0.5 and curve[201] == curve[255] == 0.0
    assert peak(curve) == (pytest.approx(2 / 3), 1)


def test_track3_empty_union_counts_one_and_pixel_variant() -> None:
    first = localization_image(np.array([[1, 1, 0, 0]], np.uint8), np.array([[200, 100, 100, 0]], np.uint8))
    second = localization_image(np.zeros((1, 4), np.uint8), np.zeros((1, 4), np.uint8))
    # image 2 has no object: t=0 makes all 4 pixels foreground (IoU 0/4); t>=1 nothing (IoU 1)
    assert second[0][0] == 0.0 and second[0][1] == 1.0
    result = ScoreResult(
        TRACKS[3],
        ["a", "b"],
        curves=np.array([first[0], second[0]]),
        pixel_intersection=first[1] + second[1],
        pixel_union=first[2] + second[2],
    )
    m = result.metrics()
    # mean curve: t=0 (1/2 + 0)/2; t=1..100 (2/3 + 1)/2; t=101..200 (1/2 + 1)/2; t>200 (0 + 1)/2
    assert (
        m["curve"][0] == 0.25
        and m["curve"][50] == pytest.approx(5 / 6)
        and m["curve"][150] == 0.75
        and m["curve"][255] == 0.5
    )
    assert m["peak_iou"] == pytest.approx(5 / 6) and m["peak_threshold"] == 1
    # pixel variant: t=0 (2+0)/(4+4); t=1..100 2/(3+0); t=101..200 1/(2+0); t>200 0/(2+0)
    assert (
        m["curve_pixel"][0] == 0.25
        and m["curve_pixel"][50] == pytest.approx(2 / 3)
        and m["curve_pixel"][150] == 0.5
        and m["curve_pixel"][255] == 0.0
    )


def test_peak_threshold_is_the_smallest() -> None:
    assert peak(np.array([0.1, 0.7, 0.3, 0.7])) == (0.7, 1)


# --- loop references on random inputs -----------------------------------------------------------


def loop_confusion(gt: np.ndarray, pred: np.ndarray, track: int) -> np.ndarray:
    size = TRACKS[track].num_classes
    ignore = TRACKS[track].ignore_label
    conf = np.zeros((size, size), np.int64)
    for g, p in zip(gt.ravel().tolist(), pred.ravel().tolist(), strict=True):
        if g != ignore:
            conf[g, p] += 1
    return conf


def loop_mean_iou(conf: np.ndarray, classes: list[int]) -> float:
    values = []
    for c in classes:
        union = conf[c, :].sum() + conf[:, c].sum() - conf[c, c]
        if union:
            values.append(conf[c, c] / union)
    return sum(values) / len(values)


def loop_curve(mask: np.ndarray, score_map: np.ndarray) -> list[float]:
    curve = []
    for t in range(256):
        foreground = score_map >= t
        inter = int(np.logical_and(foreground, mask).sum())
        union = int(np.logical_or(foreground, mask).sum())
        curve.append(inter / union if union else 1.0)
    return curve


def random_pair(rng: np.random.Generator, track: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    size = TRACKS[track].num_classes
    classes = rng.choice(np.arange(size), size=4, replace=False)
    gt = rng.choice(classes, size=shape).astype(np.uint8)
    if track == 1:
        gt[rng.random(shape) < 0.1] = 255
    pred = np.where(rng.random(shape) < 0.6, gt, rng.choice(classes, size=shape)).astype(np.uint8)
    if track == 1:
        pred[pred == 255] = 0
    return gt, pred


@pytest.mark.parametrize("track", [1, 2])
def test_segmentation_against_a_loop_reference(track: int, route: str) -> None:
    rng = np.random.default_rng(track)
    pairs = [random_pair(rng, track, (int(rng.integers(1, 30)), int(rng.integers(1, 30)))) for _ in range(25)]
    total = sum(loop_confusion(g, p, track) for g, p in pairs)
    m = seg_result(track, pairs)
    assert m["mean_iou"] == pytest.approx(loop_mean_iou(total, list(TRACKS[track].scored_classes)), abs=1e-12)
    assert m["pixel_accuracy"] == pytest.approx(np.trace(total) / total.sum(), abs=1e-12)
    for g, p in pairs:
        assert np.array_equal(confusion_matrix(g, p, TRACKS[track]), loop_confusion(g, p, track))
        assert np.array_equal(
            joint_histogram_from_mismatches(g, p, np.bincount(g.ravel(), minlength=256)), joint_histogram(g, p)
        )


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), height=st.integers(1, 12), width=st.integers(1, 12), levels=st.integers(1, 256))
def test_track3_against_the_threshold_loop(route: str, seed: int, height: int, width: int, levels: int) -> None:
    rng = np.random.default_rng(seed)
    mask = (rng.random((height, width)) < rng.random()).astype(np.uint8)
    score_map = rng.integers(0, levels, (height, width)).astype(np.uint8)
    expected = loop_curve(mask, score_map)
    assert np.allclose(localization_image(mask, score_map)[0], expected, rtol=0, atol=1e-15)
    packed = localization_image(np.packbits(mask.ravel()), score_map, packed=True)[0]  # as a store holds it
    assert np.allclose(packed, expected, rtol=0, atol=1e-15)


def test_track3_histograms_of_region_masks(route: str) -> None:
    # an object is a region: most packed mask bytes are all object or all background, which the
    # compiled loop counts without taking their bits apart; the bytes on the region's edges are mixed
    rng = np.random.default_rng(5)
    for height, width in ((37, 53), (8, 8), (1, 9), (3, 24)):
        mask = np.zeros((height, width), np.uint8)
        mask[height // 4 : 3 * height // 4 + 1, width // 3 :] = 1
        score_map = rng.integers(0, 256, (height, width)).astype(np.uint8)
        counts = localization_histograms(np.packbits(mask.ravel()), score_map, packed=True)
        codes = mask.ravel().astype(np.int64) * 256 + score_map.ravel()
        assert np.array_equal(counts, np.bincount(codes, minlength=512).reshape(2, 256)), (height, width)


def test_track3_histograms_of_a_large_image_by_hand(route: str) -> None:
    # 1003 x 7 pixels (not a multiple of 8): object where the column is < 3; score = column * 40
    mask = np.zeros((1003, 7), np.uint8)
    mask[:, :3] = 1
    score_map = np.tile((np.arange(7) * 40).astype(np.uint8), (1003, 1))
    _, inter, union = localization_image(mask, score_map)
    # t = 41: the map is >= 41 in columns 2..6; intersection = column 2; union = columns 0..6
    assert int(inter[41]) == 1003 and int(union[41]) == 7 * 1003
    # t = 81: columns 3..6 predicted, none of them object; union = object (3 columns) + 4 columns
    assert int(inter[81]) == 0 and int(union[81]) == 7 * 1003
    # t = 241: nothing predicted; union = the object
    assert int(inter[241]) == 0 and int(union[241]) == 3 * 1003


def test_per_image_stats_sum_to_the_confusion_matrix(route: str) -> None:
    rng = np.random.default_rng(9)
    accumulator = SegmentationAccumulator(TRACKS[1])
    inter_sum = np.zeros(201, np.int64)
    union_sum = np.zeros(201, np.int64)
    for _ in range(10):
        gt, pred = random_pair(rng, 1, (20, 20))
        i, u = accumulator.add(gt, np.bincount(gt.ravel(), minlength=256), pred)
        inter_sum += i
        union_sum += u
    conf = accumulator.confusion()
    assert np.array_equal(inter_sum, np.diag(conf))
    assert np.array_equal(union_sum, conf.sum(0) + conf.sum(1) - np.diag(conf))


def test_compiled_loops_refuse_what_would_index_out_of_bounds() -> None:
    # the loops skip index checks for speed, so they test their inputs' sizes and values themselves
    kernels = accelerators.jit()
    assert kernels is not None
    pairs, inter, union = np.zeros((256, 256), np.int64), np.zeros(256, np.int64), np.zeros(256, np.int64)
    truth = np.array([0, 1, 2], np.uint8)
    assert not kernels.count_label_runs(truth, np.array([0, 1], np.uint8), 255, pairs, inter, union)
    assert not kernels.count_label_runs(truth, truth, 255, pairs[:201, :201], inter, union)  # not 256 x 256
    assert not kernels.count_label_runs(truth, truth, 255, pairs, inter[:201], union)
    assert not (pairs.any() or inter.any() or union.any())
    rows, out = np.array([[0, 1, 250]], np.uint8), np.empty((1, 2), np.uint8)
    assert kernels.score_label_image(rows, out, truth[:2], 201, 255, pairs, inter, union) == kernels.LABEL_TOO_LARGE
    assert out.tolist() == [[1, 250]] and not pairs.any()
    assert kernels.score_label_image(rows, out, truth, 256, 255, pairs, inter, union) == kernels.BAD_INPUT
    assert kernels.score_label_image(
        np.array([[9, 1, 1]], np.uint8), out, truth[:2], 201, 255, pairs, inter, union
    ) == (kernels.BAD_FILTER)
    assert not (pairs.any() or inter.any() or union.any())
    counts = np.zeros((2, 256), np.int64)
    assert not kernels.count_localization(np.zeros(1, np.uint8), np.zeros(9, np.uint8), counts)
    assert not counts.any()
    assert not kernels.unfilter_rows_into(np.zeros((2, 5), np.uint8), np.empty((2, 3), np.uint8))
    accumulator = SegmentationAccumulator(TRACKS[1])
    accumulator.add(np.array([[0, 250]], np.uint8), np.zeros(256, np.int64), np.array([[0, 1]], np.uint8))
    with pytest.raises(ValueError, match="label >= 201"):
        accumulator.confusion()
