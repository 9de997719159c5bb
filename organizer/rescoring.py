"""Re-scoring after a scorer fix or a new ground truth: preview the new ranks, then publish.

A run scores its submissions again without touching them (new scores, metrics and per-image
statistics are kept on :class:`organizer.models.RescoreItem`), then previews each phase's boards
from the same ``board_standings`` that publishing stores, with the new scores put in place of the
stored ones in memory (nothing is written).
Publishing writes the new scores with their scorer version and ground-truth checksum, refreshes
the boards and records a RESCORE audit entry.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from accounts.models import Team
from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Phase
from leaderboard.models import LeaderboardEntry
from leaderboard.services import leaderboard_refresh
from leaderboard.standings import NewScores, board_standings
from lidserver.errors import ApplicationError
from lidserver.tasks import task_named
from organizer.models import RescoreItem, RescoreRun
from submissions.evaluate import submission_evaluate
from submissions.models import Status, Submission

logger = logging.getLogger(__name__)
COMPUTE_TASK = "organizer.tasks.compute_rescore_run"
_NEW_FIELDS = (
    "score",
    "metrics",
    "per_class",
    "curve",
    "diagnosis",
    "ci_low",
    "ci_high",
    "scorer_version",
    "ground_truth_checksum",
)


def rescore_submissions(*, phase: Phase | None = None, submission: Submission | None = None) -> QuerySet[Submission]:
    """The scored submissions of one phase, one submission, or (neither given) every phase."""
    subs = Submission.objects.filter(status=Status.SCORED)
    if submission is not None:
        subs = subs.filter(pk=submission.pk)
    if phase is not None:
        subs = subs.filter(phase=phase)
    return subs.order_by("phase_id", "pk")


@transaction.atomic
def rescore_run_create(*, submissions: Iterable[Submission], actor: Any, scope: str) -> RescoreRun:
    """A pending run over the scored ones among ``submissions``; the caller computes or enqueues it."""
    scored = [s for s in submissions if s.status == Status.SCORED]
    if not scored:
        raise ApplicationError(
            "rescore_nothing", "None of these submissions is scored; only scored ones are re-scored."
        )
    run = RescoreRun.objects.create(scope=scope[:200], created_by=actor if getattr(actor, "pk", None) else None)
    RescoreItem.objects.bulk_create(
        RescoreItem(
            run=run,
            submission=s,
            old_score=s.score,
            old_scorer_version=s.scorer_version,
            old_ground_truth_checksum=s.ground_truth_checksum,
        )
        for s in scored
    )
    return run


def rescore_run_enqueue(*, run: RescoreRun) -> None:
    """Hand the run to a worker once the transaction that made it commits."""
    run_id = run.pk
    transaction.on_commit(lambda: _send(run_id))


def _send(run_id: int) -> None:
    try:
        task_named(COMPUTE_TASK).delay(run_id=run_id)
    except Exception:  # the broker is down: the run stays pending and the reaper sends it again
        logger.exception("Could not enqueue re-score run %s; requeue_stuck_rescore_runs will retry", run_id)


def rescore_run_compute(*, run_id: int) -> RescoreRun | None:
    """Score every item of a pending run and build the rank preview (a worker's job: slow).

    Claimed like a submission: only a pending run is taken (a second delivery does nothing), the
    attempt is counted, and the claim is renewed after each item so that a run whose worker died
    is told apart from a long one (``rescore_runs_requeue_stuck``). Only the attempt holding the
    claim writes the outcome.
    """
    with transaction.atomic():
        run = RescoreRun.objects.select_for_update().filter(pk=run_id, state=RescoreRun.State.PENDING).first()
        if run is None:
            return None  # already computed, or being computed by another delivery
        run.state, run.claimed_at = RescoreRun.State.RUNNING, timezone.now()
        run.attempts += 1
        run.save(update_fields=["state", "claimed_at", "attempts"])
    attempt = run.attempts
    try:
        _score_items(run, attempt)
        rank_changes, state, error = rescore_rank_preview(run=run), RescoreRun.State.READY, ""
    except _ClaimLost:
        return None
    except Exception:
        logger.exception("Re-score run %s failed", run.pk)
        rank_changes, state, error = {}, RescoreRun.State.FAILED, traceback.format_exc()
    written = RescoreRun.objects.filter(pk=run.pk, attempts=attempt, state=RescoreRun.State.RUNNING).update(
        state=state, rank_changes=rank_changes, error=Concat(F("error"), Value(error)), computed_at=timezone.now()
    )
    if not written:
        logger.warning("Re-score run %s was taken over while computing; this attempt's result is dropped", run.pk)
        return None
    run.refresh_from_db()
    return run


class _ClaimLost(Exception):
    """Another attempt took the run over (this worker was presumed dead): stop quietly."""


def _renew_claim(run: RescoreRun, attempt: int) -> None:
    renewed = RescoreRun.objects.filter(pk=run.pk, attempts=attempt, state=RescoreRun.State.RUNNING).update(
        claimed_at=timezone.now()
    )
    if not renewed:
        raise _ClaimLost


def rescore_runs_requeue_stuck(*, now: Any = None) -> dict[str, int]:
    """Rescue runs whose worker was lost: left running with a claim older than RESCORE_STUCK_AFTER,
    or pending that long (the message was lost). Re-queued while attempts remain, else failed."""
    now = now or timezone.now()
    cutoff = now - settings.RESCORE_STUCK_AFTER
    stuck = RescoreRun.objects.filter(
        Q(state=RescoreRun.State.RUNNING, claimed_at__lt=cutoff)
        | Q(state=RescoreRun.State.RUNNING, claimed_at__isnull=True, created_at__lt=cutoff)
        | Q(state=RescoreRun.State.PENDING, created_at__lt=cutoff, claimed_at__isnull=True)
        | Q(state=RescoreRun.State.PENDING, claimed_at__lt=cutoff)
    )
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        for run in stuck.select_for_update(skip_locked=True).order_by("pk"):
            note = f"{now:%Y-%m-%d %H:%M:%S} stuck in {run.state} after attempt {run.attempts}; "
            if run.attempts < settings.SCORING_MAX_ATTEMPTS:
                run.state, run.claimed_at = RescoreRun.State.PENDING, now
                run.error += note + "re-queued.\n"
                rescore_run_enqueue(run=run)
                counts["requeued"] += 1
            else:
                run.state, run.computed_at = RescoreRun.State.FAILED, now
                run.error += note + f"failed after {run.attempts} attempts.\n"
                counts["failed"] += 1
            run.save(update_fields=["state", "claimed_at", "computed_at", "error"])
    if counts["requeued"] or counts["failed"]:
        logger.warning("Stuck re-score runs: %s", counts)
    return counts


def _score_items(run: RescoreRun, attempt: int) -> None:
    items = run.items.select_related("submission__phase__track").order_by("submission__phase_id", "pk")
    for item in items:
        _renew_claim(run, attempt)
        sub = item.submission
        try:
            result = submission_evaluate(submission=sub, stats_name=f"rescore/run{run.pk}/submission{sub.pk}.npz")
        except Exception as exc:  # one archive that no longer scores must not sink the whole run
            logger.warning("Re-scoring submission %s failed: %r", item.submission_id, exc)
            item.error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            item.save(update_fields=["error"])
            continue
        for name, value in result.fields().items():
            setattr(item, f"new_{name}", value)
        item.error = ""
        item.save()


def _board_snapshot(phase: Phase) -> dict[str, dict[int, tuple[int, float, str]]]:
    boards: dict[str, dict[int, tuple[int, float, str]]] = {}
    for entry in LeaderboardEntry.objects.filter(phase=phase).select_related("team"):
        boards.setdefault(entry.board, {})[entry.team_id] = (entry.rank, entry.score, entry.team.name)
    return boards


def rescore_rank_preview(*, run: RescoreRun) -> dict[str, Any]:
    """Per phase and board, every team's old and new rank and score (the new ones never published).

    The new boards are the same ``board_standings`` that publishing will store, with the run's new
    scores put in place of the stored ones in memory: nothing is written.
    """
    preview: dict[str, Any] = {}
    new_scores = {
        i.submission_id: (float(i.new_score or 0.0), i.new_ci_low, i.new_ci_high)
        for i in run.items.filter(error="", new_score__isnull=False)
    }
    for phase in Phase.objects.filter(pk__in=run.items.values("submission__phase_id")):
        old = _board_snapshot(phase)
        new = _standings_snapshot(phase, new_scores)
        preview[str(phase.pk)] = {
            "phase": str(phase),
            "boards": {
                board: _compare(old.get(board, {}), new.get(board, {})) for board in sorted(set(old) | set(new))
            },
        }
    return preview


def _standings_snapshot(phase: Phase, new_scores: NewScores) -> dict[str, dict[int, tuple[int, float, str]]]:
    boards = board_standings(phase=phase, new_scores=new_scores)
    teams = {s.candidate.team_id for standings in boards.values() for s in standings}
    names = dict(Team.objects.filter(pk__in=teams).values_list("pk", "name"))
    return {
        board: {s.candidate.team_id: (s.rank, s.candidate.score, names[s.candidate.team_id]) for s in standings}
        for board, standings in boards.items()
        if standings
    }


def _compare(old: dict[int, tuple], new: dict[int, tuple]) -> list[dict[str, Any]]:
    rows = []
    for team_id in set(old) | set(new):
        o, n = old.get(team_id), new.get(team_id)
        rows.append(
            {
                "team_id": team_id,
                "team": (n or o)[2],  # type: ignore[index]
                "old_rank": o[0] if o else None,
                "old_score": o[1] if o else None,
                "new_rank": n[0] if n else None,
                "new_score": n[1] if n else None,
                "changed": (o or (None, None))[:2] != (n or (None, None))[:2],
            }
        )
    return sorted(rows, key=lambda r: (r["new_rank"] is None, r["new_rank"] or 0, r["old_rank"] or 0, r["team"]))


def rescore_run_publish(*, run: RescoreRun, actor: Any) -> RescoreRun:
    """Write the previewed scores, refresh the boards, and record the re-score in the audit log."""
    with transaction.atomic():
        run = RescoreRun.objects.select_for_update().get(pk=run.pk)
        if run.state != RescoreRun.State.READY:
            raise ApplicationError(
                "rescore_not_ready",
                f"Re-score run {run.pk} is {run.get_state_display().lower()}; only a ready preview can be published.",
                http_status=409,
            )
        items = list(run.items.filter(error="", new_score__isnull=False).select_related("submission__phase"))
        _check_ground_truth_unchanged(items)
        changes, old_stats = _publish_items(items)
        run.state, run.published_at = RescoreRun.State.PUBLISHED, timezone.now()
        run.published_by = actor if getattr(actor, "pk", None) else None
        run.save(update_fields=["state", "published_at", "published_by"])
        for phase in Phase.objects.filter(pk__in={i.submission.phase_id for i in items}):
            leaderboard_refresh(phase=phase)
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.RESCORE,
            summary=f"Published re-score run {run.pk} ({run.scope}): {len(changes)} submissions re-scored.",
            target=run,
            changes=changes,
        )
        transaction.on_commit(functools.partial(_delete_files, old_stats))
    return run


def _check_ground_truth_unchanged(items: list[RescoreItem]) -> None:
    for item in items:
        if (
            item.new_ground_truth_checksum
            and item.submission.phase.ground_truth_checksum != item.new_ground_truth_checksum
        ):
            raise ApplicationError(
                "rescore_stale",
                f"The ground truth of {item.submission.phase} changed after this preview; preview again, then publish.",
                http_status=409,
            )


def _publish_items(items: list[RescoreItem]) -> tuple[list[dict[str, Any]], list[str]]:
    changes, old_stats = [], []
    for item in items:
        sub = Submission.objects.select_for_update().filter(pk=item.submission_id, status=Status.SCORED).first()
        if sub is None:
            continue  # hidden or withdrawn is fine, but a submission no longer scored keeps its state
        changes.append(
            {
                "submission": sub.pk,
                "old_score": sub.score,
                "new_score": item.new_score,
                "old_scorer_version": sub.scorer_version,
                "new_scorer_version": item.new_scorer_version,
                "ground_truth_checksum": item.new_ground_truth_checksum,
            }
        )
        if sub.per_image_stats and sub.per_image_stats.name != item.new_per_image_stats:
            old_stats.append(sub.per_image_stats.name)
        for name in _NEW_FIELDS:
            setattr(sub, name, getattr(item, f"new_{name}"))
        sub.per_image_stats = item.new_per_image_stats
        sub.save(update_fields=[*_NEW_FIELDS, "per_image_stats"])
    return changes, old_stats


def rescore_run_delete(*, run: RescoreRun) -> None:
    """Drop an unpublished preview and the per-image statistics it computed (a published run stays)."""
    if run.state == RescoreRun.State.PUBLISHED:
        raise ApplicationError("rescore_published", f"Re-score run {run.pk} is published; it stays as the record.")
    names = [name for name in run.items.values_list("new_per_image_stats", flat=True) if name]
    run.delete()
    transaction.on_commit(functools.partial(_delete_files, names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
