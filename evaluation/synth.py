"""Deterministic synthetic LID data: ground truth and plausible predictions of blob-shaped objects.

Images have ImageNet-like sizes (long side mostly 500, varying aspect ratios). Objects are
wobbly ellipses; a good prediction moves, resizes and reshapes them a little, sometimes misses one,
confuses a class or adds a false positive, so scores come out mid-range. Track 1 ground truth has
a 255 (ignore) band around objects as in PASCAL VOC; track 2 is a scene of stacked regions with
objects and unlabeled boundaries; track 3 predictions are smooth CAM-like maps upsampled from a
coarse grid. Everything is encoded with Pillow's default PNG settings, as teams do.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from evaluation.tracks import track_spec

Array = npt.NDArray[np.uint8]
_PREFIX = {1: "ILSVRC2013_lid_", 2: "ADE_test_", 3: "ILSVRC2012_val_"}
_ASPECTS = ((4, 3), (3, 2), (1, 1), (3, 4), (2, 3), (16, 9))
_ASPECT_P = (0.45, 0.15, 0.1, 0.15, 0.1, 0.05)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SyntheticSet:
    """Where :func:`make_synthetic` wrote its files.

    Examples
    --------
    >>> SyntheticSet(3, ("x",), "out/gt", None, None).gt_dir
    'out/gt'
    """

    track: int
    names: tuple[str, ...]
    gt_dir: str
    pred_zip: str | None
    alt_zip: str | None


def image_id(track: int, index: int) -> str:
    """The id of synthetic image ``index`` (from 1) of a track.

    Examples
    --------
    >>> image_id(3, 1), image_id(2, 12)
    ('ILSVRC2012_val_00000001', 'ADE_test_00000012')
    """
    return f"{_PREFIX[track]}{index:08d}"


def _size(rng: np.random.Generator) -> tuple[int, int]:
    long_side = 500 if rng.random() < 0.85 else int(rng.integers(300, 501))
    across, down = _ASPECTS[int(rng.choice(len(_ASPECTS), p=_ASPECT_P))]
    if across >= down:
        return round(long_side * down / across), long_side
    return long_side, round(long_side * across / down)


def _blob(
    rng: np.random.Generator, shape: tuple[int, int], center: tuple[float, float], radii: tuple[float, float]
) -> npt.NDArray[np.bool_]:
    """A wobbly ellipse: radius 1 + a few random low harmonics of the angle."""
    height, width = shape
    mask = np.zeros(shape, dtype=bool)
    cy, cx = center
    ry, rx = max(radii[0], 2.0), max(radii[1], 2.0)
    top, bottom = max(int(cy - 1.5 * ry), 0), min(int(cy + 1.5 * ry) + 1, height)
    left, right = max(int(cx - 1.5 * rx), 0), min(int(cx + 1.5 * rx) + 1, width)
    if top >= bottom or left >= right:
        return mask
    dy = (np.arange(top, bottom, dtype=np.float32)[:, None] - cy) / ry
    dx = (np.arange(left, right, dtype=np.float32)[None, :] - cx) / rx
    angle = np.arctan2(dy, dx)
    boundary = np.ones_like(angle)
    for k in (2, 3, 5):
        boundary += rng.uniform(0.0, 0.12) * np.cos(k * angle + rng.uniform(0, 2 * np.pi))
    mask[top:bottom, left:right] = dy * dy + dx * dx < boundary * boundary
    return mask


def _objects(
    rng: np.random.Generator, shape: tuple[int, int], count: int, scale: tuple[float, float]
) -> list[tuple[float, float, float, float]]:
    height, width = shape
    found = []
    for _ in range(count):
        ry, rx = (rng.uniform(*scale) * height, rng.uniform(*scale) * width)
        found.append((rng.uniform(0.2, 0.8) * height, rng.uniform(0.2, 0.8) * width, ry, rx))
    return found


def _moved(
    rng: np.random.Generator, obj: tuple[float, float, float, float], error: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    cy, cx, ry, rx = obj
    center = (cy + rng.normal(0, error) * ry, cx + rng.normal(0, error) * rx)
    grow = rng.uniform(1 - 1.5 * error, 1 + 1.5 * error)
    return center, (ry * grow * rng.uniform(0.9, 1.1), rx * grow * rng.uniform(0.9, 1.1))


def _edges(labels: Array, width: int) -> npt.NDArray[np.bool_]:
    edge = np.zeros(labels.shape, dtype=bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[1:, :] |= labels[1:, :] != labels[:-1, :]
    for _ in range(width):
        grown = edge.copy()
        grown[:, 1:] |= edge[:, :-1]
        grown[:, :-1] |= edge[:, 1:]
        grown[1:, :] |= edge[:-1, :]
        grown[:-1, :] |= edge[1:, :]
        edge = grown
    return edge


def _track1(rng: np.random.Generator, shape: tuple[int, int], quality: tuple[float, ...]) -> tuple[Array, Array, Array]:
    objects = _objects(rng, shape, 1 + int(rng.random() < 0.35) + int(rng.random() < 0.1), (0.12, 0.4))
    main = int(rng.integers(1, 201))
    classes = [main if rng.random() < 0.6 else int(rng.integers(1, 201)) for _ in objects]
    gt = np.zeros(shape, np.uint8)
    for obj, cls in zip(objects, classes, strict=True):
        gt[_blob(rng, shape, obj[:2], obj[2:])] = cls
    gt_scored = gt.copy()
    gt[_edges(gt, 2)] = 255
    predictions = []
    for error, miss, right in (quality[:3], quality[3:]):
        pred = np.zeros(shape, np.uint8)
        for obj, cls in zip(objects, classes, strict=True):
            if rng.random() < miss:
                continue
            label = cls if rng.random() < right else int(rng.integers(1, 201))
            pred[_blob(rng, shape, *_moved(rng, obj, error))] = label
        if rng.random() < 0.25:
            (fp,) = _objects(rng, shape, 1, (0.05, 0.15))
            pred[_blob(rng, shape, fp[:2], fp[2:])] = int(rng.integers(1, 201))
        predictions.append(pred)
    del gt_scored
    return gt, predictions[0], predictions[1]


def _scene(
    rng: np.random.Generator, shape: tuple[int, int], lines: list[float], classes: list[int], jitter: float
) -> Array:
    height, width = shape
    x = np.arange(width, dtype=np.float32)
    labels = np.full(shape, classes[-1], np.uint8)
    rows = np.arange(height, dtype=np.float32)[:, None]
    for level, cls in sorted(zip(lines, classes[:-1], strict=True), reverse=True):
        wave = level * height + jitter * height * np.sin(x / width * rng.uniform(2, 9) + rng.uniform(0, 6.3))
        labels[rows < wave[None, :]] = cls
    return labels


def _track2(rng: np.random.Generator, shape: tuple[int, int], quality: tuple[float, ...]) -> tuple[Array, Array, Array]:
    lines = sorted(rng.uniform(0.2, 0.75, 2).tolist())
    layers = [int(rng.choice([3, 6, 1])), int(rng.choice([2, 5, 1, 17, 26])), int(rng.choice([4, 7, 10, 14, 22, 29]))]
    weights = 1.0 / np.arange(1, 151)
    objects = _objects(rng, shape, int(rng.integers(3, 9)), (0.05, 0.25))
    classes = [int(c) for c in rng.choice(np.arange(1, 151), size=len(objects), p=weights / weights.sum())]
    gt = _scene(np.random.default_rng(int(rng.integers(2**32))), shape, lines, layers, 0.03)
    for obj, cls in zip(objects, classes, strict=True):
        gt[_blob(rng, shape, obj[:2], obj[2:])] = cls
    gt[_edges(gt, 0)] = 0
    predictions = []
    for error, miss, right in (quality[:3], quality[3:]):
        moved = [line + rng.normal(0, error / 4) for line in lines]
        guessed = [c if rng.random() < right else int(rng.integers(1, 151)) for c in layers]
        pred = _scene(np.random.default_rng(int(rng.integers(2**32))), shape, moved, guessed, 0.03)
        for obj, cls in zip(objects, classes, strict=True):
            if rng.random() >= miss:
                label = cls if rng.random() < right else int(rng.integers(1, 151))
                pred[_blob(rng, shape, *_moved(rng, obj, error))] = label
        if rng.random() < 0.1:
            (hole,) = _objects(rng, shape, 1, (0.03, 0.08))
            pred[_blob(rng, shape, hole[:2], hole[2:])] = 0
        predictions.append(pred)
    return gt, predictions[0], predictions[1]


def _cam(
    rng: np.random.Generator, shape: tuple[int, int], objects: list[tuple[float, float, float, float]], error: float
) -> Array:
    """A class-activation-like map: Gaussian bumps on a coarse grid, bilinearly upsampled."""
    height, width = shape
    grid_h, grid_w = max(height // 32, 4) + 2, max(width // 32, 4) + 2
    ys = (np.arange(grid_h, dtype=np.float32)[:, None] + 0.5) * height / grid_h
    xs = (np.arange(grid_w, dtype=np.float32)[None, :] + 0.5) * width / grid_w
    coarse = rng.uniform(0, 0.2, (grid_h, grid_w)).astype(np.float32)
    # CAMs peak on a discriminative part of the object and light up some background
    bumps = [(_moved(rng, obj, error), 1.0, 0.6) for obj in objects]
    bumps += [(_moved(rng, obj, 3 * error), 0.5, 0.4) for obj in objects if rng.random() < 0.5]
    for ((cy, cx), (ry, rx)), strength, spread in bumps:
        coarse += strength * np.exp(-(((ys - cy) / (spread * ry)) ** 2 + ((xs - cx) / (spread * rx)) ** 2)).astype(
            np.float32
        )
    coarse = (coarse - coarse.min()) / max(float(np.ptp(coarse)), 1e-6)
    fine = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    scaled: Array = np.clip(np.rint(fine * 255), 0, 255).astype(np.uint8)
    return scaled


def _track3(rng: np.random.Generator, shape: tuple[int, int], quality: tuple[float, ...]) -> tuple[Array, Array, Array]:
    objects = _objects(rng, shape, 1 + int(rng.random() < 0.2), (0.15, 0.45))
    gt = np.zeros(shape, np.uint8)
    for obj in objects:
        gt[_blob(rng, shape, obj[:2], obj[2:])] = 255
    return gt, _cam(rng, shape, objects, 3 * quality[0]), _cam(rng, shape, objects, 2 * quality[3])


_MAKERS = {1: _track1, 2: _track2, 3: _track3}
_QUALITY = (0.08, 0.08, 0.85, 0.25, 0.25, 0.6)  # (position error, miss rate, right class) good, weak


def _png(labels: Array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(labels).save(buffer, format="PNG")
    return buffer.getvalue()


def synthetic_images(track: int, index: int, seed: int = 0) -> tuple[Array, Array, Array]:
    """Ground truth, good prediction and weak prediction of one synthetic image.

    Examples
    --------
    >>> gt, pred, weak = synthetic_images(1, 1)
    >>> gt.shape == pred.shape == weak.shape, int(pred.max()) <= 200
    (True, True)
    >>> bool((synthetic_images(1, 1)[0] == gt).all())  # deterministic
    True
    """
    number = track_spec(track).number
    rng = np.random.default_rng([seed, number, index])
    return _MAKERS[number](rng, _size(rng), _QUALITY)


def _encoded(job: tuple[int, int, int, bool, bool]) -> tuple[bytes, bytes, bytes]:
    track, index, seed, prediction, alternative = job
    gt, pred, weak = synthetic_images(track, index, seed)
    return _png(gt), _png(pred) if prediction else b"", _png(weak) if alternative else b""


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def make_synthetic(
    track: int,
    count: int,
    out_dir: str | os.PathLike[str],
    seed: int = 0,
    *,
    prediction: bool = True,
    alternative: bool = True,
    workers: int = 1,
) -> SyntheticSet:
    """Write ``OUT/gt/<id>.png`` and, with ``prediction``, ``OUT/pred.zip`` and ``OUT/pred_alt.zip``.

    ``pred.zip`` holds a good prediction under a folder ``predictions/``; ``pred_alt.zip`` a
    weaker one at the top level. The same arguments always give the same bytes.

    Parameters
    ----------
    track : int
    count : int
        Number of images.
    out_dir : str or os.PathLike
    seed : int, optional
    prediction : bool, optional
        Also write the prediction archives.
    alternative : bool, optional
        With ``prediction``, also write ``pred_alt.zip``.
    workers : int, optional
        Processes used to draw and encode images (the output does not depend on it).

    Returns
    -------
    SyntheticSet

    Examples
    --------
    >>> import tempfile
    >>> made = make_synthetic(2, 3, tempfile.mkdtemp())
    >>> made.names
    ('ADE_test_00000001', 'ADE_test_00000002', 'ADE_test_00000003')
    >>> import zipfile; zipfile.ZipFile(made.pred_zip).namelist()[0]
    'predictions/ADE_test_00000001.png'
    """
    number = track_spec(track).number
    out = Path(out_dir)
    gt_dir = out / "gt"
    gt_dir.mkdir(parents=True, exist_ok=True)
    names = tuple(image_id(number, i) for i in range(1, count + 1))
    pred_path, alt_path = out / "pred.zip", out / "pred_alt.zip"
    with_alt = prediction and alternative
    jobs = [(number, i, seed, prediction, with_alt) for i in range(1, count + 1)]
    with _zip_or_none(pred_path, prediction) as pred_zip, _zip_or_none(alt_path, with_alt) as alt_zip:
        for name, (gt_png, pred_png, alt_png) in zip(names, _run(jobs, workers), strict=True):
            (gt_dir / f"{name}.png").write_bytes(gt_png)
            if pred_zip is not None:
                pred_zip.writestr(_zip_info(f"predictions/{name}.png"), pred_png)
            if alt_zip is not None:
                alt_zip.writestr(_zip_info(f"{name}.png"), alt_png)
    pred_name = str(pred_path) if prediction else None
    return SyntheticSet(number, names, str(gt_dir), pred_name, str(alt_path) if with_alt else None)


def _run(jobs: list[tuple[int, int, int, bool, bool]], workers: int) -> Iterator[tuple[bytes, bytes, bytes]]:
    if workers <= 1 or len(jobs) < 8:
        yield from map(_encoded, jobs)
        return
    with get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_encoded, jobs, chunksize=16)


class _zip_or_none:
    def __init__(self, path: Path, enabled: bool) -> None:
        self.archive = zipfile.ZipFile(path, "w") if enabled else None

    def __enter__(self) -> zipfile.ZipFile | None:
        return self.archive

    def __exit__(self, *exc: object) -> None:
        if self.archive is not None:
            self.archive.close()
