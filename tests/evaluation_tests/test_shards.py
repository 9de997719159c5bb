"""Shards of a submission saved whole, read back and merged: bit-identical to one pass, all tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation import (
    TRACKS,
    PerImageStats,
    ScoreResult,
    bootstrap_interval,
    bootstrap_sums,
    check_archive,
    load_result,
    load_shard,
    make_synthetic,
    merge_results,
    merge_shards,
    open_ground_truth,
    pack_ground_truth,
    save_result,
    score_archive,
    shard_ranges,
)
from evaluation.bootstrap import BLOCK
from evaluation.synth import SyntheticSet

COUNT = 11


@pytest.fixture(scope="module", params=[1, 2, 3])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SyntheticSet:
    out = tmp_path_factory.mktemp(f"track{request.param}")
    made = make_synthetic(request.param, COUNT, out, seed=3)
    pack_ground_truth(request.param, made.gt_dir, out / "store")
    return made


def test_shard_ranges_are_contiguous_cover_everything_and_differ_by_at_most_one() -> None:
    assert shard_ranges(11, 4) == [(0, 4), (4, 8), (8, 11)]  # ceil(11 / 4) = 3 shards: 4 + 4 + 3
    assert shard_ranges(8, 4) == [(0, 4), (4, 8)]
    assert shard_ranges(1, 4) == [(0, 1)]
    assert shard_ranges(21_120, 2_000)[-1] == (19_200, 21_120)  # 11 shards of 1,920
    with pytest.raises(ValueError):
        shard_ranges(5, 0)


def test_saved_shards_merge_bit_identically_to_one_pass(made: SyntheticSet, tmp_path: Path) -> None:
    store = Path(made.gt_dir).parent / "store"
    truth = open_ground_truth(store)
    whole = score_archive(made.track, truth, made.pred_zip)
    listing = check_archive(made.pred_zip, expected_names=truth.names, shape_of=truth.shape_of)
    parts = []
    for index, (start, stop) in enumerate(shard_ranges(len(truth.names), 4)):
        part = score_archive(made.track, truth, made.pred_zip, names=truth.names[start:stop], listing=listing)
        save_result(part, tmp_path / f"{index}.npz")
        parts.append(load_result(tmp_path / f"{index}.npz"))
    merged = merge_results(parts)
    assert merged.metrics() == sum(parts, ScoreResult(made.track, [])).metrics()  # the same as pairwise merges
    assert merged.names == whole.names
    assert merged.metrics() == whole.metrics()  # every metric, per class, the curves, the diagnosis
    if made.track == 3:
        fields = ("curves", "pixel_intersection", "pixel_union")
        assert merged.counts is not None and whole.counts is not None
        assert all(np.array_equal(a, b) for a, b in zip(merged.counts, whole.counts, strict=True))
    else:
        fields = ("confusion", "intersection", "union")
    for field in fields:
        a, b = getattr(merged, field), getattr(whole, field)
        assert a.dtype == b.dtype and np.array_equal(a, b), field
    a, b = merged.per_image, whole.per_image
    assert a.names == b.names
    for field in ("intersection", "union", "curves"):
        assert (getattr(a, field) is None and getattr(b, field) is None) or np.array_equal(
            getattr(a, field), getattr(b, field)
        ), field


def test_shards_carry_their_part_of_the_interval_and_of_the_statistics_file(made: SyntheticSet, tmp_path: Path) -> None:
    # What the server's merge writes (the statistics file's arrays, the interval) is bit for bit
    # what one pass computes, though the shards computed it apart.
    truth = open_ground_truth(Path(made.gt_dir).parent / "store")
    whole = score_archive(made.track, truth, made.pred_zip)
    shards = []
    for index, (start, stop) in enumerate(shard_ranges(len(truth.names), 4)):
        part = score_archive(made.track, truth, made.pred_zip, names=truth.names[start:stop])
        save_result(part, tmp_path / f"{index}.npz", first_index=start, resamples=300, seed=2)
        shards.append(load_shard(tmp_path / f"{index}.npz"))
    merged = merge_shards(shards)
    assert merged.result.metrics() == whole.metrics()
    arrays, stored = whole.stored_per_image()
    assert sorted(merged.stored) == sorted(arrays)
    for key, value in arrays.items():
        assert merged.stored[key].dtype == value.dtype and np.array_equal(merged.stored[key], value), key
    assert merged.bootstrap.images == len(truth.names)
    assert merged.bootstrap.interval(0.9) == bootstrap_interval(
        stored, made.track, resamples=300, seed=2, confidence=0.9
    )


def test_bootstrap_sums_of_ranges_across_blocks_add_up_to_the_whole_exactly() -> None:
    rng = np.random.default_rng(4)
    count = 2 * BLOCK + 500
    inter = rng.integers(0, 50_000, size=(count, 201))
    union = inter + rng.integers(0, 50_000, size=(count, 201))
    curves = rng.integers(0, 65536, size=(count, 256)) / 65535
    for track, make in (
        (
            1,
            lambda a, b: PerImageStats(
                1, tuple(f"{i:05}" for i in range(a, b)), intersection=inter[a:b], union=union[a:b]
            ),
        ),
        (3, lambda a, b: PerImageStats(3, tuple(f"{i:05}" for i in range(a, b)), curves=curves[a:b])),
    ):
        whole = bootstrap_sums(make(0, count), track, resamples=50)
        cuts = [0, 700, BLOCK, BLOCK + 1, 2 * BLOCK + 13, count]  # inside a block, on its edge, across two
        parts = [
            bootstrap_sums(make(a, b), track, first_index=a, resamples=50) for a, b in zip(cuts, cuts[1:], strict=False)
        ]
        added = sum(parts[1:], parts[0])
        assert np.array_equal(added.first, whole.first) and np.array_equal(added.second, whole.second)
        assert added.images == count and added.interval() == whole.interval()


def test_merging_shards_without_their_bootstrap_part_is_refused(tmp_path: Path) -> None:
    save_result(ScoreResult(3, ["a"], curves=np.full((1, 256), 0.5)), tmp_path / "old.npz")
    with pytest.raises(ValueError, match="first_index"):
        merge_shards([load_shard(tmp_path / "old.npz")])


def test_a_result_with_its_own_scored_classes_and_no_counts_round_trips(tmp_path: Path) -> None:
    spec = TRACKS[1].with_scored_classes(range(1, 201))
    conf = np.zeros((201, 201), np.int64)
    conf[3, 3], conf[3, 0] = 7, 2**40  # a count beyond uint32 stays exact
    save_result(ScoreResult(spec, ["a"], confusion=conf), tmp_path / "r.npz")
    loaded = load_result(tmp_path / "r.npz")
    assert loaded.spec == spec and loaded.confusion[3, 0] == 2**40 and loaded.confusion[3, 3] == 7
    curves = np.array([np.linspace(0, 1, 256) / 3])
    save_result(ScoreResult(3, ["x"], curves=curves), tmp_path / "c.npz")
    again = load_result(tmp_path / "c.npz")
    assert again.counts is None and np.array_equal(again.curves, curves)


def test_merging_refuses_overlapping_images_other_tracks_and_nothing() -> None:
    with pytest.raises(ValueError, match="share images"):
        merge_results([ScoreResult(3, ["a"]), ScoreResult(3, ["a"])])
    with pytest.raises(ValueError, match="different tracks"):
        merge_results([ScoreResult(1, ["a"]), ScoreResult(2, ["b"])])
    with pytest.raises(ValueError, match="no result"):
        merge_results([])


def test_another_file_is_not_read_as_a_result(tmp_path: Path) -> None:
    ScoreResult(3, ["a"]).save_per_image(tmp_path / "stats.npz")
    with pytest.raises(ValueError, match="not a saved score result"):
        load_result(tmp_path / "stats.npz")
