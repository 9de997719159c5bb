"""Freezing the official board at the deadline, and what may change it afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditLogEntry
from leaderboard.models import FrozenEntry
from leaderboard.selectors import leaderboard_rows
from leaderboard.services import leaderboard_refresh
from leaderboard.tasks import freeze_closed_phases
from submissions.models import Status, Submission, TeamPhase
from tests.leaderboard_tests.factories import past_deadline, scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


def _board(phase, board="official"):  # type: ignore[no-untyped-def]
    return [(r["team"]["name"], r["rank"], r["submission"]) for r in leaderboard_rows(phase=phase, board=board)]


@pytest.fixture
def closed():  # type: ignore[no-untyped-def]
    """A phase whose deadline passed yesterday: A (0.8) ahead of B (0.6) and C (0.5)."""
    phase = past_deadline(PhaseFactory())
    before = phase.ends_at - dt.timedelta(hours=3)
    teams = {n: TeamFactory(name=n) for n in "ABC"}
    subs = {
        "A": scored_submission(phase=phase, team=teams["A"], score=0.8, created_at=before),
        "A-weak": scored_submission(phase=phase, team=teams["A"], score=0.3, created_at=before),
        "B": scored_submission(phase=phase, team=teams["B"], score=0.6, created_at=before),
        "C": scored_submission(phase=phase, team=teams["C"], score=0.5, created_at=before),
    }
    leaderboard_refresh(phase=phase)
    return phase, teams, subs


def test_the_beat_task_freezes_only_phases_past_their_deadline(closed) -> None:  # type: ignore[no-untyped-def]
    phase, _, subs = closed
    open_phase = PhaseFactory(track=TrackFactory(number=2))

    assert freeze_closed_phases() == [phase.pk]

    phase.refresh_from_db()
    open_phase.refresh_from_db()
    assert phase.frozen_at is not None and open_phase.frozen_at is None
    assert list(FrozenEntry.objects.filter(phase=phase).values_list("submission_id", "rank_at_freeze")) == [
        (subs["A"].pk, 1),
        (subs["B"].pk, 2),
        (subs["C"].pk, 3),
    ]
    entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.FREEZE)
    assert (entry.target_type, entry.target_id) == ("challenges.Phase", str(phase.pk))
    assert entry.detail == {"submissions": [subs["A"].pk, subs["B"].pk, subs["C"].pk]}
    assert freeze_closed_phases() == []  # already frozen: nothing to do, no second audit entry
    assert AuditLogEntry.objects.filter(action=AuditLogEntry.Action.FREEZE).count() == 1


def test_after_the_freeze_new_submissions_and_representative_changes_only_touch_the_post_board(closed) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = closed
    freeze_closed_phases()
    phase.refresh_from_db()
    official = _board(phase)

    # Team A picks its weaker submission after the freeze; team C submits a winner after the deadline.
    TeamPhase.objects.create(team=teams["A"], phase=phase, representative=subs["A-weak"])
    late = scored_submission(phase=phase, team=teams["C"], score=0.99)
    leaderboard_refresh(phase=phase)

    assert _board(phase) == official == [("A", 1, subs["A"].pk), ("B", 2, subs["B"].pk), ("C", 3, subs["C"].pk)]
    assert _board(phase, "post") == [("C", 1, late.pk), ("B", 2, subs["B"].pk), ("A", 3, subs["A-weak"].pk)]


def test_after_the_freeze_rescoring_and_disqualification_still_change_the_official_board(closed) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = closed
    freeze_closed_phases()
    phase.refresh_from_db()

    # Re-scoring C lifts it above A; then A is disqualified and leaves; ranks close up.
    Submission.objects.filter(pk=subs["C"].pk).update(score=0.85)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("C", 1, subs["C"].pk), ("A", 2, subs["A"].pk), ("B", 3, subs["B"].pk)]

    VerificationRequest.objects.create(
        phase=phase,
        team=teams["A"],
        submission=subs["A"],
        rank_when_requested=1,
        state=VerificationRequest.State.DISQUALIFIED,
    )
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("C", 1, subs["C"].pk), ("B", 2, subs["B"].pk)]

    # A submission that fails on re-scoring leaves the board too.
    Submission.objects.filter(pk=subs["B"].pk).update(status=Status.FAILED, score=None)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("C", 1, subs["C"].pk)]


def test_between_the_deadline_and_the_freeze_the_official_board_uses_pre_deadline_submissions() -> None:
    phase = past_deadline(PhaseFactory(), days_ago=0)
    team = TeamFactory(name="Solo")
    early = scored_submission(phase=phase, team=team, score=0.4, created_at=phase.ends_at - dt.timedelta(minutes=5))
    scored_submission(phase=phase, team=team, score=0.9, created_at=timezone.now())
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("Solo", 1, early.pk)]
