"""A phase's boards as the ranking rules make them, read from the database (nothing is written).

``leaderboard_refresh`` stores these standings; the re-score preview asks for them with new scores
put in place of the stored ones, so it needs no write-then-rollback.
"""

from __future__ import annotations

from collections.abc import Mapping

from challenges.models import Phase
from leaderboard import ranking
from leaderboard.models import Board, FrozenEntry
from submissions.models import Status, Submission, TeamPhase
from verification.models import VerificationRequest

# submission id -> (score, ci_low, ci_high)
NewScores = Mapping[int, tuple[float, float | None, float | None]]


def phase_candidates(*, phase: Phase, new_scores: NewScores | None = None) -> list[ranking.Candidate]:
    """The phase's scored, visible submissions, with ``new_scores`` in place of stored ones."""
    rows = Submission.objects.filter(phase=phase, status=Status.SCORED, hidden=False).values_list(
        "id", "team_id", "score", "created_at", "ci_low", "ci_high"
    )
    candidates = [ranking.Candidate(i, t, s or 0.0, c, lo, hi) for i, t, s, c, lo, hi in rows]
    if new_scores:
        candidates = [ranking.with_score(c, *new_scores[c.id]) if c.id in new_scores else c for c in candidates]
    return candidates


def verification_states(*, phase: Phase) -> dict[int, str]:
    return dict(VerificationRequest.objects.filter(phase=phase).values_list("team_id", "state"))


def board_standings(
    *, phase: Phase, new_scores: NewScores | None = None, states: Mapping[int, str] | None = None
) -> dict[str, list[ranking.Standing]]:
    """Per board, the ranked entries.

    The official board counts submissions made before the deadline and leaves out teams whose
    verification for this phase ended in disqualification; once the phase is frozen (for its
    current deadline) each team keeps the submission kept at freeze time (with its current score). The post-challenge board
    counts everything.
    """
    scored = phase_candidates(phase=phase, new_scores=new_scores)
    states = verification_states(phase=phase) if states is None else states
    disqualified = {team for team, state in states.items() if state == VerificationRequest.State.DISQUALIFIED}
    chosen = dict(TeamPhase.objects.filter(phase=phase).values_list("team_id", "representative_id"))
    before = [c for c in scored if c.created_at < phase.ends_at]
    official = ranking.representatives(before, chosen)
    if phase.is_frozen:
        # Frozen: each team kept at freeze time keeps that submission, with its current score
        # (re-scoring counts); hidden or no-longer-scored ones are candidates no more and so drop
        # out. A team with no kept row (its pre-deadline upload was still being scored at the
        # freeze) enters with its representative among its pre-deadline submissions.
        kept = dict(FrozenEntry.objects.filter(phase=phase).values_list("team_id", "submission_id"))
        by_id = {c.id: c for c in before}
        official = [by_id[sub] for sub in kept.values() if sub in by_id] + [
            c for c in official if c.team_id not in kept
        ]
    return {
        Board.OFFICIAL: ranking.ranked(c for c in official if c.team_id not in disqualified),
        Board.POST: ranking.ranked(ranking.representatives(scored, chosen)),
    }
