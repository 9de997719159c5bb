"""Scoring a submission in a worker, and rescuing submissions whose worker was lost.

The shape follows grand-challenge's evaluation tasks: claim the row under a lock with a status
guard (only a ``queued`` submission is claimed, so a redelivered task does nothing), do the slow
work outside any transaction, then write the result with an ``UPDATE ... WHERE status`` guard so
two deliveries can never both write. A format error is the team's (``rejected``); anything else is
the platform's: retried, then ``failed`` with a polite sentence for the team and the traceback for
staff. Neither uses a slot.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from leaderboard.services import leaderboard_refresh
from submissions.evaluate import (
    GroundTruthMissing,
    KeyMetricUndefined,
    SubmissionFormatError,
    submission_evaluate,
    submission_shard_plan,
)
from submissions.models import (
    ScoringShard,
    ShardStatus,
    Status,
    Submission,
    shard_results_folder,
    submission_stats_path,
)
from submissions.notifications import notify_submission_finished
from submissions.selectors import scoring_shards_stuck, submissions_stuck
from submissions.services import enqueue_scoring, enqueue_shards
from submissions.storage import archive_delete

logger = logging.getLogger(__name__)

FAILED_MESSAGE = (
    "The platform could not score this submission; it does not count against your limit. "
    "The organizers have been notified."
)
RETRY_COUNTDOWN_SECONDS = 30


def submission_score(*, submission_id: int) -> str | None:
    """Score one queued submission; returns the final status, or None when there was nothing to do."""
    claimed = _claim(submission_id)
    if claimed is None:
        return None
    sub, attempt = claimed
    started = time.monotonic()
    try:
        with _lease_renewed(sub.pk, attempt):
            plan = submission_shard_plan(submission=sub)
            if plan is None:
                fields = _score(sub)
        if plan is not None:
            return shards_start(sub, attempt, plan)
        fields.update(status=Status.SCORED, finished_at=timezone.now(), scoring_seconds=time.monotonic() - started)
        # Writing the result (and refreshing the board) can fail too: that is the platform's, like a crash.
        return _finish(sub, attempt, **fields)
    except SubmissionFormatError as error:
        return _finish(
            sub,
            attempt,
            status=Status.REJECTED,
            error_code=error.code,
            error_message=error.message,
            finished_at=timezone.now(),
            scoring_seconds=time.monotonic() - started,
        )
    except Exception as error:
        return _crashed(sub, attempt, error)


def _claim(submission_id: int) -> tuple[Submission, int] | None:
    with transaction.atomic():
        sub = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("phase__track__challenge", "team", "uploaded_by")
            .filter(pk=submission_id)
            .first()
        )
        if sub is None or sub.status not in (Status.UPLOADED, Status.QUEUED):
            logger.info("Submission %s is not waiting (%s); nothing to do", submission_id, sub and sub.status)
            return None
        sub.status, sub.started_at = Status.RUNNING, timezone.now()
        sub.lease_expires_at = sub.started_at + settings.SCORING_LEASE
        sub.attempts += 1
        sub.shards_total = sub.shards_done = 0
        sub.save(update_fields=["status", "started_at", "lease_expires_at", "attempts", "shards_total", "shards_done"])
    return sub, sub.attempts


class _lease_renewed:  # noqa: N801 (a context manager, used like a function)
    """While the body runs, a thread renews the claim's lease every SCORING_LEASE / 3.

    The renewal is guarded on the claiming attempt and ``running``, so it never revives a row the
    reaper has taken over. The thread has its own database connection, which it closes. Under an
    enclosing transaction (an eager task inside a test's transaction) another connection could not
    see the row, so no thread is started: the claim's own lease covers the body. ``model`` is
    Submission or ScoringShard (a shard is leased the same way).
    """

    def __init__(self, submission_id: int, attempt: int, model: Any = Submission) -> None:
        self.submission_id, self.attempt, self.model = submission_id, attempt, model
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> None:
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name=f"lease-{self.submission_id}", daemon=True)
            self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        every = settings.SCORING_LEASE.total_seconds() / 3
        try:
            while not self.stop.wait(every):
                try:
                    renewed = self.model.objects.filter(
                        pk=self.submission_id, attempts=self.attempt, status=Status.RUNNING
                    ).update(lease_expires_at=timezone.now() + settings.SCORING_LEASE)
                except Exception:  # the database is away for a moment: try again at the next tick
                    logger.exception("Could not renew the lease of %s %s", self.model.__name__, self.submission_id)
                    connection.close()
                    continue
                if not renewed:  # taken over (or finished): nothing left to renew
                    return
        finally:
            connection.close()


def shards_start(sub: Submission, attempt: int, plan: list[tuple[int, int]]) -> str | None:
    """Write the shards of this attempt and send them (after commit); the submission stays running.

    While shards are out the submission holds no lease of its own (``shards_total`` > 0): each
    shard carries one, and the reaper rescues shards (``scoring_shards_stuck``).
    """
    shards_discard(submission_id=sub.pk, keep_attempt=attempt)  # what an abandoned attempt left
    now = timezone.now()
    with transaction.atomic():
        row = Submission.objects.select_for_update().filter(pk=sub.pk, attempts=attempt, status=Status.RUNNING).first()
        if row is None:
            return None
        made = ScoringShard.objects.bulk_create(
            ScoringShard(submission=row, attempt=attempt, index=i, start=start, stop=stop, queued_at=now)
            for i, (start, stop) in enumerate(plan)
        )
        row.shards_total, row.shards_done, row.lease_expires_at = len(made), 0, None
        row.save(update_fields=["shards_total", "shards_done", "lease_expires_at"])
        transaction.on_commit(functools.partial(enqueue_shards, shard_ids=[s.pk for s in made]))
    return Status.RUNNING


def _score(sub: Submission) -> dict[str, Any]:
    """The slow part, outside any transaction."""
    result = submission_evaluate(submission=sub, stats_name=submission_stats_path(sub, "per_image.npz"))
    return {**result.fields(), "error_code": "", "error_message": ""}


def _finish(sub: Submission, attempt: int, **fields: Any) -> str | None:
    """Write the outcome once: only the attempt that claimed the row may (the WHERE is the guard)."""
    with transaction.atomic():
        written = Submission.objects.filter(
            pk=sub.pk, attempts=attempt, status__in=[Status.RUNNING, Status.QUEUED]
        ).update(**fields)
        if not written:
            logger.warning("Submission %s changed while scoring; this attempt's result is dropped", sub.pk)
            return None
        if fields["status"] == Status.SCORED:
            leaderboard_refresh(phase=sub.phase)
        submission_id = sub.pk
        transaction.on_commit(lambda: notify_submission_finished(submission_id=submission_id))
        transaction.on_commit(lambda: shards_discard(submission_id=submission_id))
    return fields["status"]


def _crashed(sub: Submission, attempt: int, error: Exception) -> str | None:
    """The platform failed: keep the traceback for staff; retry, or fail without charging the team."""
    logger.exception("Scoring submission %s failed (attempt %s)", sub.pk, attempt)
    log = f"{timezone.now():%Y-%m-%d %H:%M:%S} attempt {attempt}:\n{traceback.format_exc()}\n"
    retry = attempt < settings.SCORING_MAX_ATTEMPTS and not isinstance(error, GroundTruthMissing | KeyMetricUndefined)
    with transaction.atomic():
        row = Submission.objects.select_for_update().filter(pk=sub.pk, attempts=attempt, status=Status.RUNNING).first()
        if row is None:
            return None
        row.staff_log += log
        if retry:
            row.status, row.queued_at = Status.QUEUED, timezone.now()
        else:
            row.status, row.finished_at = Status.FAILED, timezone.now()
            row.error_code, row.error_message = "scoring_failed", FAILED_MESSAGE
        row.save(update_fields=["staff_log", "status", "queued_at", "finished_at", "error_code", "error_message"])
        submission_id = row.pk
        if retry:
            countdown = RETRY_COUNTDOWN_SECONDS * attempt
            transaction.on_commit(lambda: enqueue_scoring(submission_id=submission_id, countdown=countdown))
        else:
            transaction.on_commit(lambda: notify_submission_finished(submission_id=submission_id))
            transaction.on_commit(lambda: shards_discard(submission_id=submission_id))
    return row.status


def submissions_requeue_stuck(*, now: Any = None) -> dict[str, int]:
    """Rescue submissions stuck in uploaded/queued/running (a broker that was down, a lost message,
    a killed worker whose lease expired: ``submissions_stuck``) and the shards of running
    submissions likewise (``scoring_shards_stuck``: the shard is sent again; one that was claimed
    SCORING_MAX_ATTEMPTS times re-queues or fails its whole submission).

    Rows locked by a worker that is busy with them right now are skipped (``skip_locked``).
    """
    now = now or timezone.now()
    cutoff = now - settings.SCORING_STUCK_AFTER
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        for row in submissions_stuck(now=now).select_for_update(skip_locked=True).order_by("pk"):
            if row.status == Status.RUNNING and row.lease_expires_at is not None and row.lease_expires_at < now:
                reason = f"running, its lease expired at {row.lease_expires_at:%H:%M:%S}"
            else:
                reason = f"stuck in {row.status} since before {cutoff:%H:%M:%S}"
            counts[_rescue(row, now, reason)] += 1
    logs: list[tuple[int, str]] = []
    with transaction.atomic():
        shards = scoring_shards_stuck(now=now).select_for_update(skip_locked=True, of=("self",)).order_by("pk")
        for shard in shards:
            if shard.status == ShardStatus.RUNNING:
                reason = f"shard {shard.index} running, its lease expired at {shard.lease_expires_at:%H:%M:%S}"
            elif shard.queued_at < cutoff:
                reason = f"shard {shard.index} stuck in {shard.status} since before {cutoff:%H:%M:%S}"
            else:
                reason = f"shard {shard.index} queued, its message lost (shards sent after it were taken)"
            if shard.attempts < settings.SCORING_MAX_ATTEMPTS:
                shard.status, shard.queued_at, shard.lease_expires_at = ShardStatus.QUEUED, now, None
                shard.save(update_fields=["status", "queued_at", "lease_expires_at"])
                logs.append((shard.submission_id, f"{now:%Y-%m-%d %H:%M:%S} {reason}; sent again.\n"))
                transaction.on_commit(functools.partial(enqueue_shards, shard_ids=[shard.pk]))
                counts["requeued"] += 1
                continue
            owner = (
                Submission.objects.select_for_update(skip_locked=True)
                .filter(pk=shard.submission_id, status=Status.RUNNING, attempts=shard.attempt)
                .first()
            )
            if owner is not None:
                counts[_rescue(owner, now, f"{reason} after {shard.attempts} tries")] += 1
    # Outside the shards' locks: a worker finishing a shard holds its submission's row, then its shard's.
    for submission_id, line in logs:
        Submission.objects.filter(pk=submission_id).update(staff_log=Concat(F("staff_log"), Value(line)))
    if counts["requeued"] or counts["failed"]:
        logger.warning("Stuck submissions: %s", counts)
    return counts


def _rescue(row: Submission, now: Any, reason: str) -> str:
    """Re-queue a stuck submission (locked by the caller), or fail it after its last attempt."""
    row.staff_log += f"{now:%Y-%m-%d %H:%M:%S} {reason}; "
    submission_id = row.pk
    if row.attempts < settings.SCORING_MAX_ATTEMPTS:
        row.staff_log += "re-queued.\n"
        row.status, row.queued_at = Status.QUEUED, now
        transaction.on_commit(functools.partial(enqueue_scoring, submission_id=submission_id))
        outcome = "requeued"
    else:
        row.staff_log += f"failed after {row.attempts} attempts.\n"
        row.status, row.finished_at = Status.FAILED, now
        row.error_code, row.error_message = "scoring_failed", FAILED_MESSAGE
        transaction.on_commit(functools.partial(notify_submission_finished, submission_id=submission_id))
        transaction.on_commit(functools.partial(shards_discard, submission_id=submission_id))
        outcome = "failed"
    row.lease_expires_at = None
    row.save(
        update_fields=[
            "staff_log",
            "status",
            "queued_at",
            "finished_at",
            "error_code",
            "error_message",
            "lease_expires_at",
        ]
    )
    return outcome


def shards_discard(*, submission_id: int, keep_attempt: int | None = None) -> None:
    """Delete the shards of a submission (but those of ``keep_attempt``) and their partial results.

    Called once the submission is finished, and when a new attempt splits it again. The files are
    found by listing the submission's folder in storage: a try killed after saving its result but
    before recording it left one that no row names.
    """
    shards = ScoringShard.objects.filter(submission_id=submission_id)
    if keep_attempt is not None:
        shards = shards.exclude(attempt=keep_attempt)
    shards.delete()
    folder = shard_results_folder(submission_id)
    try:
        files = default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return
    for name in files:
        if keep_attempt is None or not name.startswith(f"a{keep_attempt}-"):
            archive_delete(f"{folder}/{name}")
