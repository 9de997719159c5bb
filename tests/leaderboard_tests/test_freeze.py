"""Freezing the official board at the deadline, and what may change it afterwards."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditLogEntry
from challenges.models import Phase
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


# A freeze belongs to a deadline ------------------------------------------------------------------


def test_extending_the_deadline_after_an_empty_freeze_reopens_the_phase_and_the_board_fills() -> None:
    """The beat froze the phase at its first deadline with nobody on the board; the organizer then
    moved the deadline two days later and teams submitted: the official board shows them."""
    from leaderboard.services import phase_deadline_changed

    phase = past_deadline(PhaseFactory())
    assert freeze_closed_phases() == [phase.pk]
    phase.refresh_from_db()
    assert phase.frozen_at is not None and not FrozenEntry.objects.filter(phase=phase).exists()

    old = phase.ends_at
    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() + dt.timedelta(days=2))
    phase.refresh_from_db()
    phase_deadline_changed(phase=phase, old_ends_at=old, actor=None)
    phase.refresh_from_db()
    assert phase.frozen_at is None
    entry = AuditLogEntry.objects.filter(action=AuditLogEntry.Action.FREEZE).order_by("-pk").first()
    assert entry.summary.startswith(f"Re-opened the official leaderboard of {phase}")

    team = TeamFactory(name="Late but on time")
    sub = scored_submission(phase=phase, team=team, score=0.7)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("Late but on time", 1, sub.pk)]
    assert freeze_closed_phases() == []  # the new deadline has not passed


def test_a_freeze_made_before_the_deadline_was_moved_is_ignored_even_without_the_admin() -> None:
    """ends_at changed behind the admin's back (shell, load_challenge): the stale freeze does not
    hide the submissions made before the new deadline, and the beat freezes again once it passes."""
    now = timezone.now()
    phase = past_deadline(PhaseFactory(), days_ago=3)
    freeze_closed_phases()
    Phase.objects.filter(pk=phase.pk).update(frozen_at=now - dt.timedelta(days=3) + dt.timedelta(minutes=1))
    team = TeamFactory(name="T")
    sub = scored_submission(phase=phase, team=team, score=0.5, created_at=now - dt.timedelta(days=1))
    Phase.objects.filter(pk=phase.pk).update(ends_at=now + dt.timedelta(hours=1))
    phase.refresh_from_db()
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("T", 1, sub.pk)]

    Phase.objects.filter(pk=phase.pk).update(ends_at=now - dt.timedelta(hours=1))
    assert freeze_closed_phases() == [phase.pk]
    assert list(FrozenEntry.objects.filter(phase=phase).values_list("submission_id", flat=True)) == [sub.pk]


def test_a_submission_made_before_the_deadline_but_scored_after_the_freeze_enters_the_official_board(closed) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = closed
    late_scorer = TeamFactory(name="D")
    queued = scored_submission(
        phase=phase,
        team=late_scorer,
        score=0.7,
        status=Status.QUEUED,
        created_at=phase.ends_at - dt.timedelta(minutes=1),
    )
    freeze_closed_phases()
    phase.refresh_from_db()
    Submission.objects.filter(pk=queued.pk).update(status=Status.SCORED, score=0.7, metrics={"mean_iou": 0.7})
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [
        ("A", 1, subs["A"].pk),
        ("D", 2, queued.pk),
        ("B", 3, subs["B"].pk),
        ("C", 4, subs["C"].pk),
    ]


def test_the_official_board_of_a_closed_phase_is_right_without_beat(closed) -> None:  # type: ignore[no-untyped-def]
    phase, _, subs = closed
    # No freeze ran: the board is computed from the submissions before the deadline.
    scored_submission(phase=phase, team=TeamFactory(name="After"), score=0.99)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("A", 1, subs["A"].pk), ("B", 2, subs["B"].pk), ("C", 3, subs["C"].pk)]


def test_freeze_phase_command(closed) -> None:  # type: ignore[no-untyped-def]
    phase, _, subs = closed
    out = io.StringIO()
    call_command("freeze_phase", "lid2020", "1", "test", stdout=out)
    assert out.getvalue() == f"Froze the official leaderboard of {phase} with 3 teams.\n"
    out = io.StringIO()
    call_command("freeze_phase", "lid2020", "1", "test", stdout=out)
    assert (
        out.getvalue()
        == f"{phase} is frozen already (since {Phase.objects.get(pk=phase.pk).frozen_at:%Y-%m-%d %H:%M:%S} UTC).\n"
    )

    open_phase = PhaseFactory(track=TrackFactory(number=2))
    with pytest.raises(CommandError) as exc:
        call_command("freeze_phase", "lid2020", "2", "test")
    assert str(exc.value) == (
        f"{open_phase} closes at {open_phase.ends_at:%Y-%m-%d %H:%M:%S} UTC; a phase is frozen at its deadline, "
        "not before. Move the deadline first if the phase must close now."
    )
    with pytest.raises(CommandError) as exc:
        call_command("freeze_phase", "lid2020", "7", "test")
    assert str(exc.value) == "There is no such leaderboard; check the challenge, track number and split."
