"""Writing leaderboards: rows are recomputed wholesale for a phase whenever a score lands.

Reading a board is then one query over stored rows (ranks, intervals, the overlap flags and the
verification state are all computed here, never per request).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Phase
from leaderboard import memo
from leaderboard.models import Board, FrozenEntry, LeaderboardEntry
from lidserver.errors import ApplicationError
from submissions.models import COUNTED_STATUSES, Status, Submission, TeamPhase
from verification.models import VerificationRequest

_FIELDS = ("id", "team_id", "score", "created_at", "ci_low", "ci_high")


def _order_key(sub: Submission) -> tuple[float, Any, int]:
    # Best score first; on equal scores the earlier submission wins the tie-break of display order.
    return (-(sub.score or 0.0), sub.created_at, sub.pk)


def _representatives(phase: Phase, submissions: list[Submission]) -> dict[int, Submission]:
    """Per team: its chosen scored submission if among ``submissions``, else its best (earliest on ties)."""
    chosen = dict(TeamPhase.objects.filter(phase=phase).values_list("team_id", "representative_id"))
    by_team: dict[int, Submission] = {}
    for sub in sorted(submissions, key=_order_key):
        by_team.setdefault(sub.team_id, sub)
    for sub in submissions:
        if chosen.get(sub.team_id) == sub.pk:
            by_team[sub.team_id] = sub
    return by_team


def rank_entries(subs: Iterable[Submission]) -> list[tuple[int, Submission]]:
    """Competition ranking ("1224"): scores 0.9, 0.8, 0.8, 0.7 rank 1, 2, 2, 4."""
    ranked: list[tuple[int, Submission]] = []
    rank, previous = 0, None
    for position, sub in enumerate(sorted(subs, key=_order_key), start=1):
        if sub.score != previous:
            rank, previous = position, sub.score
        ranked.append((rank, sub))
    return ranked


def _build_rows(
    phase: Phase, board: str, subs: Iterable[Submission], used: dict[int, int], states: dict[int, str]
) -> list[LeaderboardEntry]:
    rows = [
        LeaderboardEntry(
            phase=phase,
            board=board,
            team_id=sub.team_id,
            submission=sub,
            rank=rank,
            score=sub.score or 0.0,
            ci_low=sub.ci_low,
            ci_high=sub.ci_high,
            submissions_used=used.get(sub.team_id, 0),
            verification_state=states.get(sub.team_id, ""),
        )
        for rank, sub in rank_entries(subs)
    ]
    # Adjacent entries whose 95% intervals overlap are not significantly different.
    for upper, lower in zip(rows, rows[1:], strict=False):
        if upper.ci_low is not None and lower.ci_high is not None:
            upper.overlaps_next = upper.ci_low <= lower.ci_high
    return rows


def _used_counts(phase: Phase, *, before: Any = None) -> dict[int, int]:
    qs = Submission.objects.filter(phase=phase, status__in=COUNTED_STATUSES)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    used: dict[int, int] = {}
    for team_id in qs.values_list("team_id", flat=True):
        used[team_id] = used.get(team_id, 0) + 1
    return used


def _official_submissions(phase: Phase, scored: list[Submission], disqualified: set[int]) -> list[Submission]:
    before = [s for s in scored if s.created_at < phase.ends_at]
    reps = _representatives(phase, before)
    if phase.is_frozen:
        # Frozen: each team kept at freeze time keeps that submission, with its current score
        # (re-scoring counts); hidden or no-longer-scored ones are in ``scored`` no more and so drop
        # out. A team with no kept row (its pre-deadline upload was still being scored at the
        # freeze) enters with its representative among its pre-deadline submissions.
        kept = dict(FrozenEntry.objects.filter(phase=phase).values_list("team_id", "submission_id"))
        by_id = {s.pk: s for s in before}
        reps = {team: by_id[sub] for team, sub in kept.items() if sub in by_id} | {
            team: sub for team, sub in reps.items() if team not in kept
        }
    return [s for s in reps.values() if s.team_id not in disqualified]


@transaction.atomic
def leaderboard_refresh(*, phase: Phase) -> None:
    """Recompute the phase's stored boards: ranks by key score, ties share a rank.

    The official board counts submissions made before the deadline and leaves out teams whose
    verification for this phase ended in disqualification; once the phase is frozen it is rebuilt
    from the submissions kept at freeze time only. The post-challenge board counts everything.
    """
    # Serialise concurrent refreshes of one phase (two scores landing at once) on the phase row.
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    scored = list(Submission.objects.filter(phase=phase, status=Status.SCORED, hidden=False).only(*_FIELDS))
    states = dict(VerificationRequest.objects.filter(phase=phase).values_list("team_id", "state"))
    disqualified = {team for team, state in states.items() if state == VerificationRequest.State.DISQUALIFIED}
    official = _official_submissions(phase, scored, disqualified)
    rows = _build_rows(phase, Board.OFFICIAL, official, _used_counts(phase, before=phase.ends_at), states)
    rows += _build_rows(phase, Board.POST, _representatives(phase, scored).values(), _used_counts(phase), states)
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
