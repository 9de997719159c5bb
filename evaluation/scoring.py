"""Scoring a team's archive against ground truth, in-process or over worker processes."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from evaluation import accelerators
from evaluation.archive import DEFAULT_LIMITS, ArchiveLimits, ArchiveListing, ArchiveMember, check_archive
from evaluation.errors import GroundTruthError, SubmissionFormatError
from evaluation.ground_truth import GroundTruth, open_ground_truth
from evaluation.kernels import SegmentationAccumulator, localization_histograms
from evaluation.messages import out_of_range_message, png_problem_message, size_mismatch_message
from evaluation.metrics import curve_counts, iou_curve
from evaluation.png import (
    PngHeader,
    PngProblem,
    check_label_header,
    decode_png_with_pillow,
    filtered_rows,
    read_png_header,
)
from evaluation.reader import ArchiveReader
from evaluation.result import ScoreResult
from evaluation.shards import merge_results
from evaluation.tracks import TrackSpec, track_spec
from evaluation.unfilter import unfilter_rows

_CHUNKS_PER_WORKER = 32
_CURVE_BLOCK = 512  # track 3 images whose histograms are kept until their curves are made


def score_archive(
    track: int | TrackSpec,
    ground_truth: GroundTruth | str | os.PathLike[str],
    pred_zip: str | os.PathLike[str],
    *,
    workers: int = 1,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    names: Sequence[str] | None = None,
    listing: ArchiveListing | None = None,
) -> ScoreResult:
    """Check and score a prediction archive.

    The whole archive is checked against the ground truth's image ids first (from its directory
    only); then each PNG is read into memory, checked and counted. With ``workers > 1`` the images
    are split into shards scored by a process pool; the result is identical to one pass. Inside a
    daemonic process (a Celery prefork child) no pool can start, and scoring runs in-process.

    Parameters
    ----------
    track : int or TrackSpec
        1, 2, 3, or a spec (e.g. ``TRACKS[1].with_scored_classes(range(1, 201))``).
    ground_truth : GroundTruth, str or os.PathLike
        An opened ground truth, a store or a folder of PNGs.
    pred_zip : str or os.PathLike
        The team's zip archive.
    workers : int, optional
        Processes to use (1: everything in this process).
    limits : ArchiveLimits, optional
    names : sequence of str, optional
        Score only these images (a shard); the archive must still hold every image.
    listing : ArchiveListing, optional
        What :func:`~evaluation.archive.check_archive` found in this archive against this ground
        truth (its ids as ``expected_names`` and its ``shape_of``), kept by a caller that scores
        several shards of one archive: the archive is then not checked again.

    Returns
    -------
    ScoreResult

    Raises
    ------
    SubmissionFormatError
        The archive or a PNG in it is unacceptable; the message is for the team. When several
        images are bad, the first in name order is reported, whatever ``workers`` is.

    Examples
    --------
    >>> import tempfile, os
    >>> from evaluation.synth import make_synthetic
    >>> made = make_synthetic(1, 4, tempfile.mkdtemp())
    >>> result = score_archive(1, made.gt_dir, made.pred_zip)
    >>> result.image_count, 0 < result.metrics()["mean_iou"] < 1
    (4, True)
    >>> half = score_archive(1, made.gt_dir, made.pred_zip, names=made.names[:2])
    >>> rest = score_archive(1, made.gt_dir, made.pred_zip, names=made.names[2:])
    >>> (half + rest).metrics() == result.metrics()
    True
    """
    spec = track_spec(track)
    truth = ground_truth if isinstance(ground_truth, GroundTruth) else open_ground_truth(ground_truth, spec.number)
    if truth.track != spec.number:
        raise GroundTruthError(f"the ground truth is for track {truth.track}, not track {spec.number}")
    if listing is None:
        listing = check_archive(pred_zip, expected_names=truth.names, limits=limits, shape_of=truth.shape_of)
    wanted = truth.names if names is None else sorted(set(names))
    unknown = set(wanted).difference(listing.members)
    if unknown:
        raise ValueError(f"{len(unknown)} requested names are not ground-truth images, e.g. {sorted(unknown)[0]!r}")
    members = [listing.members[name] for name in wanted]
    if workers > 1 and len(members) >= 2 * workers and not multiprocessing.current_process().daemon:
        return _score_in_pool(spec, truth, os.fspath(pred_zip), members, limits, workers)
    outcome = _score_members(spec, truth, os.fspath(pred_zip), members, limits, 0)
    if isinstance(outcome, tuple):
        raise outcome[1]
    return outcome


def _score_members(
    spec: TrackSpec,
    truth: GroundTruth,
    zip_path: str,
    members: list[ArchiveMember],
    limits: ArchiveLimits,
    first_index: int,
) -> ScoreResult | tuple[int, SubmissionFormatError]:
    """Score members in order; on the first bad one return (its index, the error).

    This is the per-image pipeline (a shard of the submission is any list of members). With numba,
    an 8-bit gray or palette PNG (what teams write) is unfiltered and counted by one compiled call
    (:func:`evaluation.jit.score_label_image`, :func:`evaluation.jit.score_map_image`) into a
    buffer reused from image to image; any other PNG is decoded by :func:`decode_png` and counted
    by :mod:`evaluation.kernels`, as is every PNG without numba.
    """
    names = [m.image_id for m in members]
    count = len(members)
    kernels = accelerators.jit()
    seg = SegmentationAccumulator(spec) if spec.is_segmentation else None
    classes = spec.num_classes
    # Tracks 1-2: 256 columns, as the compiled loops index by any byte value (the scored C are kept
    # at the end). Track 3 keeps each image's I(t), U(t) (exact Peak-Threshold ties, the diagnosis):
    # uint32 when they fit.
    compact = seg is None and limits.max_pixels < 2**32
    intersections = np.zeros((count, 256), np.uint32 if compact else np.int64)
    unions = np.zeros_like(intersections)
    # track 3: each image's two histograms, turned into curves a block of images at a time
    histograms = np.zeros((0, 0, 0) if seg else (min(count, _CURVE_BLOCK), 2, 256), np.int64)
    curves = np.zeros((0, 0) if seg else (count, 256), np.float64)
    pixel_inter = np.zeros(256, np.int64)
    pixel_union = np.zeros(256, np.int64)
    ignore = -1 if spec.ignore_label is None else spec.ignore_label
    scratch = np.empty(0, np.uint8)  # the prediction's pixels, then (tracks 1-2) the truth's
    with ArchiveReader(zip_path) as reader:
        for i, member in enumerate(members):
            image_id = member.image_id
            slot = i % _CURVE_BLOCK
            if seg is None:
                histograms[slot] = 0
            counted = False
            try:
                data = reader.read(member)
                header = _checked_header(data, member, truth.shape_of(image_id), spec, limits)
                rows = _png_step(member, spec, filtered_rows, data, header)
                if kernels is not None and rows is not None:
                    height, width = header.height, header.width
                    pixels = height * width
                    if scratch.size < 2 * pixels:
                        scratch = np.empty(2 * pixels, np.uint8)
                    out = scratch[:pixels].reshape(height, width)
                    filtered = np.frombuffer(rows, np.uint8).reshape(height, width + 1)
                    if seg is not None:
                        status = kernels.score_label_image(
                            filtered,
                            out,
                            truth.flat_labels(image_id, scratch[pixels:]),
                            classes,
                            ignore,
                            seg.pair_counts,
                            intersections[i],
                            unions[i],
                        )
                        if status == kernels.LABEL_TOO_LARGE:
                            raise _out_of_range(member, out, spec)
                    else:
                        status = kernels.score_map_image(filtered, out, truth.mask_bits(image_id), histograms[slot])
                    if status not in (kernels.SCORED, kernels.BAD_FILTER):
                        raise ValueError(f"unchecked input: the ground truth of {image_id} does not fit its prediction")
                    counted = status == kernels.SCORED
                if not counted:
                    prediction = _png_step(member, spec, _decoded, data, header, rows)
                    if seg is not None and int(prediction.max()) >= classes:
                        raise _out_of_range(member, prediction, spec)
            except SubmissionFormatError as error:
                return first_index + i, error
            if not counted and seg is not None:
                labels, histogram = truth.labels_and_histogram(image_id)
                intersections[i, :classes], unions[i, :classes] = seg.add(labels, histogram, prediction)
            elif not counted:
                histograms[slot] = localization_histograms(truth.mask_bits(image_id), prediction, packed=True)
            if seg is None and (slot == _CURVE_BLOCK - 1 or i == count - 1):
                inter, union = curve_counts(histograms[: slot + 1])
                curves[i - slot : i + 1] = iou_curve(inter, union)
                intersections[i - slot : i + 1], unions[i - slot : i + 1] = inter, union
                pixel_inter += inter.sum(axis=0, dtype=np.int64)
                pixel_union += union.sum(axis=0, dtype=np.int64)
    if seg is not None:
        return ScoreResult(
            spec,
            names,
            confusion=seg.confusion(),
            intersection=np.ascontiguousarray(intersections[:, :classes]),
            union=np.ascontiguousarray(unions[:, :classes]),
        )
    return ScoreResult(
        spec,
        names,
        curves=curves,
        pixel_intersection=pixel_inter,
        pixel_union=pixel_union,
        intersection=intersections,
        union=unions,
    )


def _checked_header(
    data: bytes, member: ArchiveMember, shape: tuple[int, int], spec: TrackSpec, limits: ArchiveLimits
) -> PngHeader:
    header = _png_step(member, spec, read_png_header, data)
    _png_step(member, spec, check_label_header, header, limits.max_pixels)
    if (header.height, header.width) != shape:
        raise SubmissionFormatError(
            "size_mismatch",
            size_mismatch_message(member.name, (header.height, header.width), shape),
            member=member.name,
        )
    return header


def _decoded(data: bytes, header: PngHeader, rows: bytes | None) -> npt.NDArray[np.uint8]:
    """The pixels of a PNG whose filtered rows (None: not an 8-bit gray or palette image) are known."""
    if rows is not None:
        pixels = unfilter_rows(rows, header.height, header.width)
        if pixels is not None:
            return pixels
    return decode_png_with_pillow(data, header)


_R = TypeVar("_R")


def _png_step(member: ArchiveMember, spec: TrackSpec, step: Callable[..., _R], *args: Any) -> _R:
    """Run a step of :mod:`evaluation.png`; a problem becomes the team's error message."""
    try:
        return step(*args)
    except PngProblem as problem:
        raise SubmissionFormatError(
            problem.code, png_problem_message(member.name, problem, spec), member=member.name
        ) from None


def _out_of_range(member: ArchiveMember, prediction: npt.NDArray[np.uint8], spec: TrackSpec) -> SubmissionFormatError:
    return SubmissionFormatError(
        "labels_out_of_range", out_of_range_message(member.name, prediction, spec), member=member.name
    )


def _read_prediction(
    reader: ArchiveReader, member: ArchiveMember, shape: tuple[int, int], spec: TrackSpec, limits: ArchiveLimits
) -> npt.NDArray[np.uint8]:
    """One prediction read and checked exactly as the scoring loop does (``lid validate`` with a manifest)."""
    data = reader.read(member)
    header = _checked_header(data, member, shape, spec, limits)
    rows = _png_step(member, spec, filtered_rows, data, header)
    prediction = _png_step(member, spec, _decoded, data, header, rows)
    if spec.is_segmentation and int(prediction.max()) >= spec.num_classes:
        raise _out_of_range(member, prediction, spec)
    return prediction


# --- worker processes -------------------------------------------------------------------------

_worker_state: dict[str, Any] = {}


def _start_worker(
    spec: TrackSpec, truth: GroundTruth, zip_path: str, limits: ArchiveLimits, members: list[ArchiveMember]
) -> None:
    _worker_state.update(spec=spec, truth=truth, zip_path=zip_path, limits=limits, members=members)


@dataclass(frozen=True)
class _LocalizationPart:
    """A track 3 shard's result as a worker sends it: its counts, without the IoU curves that they
    give exactly (half the bytes to pickle, send and copy; the curves are made once at the end)."""

    names: tuple[str, ...]
    pixel_intersection: npt.NDArray[np.int64]
    pixel_union: npt.NDArray[np.int64]
    intersection: npt.NDArray[np.integer[Any]]
    union: npt.NDArray[np.integer[Any]]


def _score_chunk(job: tuple[int, int]) -> ScoreResult | _LocalizationPart | tuple[int, SubmissionFormatError]:
    """Score ``members[start:stop]``: a job names its range only (a forked worker has the members
    already; pickling thousands of them per job kept the pool's feeder thread busy)."""
    start, stop = job
    state = _worker_state
    members = state["members"][start:stop]
    outcome = _score_members(state["spec"], state["truth"], state["zip_path"], members, state["limits"], start)
    if isinstance(outcome, ScoreResult) and not outcome.spec.is_segmentation and outcome.counts is not None:
        inter, union = outcome.counts
        return _LocalizationPart(outcome.names, outcome.pixel_intersection, outcome.pixel_union, inter, union)
    return outcome


def _pool_context() -> Any:
    """``fork`` from a single-threaded process (fast, and no re-import of ``__main__``), else ``spawn``.

    Forking a process that runs other threads (a web server, a Celery worker) can copy a lock some
    thread holds; ``spawn`` starts clean interpreters instead (``__main__`` must then be importable
    and guarded by ``if __name__ == "__main__"``, as multiprocessing requires).
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _score_in_pool(
    spec: TrackSpec,
    truth: GroundTruth,
    zip_path: str,
    members: list[ArchiveMember],
    limits: ArchiveLimits,
    workers: int,
) -> ScoreResult:
    size = max(1, -(-len(members) // (workers * _CHUNKS_PER_WORKER)))
    jobs = [(start, min(start + size, len(members))) for start in range(0, len(members), size)]
    truth.close()
    context = _pool_context()
    if context.get_start_method() == "fork":
        accelerators.load_kernels()  # load numba and the kernels once here: the forked workers inherit them
    # concurrent.futures' pool: its one thread reads the results (multiprocessing.Pool's worker
    # handler also woke on every result and spun until another thread had read it: 0.1 s of CPU)
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(spec, truth, zip_path, limits, members)
    )
    with executor:
        gc.freeze()  # the objects made so far are left alone by the collector: no copy-on-write of their pages
        try:
            futures = [executor.submit(_score_chunk, jobs[0])]  # starts the workers
        except AssertionError:  # "daemonic processes are not allowed to have children"
            futures = []
        finally:
            gc.unfreeze()
        if futures:
            futures += [executor.submit(_score_chunk, job) for job in jobs[1:]]
        outcomes = [future.result() for future in futures]
    if not futures:
        outcome = _score_members(spec, truth, zip_path, members, limits, 0)
        if isinstance(outcome, tuple):
            raise outcome[1] from None
        return outcome
    failures = [o for o in outcomes if isinstance(o, tuple)]
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    parts = [o for o in outcomes if isinstance(o, _LocalizationPart)]
    if parts and len(parts) == len(outcomes):
        return _localization_result(spec, parts)
    results = [o for o in outcomes if isinstance(o, ScoreResult)]
    return merge_results(results)  # one home for how results of disjoint images combine


def _localization_result(spec: TrackSpec, parts: list[_LocalizationPart]) -> ScoreResult:
    """The track 3 result of the workers' parts; the curves are ``iou_curve`` of the counts, as
    each worker made them (exact: the counts convert to float64 without rounding)."""
    intersection = np.concatenate([part.intersection for part in parts])
    union = np.concatenate([part.union for part in parts])
    return ScoreResult(
        spec,
        [name for part in parts for name in part.names],
        curves=iou_curve(intersection, union),
        pixel_intersection=sum((p.pixel_intersection for p in parts), np.zeros(256, np.int64)),
        pixel_union=sum((p.pixel_union for p in parts), np.zeros(256, np.int64)),
        intersection=intersection,
        union=union,
    )
