"""The one place the server runs the scoring core (``evaluation``) on what a team uploaded.

The upload's cheap checks (:func:`archive_check`), the worker (``submissions.scoring``) and
re-scoring (``organizer.rescoring``) all come here, so a submission is scored the same way
whoever asks: the same limits, the same bootstrap, the same treatment of undefined values, and
the ground-truth store opened and closed in one place.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

import evaluation
from challenges.ground_truth_remote import GroundTruthNotPublished, ground_truth_cached, remote_enabled
from submissions.storage import archive_kept_copy, archive_kept_release, archive_local_copy, stored_file_local

# The core's errors, re-exported so callers catch them without importing the core themselves.
SubmissionFormatError = evaluation.SubmissionFormatError
logger = logging.getLogger(__name__)
BOOTSTRAP_RESAMPLES = 1000


class GroundTruthMissing(Exception):
    """The phase has no loaded ground truth: retrying cannot help, an organizer must load it."""


class KeyMetricUndefined(Exception):
    """The key metric came out undefined (e.g. no scored pixel at all): retrying cannot help."""


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A submission's scores as stored on its row (JSON-safe: undefined and infinite values are None)."""

    score: float
    metrics: dict[str, Any]
    per_class: dict[str, Any] | None
    curve: dict[str, Any] | None
    ci_low: float | None
    ci_high: float | None
    per_image_stats: str  # the storage name of the per-image statistics (.npz)
    scorer_version: str
    ground_truth_checksum: str
    diagnosis: dict[str, Any] | None = None  # advice that never changes the score (evaluation.diagnosis)

    def fields(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def archive_limits() -> evaluation.ArchiveLimits:
    """The zip safety limits from settings (ARCHIVE_*)."""
    return evaluation.ArchiveLimits(
        max_members=settings.ARCHIVE_MAX_MEMBERS,
        max_total_uncompressed=settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES,
        png_extra_bytes=settings.ARCHIVE_PNG_EXTRA_BYTES,
        max_pixels=settings.ARCHIVE_MAX_PIXELS,
    )


def archive_check(*, path: str, expected_names: Any) -> evaluation.SubmissionFormatError | None:
    """The upload's cheap checks (zip safety, names, PNG headers): the core's error, or None when fine."""
    try:
        evaluation.check_archive(path, expected_names=expected_names, limits=archive_limits())
    except evaluation.SubmissionFormatError as error:
        return error
    return None


def ground_truth_store(phase: Any) -> Path:
    """Where the phase's packed ground truth lives (only scoring workers read it).

    With object storage, the worker's verified local copy (fetched into GROUND_TRUTH_CACHE when
    missing or damaged); otherwise the store in GROUND_TRUTH_ROOT.
    """
    if not phase.ground_truth_path:
        raise GroundTruthMissing(f"Phase {phase} has no ground truth loaded; load it, then re-score.")
    if remote_enabled():
        try:
            return ground_truth_cached(relative=phase.ground_truth_path, checksum=phase.ground_truth_checksum)
        except GroundTruthNotPublished as error:
            raise GroundTruthMissing(str(error)) from error
    path = Path(settings.GROUND_TRUTH_ROOT) / phase.ground_truth_path
    if not path.exists():
        raise GroundTruthMissing(f"The ground truth store {path} of phase {phase} does not exist.")
    return path


def submission_evaluate(*, submission: Any, stats_name: str) -> Evaluation:
    """Score ``submission``'s archive against its phase's ground truth; keep per-image statistics.

    The statistics are saved in the default storage under ``stats_name`` (replacing a file of that
    name, so a retried attempt never duplicates it). Raises the core's ``SubmissionFormatError``
    for a malformed archive, :class:`GroundTruthMissing` and :class:`KeyMetricUndefined`.
    """
    track = submission.phase.track
    ground_truth = evaluation.open_ground_truth(ground_truth_store(submission.phase))
    try:
        with archive_local_copy(submission.archive) as archive:
            result = evaluation.score_archive(track.number, ground_truth, archive, workers=1, limits=archive_limits())
        checksum = getattr(ground_truth, "checksum", "") or ""
    finally:
        ground_truth.close()
    return _evaluation_of(result, track, stats_name, checksum)


def submission_shard_plan(*, submission: Any) -> list[tuple[int, int]] | None:
    """The shards to score ``submission`` in: ``(start, stop)`` ranges of the ground truth's sorted
    ids (``evaluation.shard_ranges`` of SCORING_SHARD_IMAGES); None when the split has fewer than
    SCORING_SHARD_MIN_IMAGES images (one pass is then quicker).

    The archive is fetched here for this machine's pool processes (``archive_kept_copy``), not
    checked: each process checks its directory once, at its first shard, in parallel with the
    others (:func:`submission_evaluate_shard`), so nothing but this fetch comes before the shards.
    """
    ground_truth = _shard_ground_truth(submission.phase)
    try:
        count = len(ground_truth.names)
    finally:
        ground_truth.close()
    if count < settings.SCORING_SHARD_MIN_IMAGES:
        return None
    archive_kept_copy(submission.archive, submission.sha256)
    return evaluation.shard_ranges(count, settings.SCORING_SHARD_IMAGES)


def submission_evaluate_shard(*, submission: Any, start: int, stop: int, result_name: str) -> str:
    """Score the images ``start:stop`` (of the ground truth's sorted ids) of ``submission``'s
    archive and store the partial result (``evaluation.save_result``) under ``result_name``;
    returns the stored name. The first shard of a submission in a process checks the archive as
    one pass would first (names, sizes, headers; kept for the process's next shards). Raises
    ``SubmissionFormatError`` for a bad archive or a bad image in the range.
    """
    track = submission.phase.track
    ground_truth = _shard_ground_truth(submission.phase)
    try:
        archive, listing = _checked_archive(submission, ground_truth)
        result = evaluation.score_archive(
            track.number, ground_truth, archive, limits=archive_limits(), names=ground_truth.names[start:stop],
            listing=listing,
        )  # fmt: skip
    finally:
        ground_truth.close()
    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "shard.npz")
        evaluation.save_result(result, local, first_index=start, resamples=BOOTSTRAP_RESAMPLES, seed=0)
        default_storage.delete(result_name)
        with open(local, "rb") as handle:
            return default_storage.save(result_name, File(handle, name=os.path.basename(result_name)))


def submission_evaluate_merged(*, submission: Any, result_names: list[str], stats_name: str) -> Evaluation:
    """Merge the stored partial results of every shard into the submission's scores, exactly as
    one pass would give them (``ScoreResult.merge``), and keep the per-image statistics like
    :func:`submission_evaluate`. The merged images must be the ground truth's, each once.
    """
    started = time.perf_counter()
    track = submission.phase.track
    ground_truth = _shard_ground_truth(submission.phase)
    try:
        names, checksum = list(ground_truth.names), getattr(ground_truth, "checksum", "") or ""
    finally:
        ground_truth.close()

    def fetched(name: str) -> Any:
        with stored_file_local(name) as path:  # read in place from a local folder, else fetched
            return evaluation.load_shard(path)

    # fetched and read a few at a time (copying and reading release the GIL), kept in shard order
    with ThreadPoolExecutor(max_workers=4) as pool:
        parts = list(pool.map(fetched, result_names))
    fetched_at = time.perf_counter()
    merged = evaluation.merge_shards(parts)  # the shards computed their parts of the interval: it only adds
    parts.clear()
    if list(merged.result.names) != names:
        raise ValueError(f"the shards of submission {submission.pk} do not cover the ground truth's images once")
    if (merged.bootstrap.resamples, merged.bootstrap.seed) != (BOOTSTRAP_RESAMPLES, 0):
        raise ValueError(f"the shards of submission {submission.pk} were saved with another bootstrap")
    merged_at = time.perf_counter()
    done = _evaluation_of(merged.result, track, stats_name, checksum, merged=merged)
    logger.info(
        "Merged %s shards of submission %s: fetched and read in %.2f s, merged in %.2f s, metrics, interval and "
        "statistics file in %.2f s",
        len(result_names), submission.pk, fetched_at - started, merged_at - fetched_at, time.perf_counter() - merged_at,
    )  # fmt: skip
    return done


# The store this process opened for shards, kept (its index parsed once; its file is reopened on
# demand after each close): ((path, checksum), GroundTruth).
_truth: tuple[tuple[str, str], Any] | None = None


def _shard_ground_truth(phase: Any) -> Any:
    global _truth
    store = ground_truth_store(phase)
    key = (str(store), phase.ground_truth_checksum)
    if _truth is None or _truth[0] != key:
        _truth = (key, evaluation.open_ground_truth(store))
    return _truth[1]


# What this process found when it checked an archive against a ground truth, for its next shard:
# ((sha256, ground-truth checksum), listing).
_listing: tuple[tuple[str, str], Any] | None = None


def _checked_archive(submission: Any, ground_truth: Any) -> tuple[str, Any]:
    """This process's kept copy of the archive and the core's check of it (made once per process)."""
    global _listing
    archive = archive_kept_copy(submission.archive, submission.sha256)
    key = (submission.sha256, ground_truth.checksum)
    if _listing is None or _listing[0] != key:
        _listing = None
        listing = evaluation.check_archive(
            archive, expected_names=ground_truth.names, limits=archive_limits(), shape_of=ground_truth.shape_of
        )
        _listing = (key, listing)
    return archive, _listing[1]


def shard_archive_release() -> None:
    """Forget the archive this process kept for shards (and its check), and remove the copy."""
    global _listing
    _listing = None
    archive_kept_release()


def _evaluation_of(result: Any, track: Any, stats_name: str, checksum: str, *, merged: Any = None) -> Evaluation:
    """The stored form of a whole result: metrics, diagnosis, per-image statistics and the interval.

    ``merged``: the shards' ``evaluation.merge_shards``, whose statistics file's arrays and
    bootstrap sums are used as they are; otherwise both are computed here.
    """
    if merged is None:
        stored, stats = result.stored_per_image()
        sums = None
    else:
        stored, stats, sums = merged.stored, None, merged.bootstrap
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=1) as writer:
        local = os.path.join(tmp, "per_image.npz")
        # The statistics file is written (compressing releases the GIL) while the metrics and the
        # interval are computed, the interval on the statistics exactly as stored.
        written = writer.submit(result.save_per_image, local, arrays=stored)
        metrics = dict(result.metrics())
        diagnosis = metrics.pop("diagnosis", None)
        aggregates, per_class, curve = split_metrics(metrics)
        score = aggregates.get(track.key_metric)
        if score is None:
            raise KeyMetricUndefined(
                f"{track.key_metric} is undefined for this ground truth and prediction: {aggregates}"
            )
        if sums is None:
            sums = evaluation.bootstrap_sums(stats, track.number, resamples=BOOTSTRAP_RESAMPLES, seed=0)
        low, high = sums.interval()
        written.result()
        default_storage.delete(stats_name)
        with open(local, "rb") as handle:
            stats_file = default_storage.save(stats_name, File(handle, name=os.path.basename(stats_name)))
    return Evaluation(
        score=score,
        metrics=aggregates,
        per_class=per_class,
        curve=curve,
        diagnosis=diagnosis,
        ci_low=finite(low),
        ci_high=finite(high),
        per_image_stats=stats_file,
        scorer_version=evaluation.SCORER_VERSION,
        ground_truth_checksum=checksum,
    )


def finite(value: Any) -> float | None:
    """A float for JSON and the database: NaN, infinities and None become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_list(values: Any) -> list[float | None] | None:
    """NaN (a class absent from the split) cannot be stored in JSON: it becomes null."""
    if values is None:
        return None
    return [finite(v) for v in values]


def split_metrics(metrics: dict[str, Any]) -> tuple[dict[str, Any], dict | None, dict | None]:
    """The scoring core's metrics split into (aggregates, per_class, curve) as stored on the row.

    Track 3's ``curve`` (mean of per-image curves) and ``curve_pixel`` (from summed counts) become
    ``{"mean": [...], "pixel": [...]}``.
    """
    per_class = curve = None
    if "per_class_iou" in metrics:
        per_class = {
            "iou": _json_list(metrics.pop("per_class_iou")),
            "accuracy": _json_list(metrics.pop("per_class_accuracy", None)),
        }
    if "curve" in metrics:
        curve = {"mean": _json_list(metrics.pop("curve")), "pixel": _json_list(metrics.pop("curve_pixel", None))}
    aggregates = {
        key: (finite(value) if isinstance(value, float) else value)
        for key, value in metrics.items()
        if not isinstance(value, list | tuple | dict)
    }
    return aggregates, per_class, curve
