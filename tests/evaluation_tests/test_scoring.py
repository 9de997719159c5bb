"""Scoring end to end on synthetic data: stores, shards, workers, palettes, per-image statistics."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from evaluation import (
    TRACKS,
    ScoreResult,
    accelerators,
    aot,
    bootstrap_interval,
    load_per_image,
    make_synthetic,
    open_ground_truth,
    pack_ground_truth,
    score_archive,
    scoring,
)
from evaluation.bootstrap import resample_weights
from evaluation.synth import SyntheticSet

COUNT = 12


@pytest.fixture(scope="module", params=[1, 2, 3])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SyntheticSet:
    out = tmp_path_factory.mktemp(f"track{request.param}")
    made = make_synthetic(request.param, COUNT, out, seed=7)
    pack_ground_truth(request.param, made.gt_dir, out / "store")
    return made


def store_of(made: SyntheticSet) -> Path:
    return Path(made.gt_dir).parent / "store"


def test_scores_are_mid_range(made: SyntheticSet) -> None:
    metrics = score_archive(made.track, store_of(made), made.pred_zip).metrics()  # type: ignore[arg-type]
    weak = score_archive(made.track, store_of(made), made.alt_zip).metrics()  # type: ignore[arg-type]
    key = TRACKS[made.track].key_metric
    assert 0.2 < metrics[key] < 0.95 and weak[key] < metrics[key]


def test_store_and_folder_score_identically(made: SyntheticSet) -> None:
    from_store = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    from_folder = score_archive(made.track, made.gt_dir, made.pred_zip)  # type: ignore[arg-type]
    assert from_store.metrics() == from_folder.metrics()
    assert open_ground_truth(store_of(made)).checksum == open_ground_truth(made.gt_dir, made.track).checksum


@pytest.fixture(scope="module")
def built_kernels() -> aot.AotKernels:
    """The kernels built ahead of time (as ``warm-up`` builds them; once per source and machine)."""
    if aot.load(accelerators.numba_kernels) is None:
        aot.build(accelerators.numba_kernels())
    kernels = aot.load(accelerators.numba_kernels)
    assert kernels is not None
    return kernels


def test_built_numba_and_numpy_routes_score_identically(
    made: SyntheticSet, built_kernels: aot.AotKernels, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = {}
    for route, kernels in (("built", built_kernels), ("numba", accelerators.numba_kernels()), ("numpy", None)):
        assert route == "numpy" or kernels is not None
        monkeypatch.setattr(accelerators, "jit", lambda kernels=kernels: kernels)
        results[route] = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    if made.track == 3:
        fields = ("curves", "pixel_intersection", "pixel_union")
    else:
        fields = ("confusion", "intersection", "union")
    for route in ("numba", "numpy"):
        assert results[route].metrics() == results["built"].metrics(), route
        for field in fields:
            assert np.array_equal(getattr(results[route], field), getattr(results["built"], field)), (route, field)


def test_built_kernels_hand_other_array_types_to_numba(built_kernels: aot.AotKernels) -> None:
    # the built module unpacks arrays unchecked: a view it was not built for must not reach it
    pairs, inter, union = np.zeros((256, 256), np.int64), np.zeros(256, np.int64), np.zeros(256, np.int64)
    truth, prediction = np.array([0, 1, 1, 255], np.uint8), np.array([0, 1, 2, 2], np.uint8)
    assert built_kernels.count_label_runs(truth, prediction, 255, pairs, inter, union)
    assert (inter[:3].tolist(), union[:3].tolist(), int(pairs[1, 2]), int(pairs[255, 2])) == (
        [1, 1, 0],
        [1, 2, 1],
        1,
        1,
    )
    wide = np.zeros((256, 512), np.int64)
    assert built_kernels.count_label_runs(truth, prediction, 255, wide[:, ::2], inter, union)  # strided: numba
    assert (int(wide[1, 4]), int(wide[255, 4]), inter[:3].tolist()) == (1, 1, [2, 2, 0])
    read_only = np.frombuffer(bytes(4), np.uint8).reshape(2, 2)
    with pytest.raises(Exception, match="(?i)read-?only|readonly|immutable|cannot"):
        built_kernels.unfilter_rows_into(np.zeros((2, 3), np.uint8), read_only)  # an output numba refuses too


def test_without_a_c_compiler_the_kernels_are_not_built_and_numba_scores(tmp_path: Path) -> None:
    code = (
        "from evaluation import aot, accelerators\n"
        "try:\n"
        "    aot.build(accelerators.numba_kernels())\n"
        "except RuntimeError as error:\n"
        "    print('refused:', str(error).splitlines()[0])\n"
        "print(type(accelerators.jit()).__name__, aot.module_path().exists())\n"
    )
    env = {**os.environ, "CC": "/bin/false", "NUMBA_CACHE_DIR": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    refused, route = out.stdout.splitlines()
    assert refused.startswith("refused: numba.pycc could not build the kernels") and "compiler" in refused
    assert route == "module False"  # evaluation.jit, through numba


def test_built_kernels_load_without_numba(made: SyntheticSet, built_kernels: aot.AotKernels) -> None:
    code = (
        "import sys; from evaluation import score_archive, accelerators; "
        f"r = score_archive({made.track}, {str(store_of(made))!r}, {str(made.pred_zip)!r}, workers=2); "
        "print(type(accelerators.jit()).__name__, 'numba' in sys.modules, "
        f"r.metrics()[{TRACKS[made.track].key_metric!r}])"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    expected = score_archive(made.track, store_of(made), made.pred_zip).metrics()[TRACKS[made.track].key_metric]  # type: ignore[arg-type]
    assert out.stdout.split() == ["AotKernels", "False", repr(expected)]


def test_scoring_without_numba_in_a_fresh_interpreter(made: SyntheticSet) -> None:
    # LID_SCORING_NO_JIT switches the compiled loops off; numba is then not even imported
    code = (
        "import sys; from evaluation import score_archive, accelerators; "
        f"r = score_archive({made.track}, {str(store_of(made))!r}, {str(made.pred_zip)!r}); "
        "print(accelerators.jit() is None, 'numba' in sys.modules, 'numba' in accelerators.available(), "
        f"r.metrics()[{TRACKS[made.track].key_metric!r}])"
    )
    env = {**os.environ, "LID_SCORING_NO_JIT": "1"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, check=True)
    expected = score_archive(made.track, store_of(made), made.pred_zip).metrics()[TRACKS[made.track].key_metric]  # type: ignore[arg-type]
    assert out.stdout.split() == ["True", "False", "False", repr(expected)]


def test_workers_score_identically(made: SyntheticSet) -> None:
    one = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    two = score_archive(made.track, store_of(made), made.pred_zip, workers=2)  # type: ignore[arg-type]
    assert one.metrics() == two.metrics() and one.names == two.names
    assert np.array_equal(
        one.per_image.curves if made.track == 3 else one.per_image.union,
        two.per_image.curves if made.track == 3 else two.per_image.union,
    )  # type: ignore[arg-type]


@settings(max_examples=8, deadline=None, database=None)
@given(data=st.data())
def test_any_split_into_shards_merges_to_one_pass(made: SyntheticSet, data: st.DataObject) -> None:
    names = list(made.names)
    shard_of = data.draw(st.lists(st.integers(0, 3), min_size=len(names), max_size=len(names)))
    shards = [[n for n, s in zip(names, shard_of, strict=True) if s == k] for k in range(4)]
    results = [score_archive(made.track, store_of(made), made.pred_zip, names=shard) for shard in shards]  # type: ignore[arg-type]
    merged = sum(reversed(results), ScoreResult(made.track, []))
    assert merged.metrics() == score_archive(made.track, store_of(made), made.pred_zip).metrics()  # type: ignore[arg-type]


def test_palette_and_gray_pngs_score_identically(made: SyntheticSet, tmp_path: Path) -> None:
    palette_zip = tmp_path / "palette.zip"
    with zipfile.ZipFile(made.pred_zip) as source, zipfile.ZipFile(palette_zip, "w") as target:  # type: ignore[arg-type]
        for name in source.namelist():
            labels = np.asarray(Image.open(io.BytesIO(source.read(name))))
            image = Image.frombytes("P", (labels.shape[1], labels.shape[0]), labels.tobytes())
            image.putpalette([(i * 7) % 256 for i in range(768)])
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            target.writestr(name, buffer.getvalue())
    gray = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    palette = score_archive(made.track, store_of(made), palette_zip)
    assert gray.metrics() == palette.metrics()


def test_opencv_written_predictions_score_identically_on_both_routes(
    made: SyntheticSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenCV's imencode (what many teams use) writes Sub-filtered rows: the compiled per-PNG call
    # unfilters and counts them; the numpy route (libspng, bincount) must give the same numbers
    cv2 = pytest.importorskip("cv2")
    opencv_zip = tmp_path / "opencv.zip"
    with zipfile.ZipFile(made.pred_zip) as source, zipfile.ZipFile(opencv_zip, "w", zipfile.ZIP_DEFLATED) as target:  # type: ignore[arg-type]
        for name in source.namelist():
            labels = np.asarray(Image.open(io.BytesIO(source.read(name))))
            ok, encoded = cv2.imencode(".png", labels)
            assert ok
            target.writestr(name, encoded.tobytes())
    compiled = score_archive(made.track, store_of(made), opencv_zip)
    assert compiled.metrics() == score_archive(made.track, store_of(made), made.pred_zip).metrics()  # type: ignore[arg-type]
    monkeypatch.setattr(accelerators, "jit", lambda: None)
    plain = score_archive(made.track, store_of(made), opencv_zip)
    assert compiled.metrics() == plain.metrics()
    for field in ("curves",) if made.track == 3 else ("confusion", "intersection", "union"):
        assert np.array_equal(getattr(compiled, field), getattr(plain, field)), field


def test_track3_curves_made_in_blocks_are_those_of_one_block(
    made: SyntheticSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # track 3 keeps per-image histograms for a block of images at a time (bounded memory)
    whole = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    monkeypatch.setattr(scoring, "_CURVE_BLOCK", 5)
    blocks = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    assert blocks.metrics() == whole.metrics()
    fields = ("curves", "pixel_intersection", "pixel_union") if made.track == 3 else ("confusion", "union")
    for field in fields:
        assert np.array_equal(getattr(blocks, field), getattr(whole, field)), field


def test_per_image_statistics_round_trip(made: SyntheticSet, tmp_path: Path) -> None:
    result = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    path = tmp_path / "stats.npz"
    result.save_per_image(path)
    stats = load_per_image(path)
    assert stats.names == tuple(sorted(made.names)) and stats.track == made.track
    if made.track == 3:
        assert np.allclose(stats.curves, result.per_image.curves, rtol=0, atol=0.5 / 65535)  # type: ignore[arg-type]
    else:
        assert np.array_equal(stats.intersection, result.per_image.intersection)  # type: ignore[arg-type]
        assert np.array_equal(stats.intersection.sum(0), np.diag(result.confusion))  # type: ignore[union-attr]
    low, high = bootstrap_interval(path, made.track, resamples=200)
    key = result.metrics()[TRACKS[made.track].key_metric]
    assert 0 <= low <= high <= 1 and low - 0.05 <= key <= high + 0.05


def test_the_stored_statistics_are_what_the_file_gives_back(made: SyntheticSet, tmp_path: Path) -> None:
    # The server computes the interval on stored_per_image() while the file is written: the same
    # statistics, bit for bit, hence the same interval as reading the file back.
    result = score_archive(made.track, store_of(made), made.pred_zip)  # type: ignore[arg-type]
    arrays, stored = result.stored_per_image()
    path = tmp_path / "stats.npz"
    result.save_per_image(path, arrays=arrays)
    loaded = load_per_image(path)
    assert (stored.track, stored.names) == (loaded.track, loaded.names)
    for field in ("curves", "intersection", "union"):
        a, b = getattr(stored, field), getattr(loaded, field)
        assert (a is None and b is None) or (a.dtype == b.dtype and np.array_equal(a, b)), field
    assert bootstrap_interval(stored, made.track, resamples=200) == bootstrap_interval(path, made.track, resamples=200)


def loop_bootstrap(stats: object, track: int, resamples: int, seed: int, confidence: float) -> tuple[float, float]:
    """The slow reference: one resample at a time, each image weighted by its Poisson draw."""
    count = stats.image_count  # type: ignore[attr-defined]
    weights = resample_weights(seed, 0, count, resamples)
    values = []
    for w in weights:
        if w.sum() == 0:
            continue  # no image drawn: the resample is left out
        if track == 3:
            steps = np.rint(stats.curves * 65535) / 65535  # type: ignore[attr-defined]  # as stored
            values.append((w[:, None] * steps).sum(axis=0).max() / w.sum())
            continue
        scored = list(TRACKS[track].scored_classes)
        inter = (w[:, None] * stats.intersection[:, scored]).sum(axis=0)  # type: ignore[attr-defined]
        union = (w[:, None] * stats.union[:, scored]).sum(axis=0)  # type: ignore[attr-defined]
        values.append(np.mean([i / u for i, u in zip(inter, union, strict=True) if u > 0]))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def test_bootstrap_matches_the_loop_reference(made: SyntheticSet) -> None:
    stats = score_archive(made.track, store_of(made), made.pred_zip).per_image  # type: ignore[arg-type]
    fast = bootstrap_interval(stats, made.track, resamples=300, seed=5, confidence=0.9)
    slow = loop_bootstrap(stats, made.track, 300, 5, 0.9)
    assert fast == pytest.approx(slow, abs=1e-12)


def test_bootstrap_weights_are_poisson_and_belong_to_their_image() -> None:
    weights = resample_weights(7, 0, 3000, 1000)
    assert weights.shape == (1000, 3000) and weights.min() == 0 and weights.max() <= 11
    frequencies = [float((weights == k).mean()) for k in range(4)]
    assert frequencies == pytest.approx([math.exp(-1) / math.factorial(k) for k in range(4)], abs=2e-3)
    assert float(weights.mean()) == pytest.approx(1, abs=3e-3) and float(weights.var()) == pytest.approx(1, abs=5e-3)
    # an image's weights are the same whatever range they are asked in (its block's own stream)
    assert np.array_equal(resample_weights(7, 1000, 1500, 1000), weights[:, 1000:2500])
    assert not np.array_equal(resample_weights(8, 0, 3000, 1000), weights)


def test_a_shard_name_that_is_not_ground_truth(made: SyntheticSet) -> None:
    with pytest.raises(ValueError, match="not ground-truth images"):
        score_archive(made.track, store_of(made), made.pred_zip, names=["nope"])  # type: ignore[arg-type]


def test_merging_overlapping_shards_is_refused(made: SyntheticSet) -> None:
    part = score_archive(made.track, store_of(made), made.pred_zip, names=made.names[:2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="share images"):
        part + part
