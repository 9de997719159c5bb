"""A large submission scored in shards by every idle pool process, then merged exactly once.

The submission's task (``submissions.scoring.submission_score``) claims it; for a split of at least
SCORING_SHARD_MIN_IMAGES images it fetches the archive for its machine and calls
``submissions.scoring.shards_start``, which writes one :class:`ScoringShard` row per contiguous range of the ground truth's sorted ids
and sends them as a Celery group. Each shard task (:func:`shard_score`) claims its row like a
submission (``queued`` -> ``running``, a lease renewed while it scores, an attempt counter), stores
its partial result and marks itself ``done`` under the submission's row lock; the shard that
completes the last one sends the merge (:func:`shards_merge`), which writes the submission's
result through the same guarded ``_finish`` as one pass. Every write is guarded by the
submission's attempt and status, so a redelivered or late shard, or a second merge, writes
nothing. docs/architecture.md has the state machine.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.evaluate import (
    SubmissionFormatError,
    shard_archive_release,
    submission_evaluate_merged,
    submission_evaluate_shard,
)
from submissions.models import ScoringShard, ShardStatus, Status, Submission, shard_result_path, submission_stats_path
from submissions.scoring import _crashed, _finish, _lease_renewed
from submissions.services import enqueue_merge
from submissions.storage import archive_delete

logger = logging.getLogger(__name__)


def shard_score(*, shard_id: int) -> str | None:
    """Score one shard; returns its outcome (``done``, or the submission's final status when this
    shard rejected or failed it), or None when there was nothing to do."""
    claimed = _claim_shard(shard_id)
    if claimed is None:
        return None
    shard, sub = claimed
    try:
        with _lease_renewed(shard.pk, shard.attempts, model=ScoringShard):
            name = submission_evaluate_shard(
                submission=sub, start=shard.start, stop=shard.stop, result_name=shard_result_path(shard)
            )
        return _shard_done(shard, sub, name)
    except SubmissionFormatError as error:
        shard_archive_release()
        return _finish(
            sub,
            shard.attempt,
            status=Status.REJECTED,
            error_code=error.code,
            error_message=error.message,
            finished_at=timezone.now(),
            scoring_seconds=_seconds_since(sub.started_at),
        )
    except Exception as error:
        shard_archive_release()
        return _crashed(sub, shard.attempt, error)


def _claim_shard(shard_id: int) -> tuple[ScoringShard, Submission] | None:
    with transaction.atomic():
        shard = (
            ScoringShard.objects.select_for_update(of=("self",))
            .select_related("submission__phase__track__challenge", "submission__team", "submission__uploaded_by")
            .filter(pk=shard_id)
            .first()
        )
        if shard is None or shard.status != ShardStatus.QUEUED:
            logger.info("Shard %s is not waiting (%s); nothing to do", shard_id, shard and shard.status)
            return None
        sub = shard.submission
        if sub.status != Status.RUNNING or sub.attempts != shard.attempt:
            logger.info(
                "Submission %s of shard %s is %s (attempt %s); nothing to do",
                sub.pk,
                shard_id,
                sub.status,
                sub.attempts,
            )
            return None
        shard.status, shard.started_at = ShardStatus.RUNNING, timezone.now()
        shard.lease_expires_at = shard.started_at + settings.SCORING_LEASE
        shard.attempts += 1
        shard.save(update_fields=["status", "started_at", "lease_expires_at", "attempts"])
    return shard, sub


def _shard_done(shard: ScoringShard, sub: Submission, name: str) -> str | None:
    """Mark the shard done under the submission's lock; the last one sends the merge."""
    with transaction.atomic():
        row = (
            Submission.objects.select_for_update()
            .filter(pk=sub.pk, attempts=shard.attempt, status=Status.RUNNING)
            .first()
        )
        written = row is not None and ScoringShard.objects.filter(
            pk=shard.pk, status=ShardStatus.RUNNING, attempts=shard.attempts
        ).update(status=ShardStatus.DONE, finished_at=timezone.now(), lease_expires_at=None, result=name)
        if not written:
            logger.warning(
                "Shard %s of submission %s was taken over while scoring; its result is dropped", shard.pk, sub.pk
            )
            transaction.on_commit(functools.partial(archive_delete, name))
            return None
        assert row is not None
        row.shards_done += 1
        if row.shards_done == row.shards_total:
            # The merge holds the submission's lease now; if it is lost, the lease expires and beat re-queues.
            row.lease_expires_at = timezone.now() + settings.SCORING_LEASE
            transaction.on_commit(functools.partial(enqueue_merge, submission_id=row.pk, attempt=shard.attempt))
        row.save(update_fields=["shards_done", "lease_expires_at"])
        waiting = ScoringShard.objects.filter(submission=row, attempt=shard.attempt, status=ShardStatus.QUEUED).exists()
    if not waiting:  # no shard of it is left for this process to take: drop its copy of the archive
        shard_archive_release()
    return ShardStatus.DONE


def shards_merge(*, submission_id: int, attempt: int) -> str | None:
    """Merge the shards of a submission whose shards are all done and write its result once."""
    sub = (
        Submission.objects.select_related("phase__track__challenge", "team", "uploaded_by")
        .filter(pk=submission_id, attempts=attempt, status=Status.RUNNING)
        .first()
    )
    if sub is None or sub.shards_total == 0 or sub.shards_done != sub.shards_total:
        logger.info("Submission %s (attempt %s) has nothing to merge", submission_id, attempt)
        return None
    names = list(
        ScoringShard.objects.filter(submission=sub, attempt=attempt, status=ShardStatus.DONE)
        .order_by("index")
        .values_list("result", flat=True)
    )
    shard_archive_release()
    try:
        with _lease_renewed(sub.pk, attempt):
            result = submission_evaluate_merged(
                submission=sub, result_names=names, stats_name=submission_stats_path(sub, "per_image.npz")
            )
        fields = {**result.fields(), "error_code": "", "error_message": ""}
        fields.update(status=Status.SCORED, finished_at=timezone.now(), scoring_seconds=_seconds_since(sub.started_at))
        return _finish(sub, attempt, **fields)
    except Exception as error:
        return _crashed(sub, attempt, error)


def _seconds_since(started: Any) -> float | None:
    return None if started is None else (timezone.now() - started).total_seconds()
