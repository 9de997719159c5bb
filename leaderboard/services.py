"""Writing leaderboards: rows are recomputed wholesale for a phase whenever a score lands.

Reading a board is then one query over stored rows (ranks, intervals, the overlap flags and the
verification state are all computed here, never per request).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Phase
from leaderboard import memo, ranking
from leaderboard.models import Board, FrozenEntry, LeaderboardEntry
from leaderboard.standings import board_standings, verification_states
from lidserver.errors import ApplicationError
from submissions.models import COUNTED_STATUSES, Submission


def _build_rows(
    phase: Phase, board: str, standings: list[ranking.Standing], used: dict[int, int], states: dict[int, str]
) -> list[LeaderboardEntry]:
    return [
        LeaderboardEntry(
            phase=phase,
            board=board,
            team_id=s.candidate.team_id,
            submission_id=s.candidate.id,
            rank=s.rank,
            score=s.candidate.score,
            ci_low=s.candidate.ci_low,
            ci_high=s.candidate.ci_high,
            overlaps_next=s.overlaps_next,
            submissions_used=used.get(s.candidate.team_id, 0),
            verification_state=states.get(s.candidate.team_id, ""),
        )
        for s in standings
    ]


def _used_counts(phase: Phase, *, before: Any = None) -> dict[int, int]:
    qs = Submission.objects.filter(phase=phase, status__in=COUNTED_STATUSES)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    used: dict[int, int] = {}
    for team_id in qs.values_list("team_id", flat=True):
        used[team_id] = used.get(team_id, 0) + 1
    return used


@transaction.atomic
def leaderboard_refresh(*, phase: Phase) -> None:
    """Recompute and store the phase's boards (``leaderboard.standings.board_standings``)."""
    # Serialise concurrent refreshes of one phase (two scores landing at once) on the phase row.
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    states = verification_states(phase=phase)
    boards = board_standings(phase=phase, states=states)
    used_before = _used_counts(phase, before=phase.ends_at)
    rows = _build_rows(phase, Board.OFFICIAL, boards[Board.OFFICIAL], used_before, states)
    rows += _build_rows(phase, Board.POST, boards[Board.POST], _used_counts(phase), states)
    LeaderboardEntry.objects.filter(phase=phase).delete()
    LeaderboardEntry.objects.bulk_create(rows)
    transaction.on_commit(lambda: _forget_versions(phase.pk))


def _forget_versions(phase_id: int) -> None:
    # Pages remember a board's version for a second (leaderboard.views); in this process, forget it
    # at once. Other processes notice within that second.
    memo.forget(*(f"leaderboard:version:{phase_id}:{board}" for board in Board.values))


@transaction.atomic
def leaderboard_freeze(*, phase: Phase, actor: Any = None) -> bool:
    """Freeze the official board of a phase past its deadline; False when it already was frozen.

    Keeps each official team's submission as it stands now (``FrozenEntry``) and records the
    freeze in the audit log. A freeze made for an earlier deadline is replaced.
    """
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    if phase.is_frozen:
        return False
    if not phase.is_past_deadline():
        raise ApplicationError(
            "phase_not_closed",
            f"{phase} closes at {phase.ends_at:%Y-%m-%d %H:%M:%S} UTC; a phase is frozen at its deadline, not "
            "before. Move the deadline first if the phase must close now.",
            http_status=409,
        )
    FrozenEntry.objects.filter(phase=phase).delete()  # kept for a deadline that was moved since
    phase.frozen_at = None
    leaderboard_refresh(phase=phase)  # the official board as of the deadline, with today's representatives
    entries = list(LeaderboardEntry.objects.filter(phase=phase, board=Board.OFFICIAL).order_by("rank", "pk"))
    FrozenEntry.objects.bulk_create(
        FrozenEntry(phase=phase, team_id=e.team_id, submission_id=e.submission_id, rank_at_freeze=e.rank)
        for e in entries
    )
    phase.frozen_at = timezone.now()
    phase.save(update_fields=["frozen_at"])
    audit_record(
        actor=actor,
        action=AuditLogEntry.Action.FREEZE,
        summary=f"Froze the official leaderboard of {phase} with {len(entries)} teams.",
        target=phase,
        submissions=[e.submission_id for e in entries],
    )
    transaction.on_commit(lambda: _forget_versions(phase.pk))
    return True


@transaction.atomic
def phase_deadline_changed(*, phase: Phase, old_ends_at: Any, actor: Any = None) -> None:
    """After an organizer moved a deadline: a freeze made for the old one no longer holds.

    The phase re-opens (its kept rows go, the audit log says so) and the official board is
    recomputed for the new deadline; if that deadline has passed too, the phase is frozen again
    at once, so the board never waits for beat.
    """
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    if phase.ends_at == old_ends_at:
        return
    if phase.frozen_at is not None:
        FrozenEntry.objects.filter(phase=phase).delete()
        phase.frozen_at = None
        phase.save(update_fields=["frozen_at"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.FREEZE,
            summary=(
                f"Re-opened the official leaderboard of {phase}: its deadline moved from "
                f"{old_ends_at:%Y-%m-%d %H:%M:%S} to {phase.ends_at:%Y-%m-%d %H:%M:%S} UTC."
            ),
            target=phase,
            old_ends_at=old_ends_at.isoformat(),
            new_ends_at=phase.ends_at.isoformat(),
        )
    if phase.is_past_deadline():
        leaderboard_freeze(phase=phase, actor=actor)
    else:
        leaderboard_refresh(phase=phase)


def freeze_closed_phases(*, now: Any = None) -> list[int]:
    """Freeze every phase whose deadline has passed and that is not frozen for it yet; returns their ids."""
    now = now or timezone.now()
    frozen = []
    unfrozen = Q(frozen_at__isnull=True) | Q(frozen_at__lt=F("ends_at"))
    for phase in Phase.objects.filter(unfrozen, ends_at__lte=now):
        if leaderboard_freeze(phase=phase):
            frozen.append(phase.pk)
    return frozen
