"""Scores of a submission (or of a shard of it), mergeable by addition, and per-image statistics."""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.diagnosis import localization_diagnosis, segmentation_diagnosis
from evaluation.metrics import exact_peak, iou_curve, peak, segmentation_scores
from evaluation.tracks import TrackSpec, track_spec
from evaluation.version import SCORER_VERSION

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
CURVE_STEPS = 65535  # track 3's stored curves: uint16 steps of 1/65535 (bootstrap intervals work in them)


@dataclass(frozen=True)
class PerImageStats:
    """Per-image statistics that feed bootstrap intervals.

    Tracks 1-2: ``intersection`` and ``union``, ``(images, C)`` pixel counts per class.
    Track 3: ``curves``, ``(images, 256)`` per-image IoU at each threshold.

    Examples
    --------
    >>> stats = PerImageStats(3, ("a",), curves=np.ones((1, 256)))
    >>> stats.image_count
    1
    """

    track: int
    names: tuple[str, ...]
    intersection: IntArray | None = None
    union: IntArray | None = None
    curves: FloatArray | None = None

    @property
    def image_count(self) -> int:
        """Number of images.

        Examples
        --------
        >>> PerImageStats(1, ("a", "b")).image_count
        2
        """
        return len(self.names)


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _counts(values: npt.ArrayLike) -> npt.NDArray[np.integer[Any]]:
    """Per-image track-3 counts, as ``uint32`` when they fit (half the memory of ``int64``)."""
    array = np.asarray(values)
    if array.dtype == np.uint32:
        return array  # fits by its type: no pass over the values, no copy
    if array.size and (int(array.max()) >= 2**32 or int(array.min()) < 0):
        return array.astype(np.int64)
    return array.astype(np.uint32)


class ScoreResult:
    """Scores of a set of images of one track; ``a + b`` merges disjoint shards exactly.

    Tracks 1-2 hold the dataset-level confusion matrix and per-image intersections and unions;
    track 3 holds per-image IoU curves, the summed intersections and unions and, when given, the
    per-image counts ``intersection`` and ``union`` (``(images, 256)``: they decide ties of the
    Peak-Threshold exactly and give the diagnosis of inverted maps). Metrics are
    computed from these sums (and, for track 3, from curves taken in image-name order), so any
    split into shards merges to exactly the result of one pass.

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> a = ScoreResult(TRACKS[3], ["x"], curves=np.full((1, 256), 0.5), pixel_intersection=np.ones(256, np.int64), pixel_union=np.full(256, 2))
    >>> b = ScoreResult(TRACKS[3], ["y"], curves=np.full((1, 256), 1.0), pixel_intersection=np.ones(256, np.int64), pixel_union=np.full(256, 2))
    >>> merged = a + b
    >>> merged.image_count, merged.metrics()["peak_iou"], merged.metrics()["curve_pixel"][0]
    (2, 0.75, 0.5)
    """

    def __init__(
        self,
        spec: TrackSpec | int,
        names: Sequence[str],
        *,
        confusion: IntArray | None = None,
        intersection: IntArray | None = None,
        union: IntArray | None = None,
        curves: FloatArray | None = None,
        pixel_intersection: IntArray | None = None,
        pixel_union: IntArray | None = None,
    ) -> None:
        self.spec = track_spec(spec)
        self.names = tuple(names)
        count, size = len(self.names), self.spec.num_classes
        if self.spec.is_segmentation:
            self.confusion = np.zeros((size, size), np.int64) if confusion is None else np.asarray(confusion, np.int64)
            self.intersection = (
                np.zeros((count, size), np.int64) if intersection is None else np.asarray(intersection, np.int64)
            )
            self.union = np.zeros((count, size), np.int64) if union is None else np.asarray(union, np.int64)
            if (
                self.intersection.shape != (count, size)
                or self.union.shape != (count, size)
                or self.confusion.shape != (size, size)
            ):
                raise ValueError("per-image arrays do not match the names and the track's classes")
        else:
            self.curves = np.zeros((count, 256)) if curves is None else np.asarray(curves, np.float64)
            self.pixel_intersection = (
                np.zeros(256, np.int64) if pixel_intersection is None else np.asarray(pixel_intersection, np.int64)
            )
            self.pixel_union = np.zeros(256, np.int64) if pixel_union is None else np.asarray(pixel_union, np.int64)
            if self.curves.shape != (count, 256):
                raise ValueError("per-image curves do not match the names")
            self.counts: tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]]] | None = None
            if count == 0 and intersection is None and union is None:
                intersection = union = np.zeros((0, 256), np.uint32)  # the empty result merges with any
            if intersection is not None and union is not None:
                self.counts = (_counts(intersection), _counts(union))
                if self.counts[0].shape != (count, 256) or self.counts[1].shape != (count, 256):
                    raise ValueError("per-image counts do not match the names")

    @property
    def track(self) -> int:
        """The track number.

        Examples
        --------
        >>> ScoreResult(2, []).track
        2
        """
        return self.spec.number

    @property
    def image_count(self) -> int:
        """Number of images scored.

        Examples
        --------
        >>> ScoreResult(3, ["a", "b"]).image_count
        2
        """
        return len(self.names)

    def merge(self, other: ScoreResult) -> ScoreResult:
        """The result of both shards (their images must not overlap).

        Examples
        --------
        >>> from evaluation.tracks import TRACKS
        >>> ScoreResult(TRACKS[1], []).merge(ScoreResult(TRACKS[1], [])).image_count
        0
        """
        if other.spec.number != self.spec.number or other.spec.scored_classes != self.spec.scored_classes:
            raise ValueError("cannot merge results of different tracks")
        if not set(self.names).isdisjoint(other.names):
            raise ValueError("cannot merge results that share images")
        names = self.names + other.names
        if self.spec.is_segmentation:
            return ScoreResult(
                self.spec,
                names,
                confusion=self.confusion + other.confusion,
                intersection=np.concatenate([self.intersection, other.intersection]),
                union=np.concatenate([self.union, other.union]),
            )
        both = self.counts is not None and other.counts is not None
        return ScoreResult(
            self.spec,
            names,
            curves=np.concatenate([self.curves, other.curves]),
            pixel_intersection=self.pixel_intersection + other.pixel_intersection,
            pixel_union=self.pixel_union + other.pixel_union,
            intersection=np.concatenate([self.counts[0], other.counts[0]]) if both else None,  # type: ignore[index]
            union=np.concatenate([self.counts[1], other.counts[1]]) if both else None,  # type: ignore[index]
        )

    @staticmethod
    def load_per_image(path: str | os.PathLike[str]) -> PerImageStats:
        """Read statistics written by :meth:`save_per_image` (same as :func:`load_per_image`).

        Examples
        --------
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "stats.npz")
        >>> ScoreResult(2, ["x"]).save_per_image(path)
        >>> ScoreResult.load_per_image(path).intersection.shape
        (1, 151)
        """
        return load_per_image(path)

    def __add__(self, other: ScoreResult) -> ScoreResult:
        return self.merge(other)

    def __radd__(self, other: object) -> ScoreResult:
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def metrics(self) -> dict[str, Any]:
        """The scores as a JSON-safe dict of fractions in [0, 1] (``None`` where undefined).

        Tracks 1-2: ``mean_iou``, ``mean_accuracy``, ``pixel_accuracy``, ``per_class_iou`` and
        ``per_class_accuracy`` (indexed by label; ``None`` for the ignored label and for classes
        with no pixel). Track 3: ``peak_iou``, ``peak_threshold`` (ties decided exactly when the
        per-image counts are held), ``curve`` and ``curve_pixel``. Both: ``diagnosis``, advice
        that never changes the score (:mod:`evaluation.diagnosis`; ``None`` for a track-3 result
        built without per-image counts).

        Examples
        --------
        >>> from evaluation.tracks import TRACKS
        >>> conf = np.zeros((151, 151), np.int64); conf[1, 1] = 3; conf[1, 0] = 1
        >>> m = ScoreResult(TRACKS[2], [], confusion=conf).metrics()
        >>> m["mean_iou"], m["pixel_accuracy"], m["per_class_iou"][:3]  # 3 / (3 + 1)
        (0.75, 0.75, [None, 0.75, None])
        """
        if self.spec.is_segmentation:
            scores = segmentation_scores(self.confusion, self.spec.scored_classes)
            hidden = self.spec.ignore_label

            def per_class(values: FloatArray) -> list[float | None]:
                return [None if c == hidden else _json_number(float(v)) for c, v in enumerate(values)]

            mean_iou = _json_number(float(scores["mean_iou"]))  # type: ignore[arg-type]
            return {
                "mean_iou": mean_iou,
                "mean_accuracy": _json_number(float(scores["mean_accuracy"])),  # type: ignore[arg-type]
                "pixel_accuracy": _json_number(float(scores["pixel_accuracy"])),  # type: ignore[arg-type]
                "per_class_iou": per_class(scores["iou"]),  # type: ignore[arg-type]
                "per_class_accuracy": per_class(scores["accuracy"]),  # type: ignore[arg-type]
                "diagnosis": segmentation_diagnosis(self.spec, self.confusion, mean_iou),
            }
        if not self.names:
            return {"peak_iou": None, "peak_threshold": None, "curve": [], "curve_pixel": [], "diagnosis": None}
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        in_order = order == list(range(len(order)))  # as score_archive builds it: no copy
        curve = (self.curves if in_order else self.curves[order]).sum(axis=0) / len(order)
        if self.counts is None:
            peak_iou, peak_threshold = peak(curve)
            diagnosis = None
        else:
            intersection, union = (c if in_order else c[order] for c in self.counts)
            peak_iou, peak_threshold = exact_peak(curve, intersection, union)
            diagnosis = localization_diagnosis(intersection, union, peak_iou)
        return {
            "peak_iou": peak_iou,
            "peak_threshold": peak_threshold,
            "curve": [float(v) for v in curve],
            "curve_pixel": [float(v) for v in iou_curve(self.pixel_intersection, self.pixel_union)],
            "diagnosis": diagnosis,
        }

    @property
    def per_image(self) -> PerImageStats:
        """The per-image statistics, in image-name order.

        Examples
        --------
        >>> ScoreResult(3, ["b", "a"]).per_image.names
        ('a', 'b')
        """
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        names = tuple(self.names[i] for i in order)
        if order == list(range(len(order))):  # already in order (one pass, merged shards): no copy
            if self.spec.is_segmentation:
                return PerImageStats(self.track, names, intersection=self.intersection, union=self.union)
            return PerImageStats(self.track, names, curves=self.curves)
        if self.spec.is_segmentation:
            return PerImageStats(self.track, names, intersection=self.intersection[order], union=self.union[order])
        return PerImageStats(self.track, names, curves=self.curves[order])

    def stored_per_image(self) -> tuple[dict[str, Any], PerImageStats]:
        """The arrays :meth:`save_per_image` writes, and the statistics :func:`load_per_image`
        reads back from them (quantised exactly as the file holds them), without a file.

        So a caller can compute on the stored statistics while the file is being written.

        Examples
        --------
        >>> import tempfile, os
        >>> result = ScoreResult(3, ["b", "a"], curves=np.array([[0.1] * 256, [0.7] * 256]))
        >>> arrays, stats = result.stored_per_image()
        >>> path = os.path.join(tempfile.mkdtemp(), "stats.npz")
        >>> result.save_per_image(path, arrays=arrays)
        >>> loaded = load_per_image(path)
        >>> loaded.names == stats.names and bool((loaded.curves == stats.curves).all())
        True
        """
        stats = self.per_image
        if stats.curves is not None:
            steps = stats.curves * CURVE_STEPS  # rounded in place: fresh memory is dear
            arrays = stored_arrays(self.track, stats.names, curves=np.rint(steps, out=steps).astype(np.uint16))
        else:
            assert stats.intersection is not None and stats.union is not None
            arrays = stored_arrays(self.track, stats.names, intersection=stats.intersection, union=stats.union)
        return arrays, _stats_of_stored(arrays)

    def save_per_image(self, path: str | os.PathLike[str], *, arrays: dict[str, Any] | None = None) -> None:
        """Write the per-image statistics to an ``.npz`` (see :func:`load_per_image`).

        Counts are stored as ``uint32``, compressed (deflate at level 1: 40 times smaller for
        track 1's test split, in 0.04 s); track-3 curves as ``uint16`` steps of 1/65535 (within
        7.7e-6 of the exact values: they only feed bootstrap intervals, the official metrics come
        from :meth:`metrics`), not compressed (deflate saved 14% of them in 0.3 s).
        ``arrays``: those :meth:`stored_per_image` gave, not made again.

        Examples
        --------
        >>> import tempfile, os
        >>> from evaluation.tracks import TRACKS
        >>> path = os.path.join(tempfile.mkdtemp(), "stats.npz")
        >>> ScoreResult(TRACKS[1], ["a"]).save_per_image(path)
        >>> load_per_image(path).names
        ('a',)
        """
        if arrays is None:
            arrays, _ = self.stored_per_image()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as archive:
            for key, value in arrays.items():
                archive.compression = zipfile.ZIP_STORED if key == "curves" else zipfile.ZIP_DEFLATED
                with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)  # type: ignore[no-untyped-call]


def stored_arrays(
    track: int,
    names: Sequence[str],
    *,
    curves: npt.NDArray[np.uint16] | None = None,
    intersection: npt.ArrayLike | None = None,
    union: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """The arrays of a per-image statistics file (:meth:`ScoreResult.save_per_image`), names in order:
    track 3's ``curves`` already in ``uint16`` steps of 1/65535, tracks 1-2's counts (kept as ``uint32``).

    Examples
    --------
    >>> sorted(stored_arrays(1, ["a"], intersection=[[1, 2]], union=[[3, 4]]))
    ['intersection', 'names', 'scorer_version', 'track', 'union']
    """
    arrays: dict[str, Any] = {
        "track": np.int64(track),
        "scorer_version": np.str_(SCORER_VERSION),
        "names": np.asarray(names, dtype=np.str_),
    }
    if curves is not None:
        arrays["curves"] = np.asarray(curves, np.uint16)
    else:
        arrays["intersection"] = np.asarray(intersection).astype(np.uint32)
        arrays["union"] = np.asarray(union).astype(np.uint32)
    return arrays


def load_per_image(path: str | os.PathLike[str]) -> PerImageStats:
    """Read statistics written by :meth:`ScoreResult.save_per_image`.

    Examples
    --------
    >>> import tempfile, os
    >>> from evaluation.tracks import TRACKS
    >>> path = os.path.join(tempfile.mkdtemp(), "stats.npz")
    >>> ScoreResult(TRACKS[3], ["a", "b"]).save_per_image(path)
    >>> stats = load_per_image(path)
    >>> stats.track, stats.curves.shape
    (3, (2, 256))
    """
    with np.load(path, allow_pickle=False) as data:
        return _stats_of_stored(data)


def _stats_of_stored(data: Any) -> PerImageStats:
    """The statistics the stored arrays hold (a file's, or :meth:`ScoreResult.stored_per_image`'s)."""
    track = int(data["track"])
    names = tuple(str(n) for n in data["names"])
    if "curves" in data:
        curves = data["curves"].astype(np.float64)
        curves /= CURVE_STEPS
        return PerImageStats(track, names, curves=curves)
    return PerImageStats(
        track, names, intersection=data["intersection"].astype(np.int64), union=data["union"].astype(np.int64)
    )
