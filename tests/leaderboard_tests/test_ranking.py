"""leaderboard_refresh: ranks with ties, representatives, boards, disqualification, intervals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leaderboard.models import LeaderboardEntry
from leaderboard.selectors import leaderboard_rows
from leaderboard.services import leaderboard_refresh
from submissions.models import Status, TeamPhase
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


def _board(phase, board="official"):  # type: ignore[no-untyped-def]
    return [(r["team"]["name"], r["rank"], r["score"]) for r in leaderboard_rows(phase=phase, board=board)]


def test_equal_scores_share_a_rank_and_the_next_rank_skips() -> None:
    phase = PhaseFactory()
    t0 = timezone.now() - dt.timedelta(days=3)
    teams = [TeamFactory(name=n) for n in ("A", "B", "C", "D")]
    scored_submission(phase=phase, team=teams[0], score=0.7, created_at=t0)
    scored_submission(phase=phase, team=teams[2], score=0.8, created_at=t0 + dt.timedelta(hours=2))
    scored_submission(phase=phase, team=teams[1], score=0.8, created_at=t0 + dt.timedelta(hours=1))
    scored_submission(phase=phase, team=teams[3], score=0.9, created_at=t0)

    leaderboard_refresh(phase=phase)

    # 0.9 -> 1; 0.8 twice -> 2 and 2 (the earlier submission, B, listed first); 0.7 -> 4.
    assert _board(phase) == [("D", 1, 0.9), ("B", 2, 0.8), ("C", 2, 0.8), ("A", 4, 0.7)]


def test_a_team_is_represented_by_its_best_unless_it_chose_another() -> None:
    phase = PhaseFactory()
    team, other = TeamFactory(name="Chooser"), TeamFactory(name="Other")
    scored_submission(phase=phase, team=team, score=0.6)
    weaker = scored_submission(phase=phase, team=team, score=0.4)
    scored_submission(phase=phase, team=team, score=0.9, hidden=True)  # hidden by an organizer
    scored_submission(phase=phase, team=team, score=0.0, status=Status.REJECTED)
    scored_submission(phase=phase, team=other, score=0.5)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("Chooser", 1, 0.6), ("Other", 2, 0.5)]

    TeamPhase.objects.create(team=team, phase=phase, representative=weaker)
    leaderboard_refresh(phase=phase)
    assert _board(phase) == [("Other", 1, 0.5), ("Chooser", 2, 0.4)]
    # Three counted submissions (the hidden one counts, the rejected one does not).
    assert leaderboard_rows(phase=phase, board="official")[1]["submissions_used"] == 3


def test_the_official_board_counts_only_submissions_made_before_the_deadline() -> None:
    phase = PhaseFactory(ends_at=timezone.now() - dt.timedelta(days=1))
    early, late = TeamFactory(name="Early"), TeamFactory(name="Late")
    before = phase.ends_at - dt.timedelta(hours=1)
    scored_submission(phase=phase, team=early, score=0.5, created_at=before)
    scored_submission(phase=phase, team=early, score=0.95)  # after the deadline: post board only
    scored_submission(phase=phase, team=late, score=0.7)

    leaderboard_refresh(phase=phase)

    assert _board(phase, "official") == [("Early", 1, 0.5)]
    assert _board(phase, "post") == [("Early", 1, 0.95), ("Late", 2, 0.7)]
    assert leaderboard_rows(phase=phase, board="official")[0]["submissions_used"] == 1
    assert leaderboard_rows(phase=phase, board="post")[0]["submissions_used"] == 2


def test_a_disqualified_team_drops_from_the_official_board_and_the_next_moves_up() -> None:
    phase = PhaseFactory()
    teams = [TeamFactory(name=n) for n in ("First", "Second", "Third")]
    subs = [scored_submission(phase=phase, team=t, score=s) for t, s in zip(teams, (0.9, 0.8, 0.7), strict=True)]
    request = VerificationRequest.objects.create(phase=phase, team=teams[0], submission=subs[0], rank_when_requested=1)
    VerificationRequest.objects.create(
        phase=phase,
        team=teams[1],
        submission=subs[1],
        rank_when_requested=2,
        state=VerificationRequest.State.VERIFIED,
    )
    leaderboard_refresh(phase=phase)
    rows = leaderboard_rows(phase=phase, board="official")
    assert [(r["team"]["name"], r["verification"]) for r in rows] == [
        ("First", "requested"),
        ("Second", "verified"),
        ("Third", None),
    ]

    request.state = VerificationRequest.State.DISQUALIFIED
    request.save()
    leaderboard_refresh(phase=phase)

    assert _board(phase, "official") == [("Second", 1, 0.8), ("Third", 2, 0.7)]
    assert [r["verification"] for r in leaderboard_rows(phase=phase, board="post")] == [
        "disqualified",
        "verified",
        None,
    ]


def test_adjacent_entries_whose_intervals_overlap_are_flagged_not_significant() -> None:
    phase = PhaseFactory()
    teams = [TeamFactory(name=n) for n in "ABCD"]
    # A [0.85, 0.95] vs B [0.70, 0.86]: 0.85 <= 0.86 overlap. B vs C [0.50, 0.69]: 0.70 > 0.69, apart.
    # C vs D (no interval): unknown, so not flagged.
    scored_submission(phase=phase, team=teams[0], score=0.9, ci=(0.85, 0.95))
    scored_submission(phase=phase, team=teams[1], score=0.8, ci=(0.70, 0.86))
    scored_submission(phase=phase, team=teams[2], score=0.6, ci=(0.50, 0.69))
    scored_submission(phase=phase, team=teams[3], score=0.4)
    leaderboard_refresh(phase=phase)

    rows = leaderboard_rows(phase=phase, board="official")
    assert [(r["overlaps_next"], r["not_significant"]) for r in rows] == [
        (True, True),
        (False, True),
        (False, False),
        (False, False),
    ]
    assert [r["ci"] for r in rows] == [[0.85, 0.95], [0.70, 0.86], [0.50, 0.69], None]


def test_refresh_replaces_the_stored_rows_wholesale() -> None:
    phase = PhaseFactory()
    team = TeamFactory()
    sub = scored_submission(phase=phase, team=team, score=0.5)
    leaderboard_refresh(phase=phase)
    leaderboard_refresh(phase=phase)
    assert LeaderboardEntry.objects.filter(phase=phase).count() == 2  # one official, one post
    sub.hidden = True
    sub.save()
    leaderboard_refresh(phase=phase)
    assert LeaderboardEntry.objects.filter(phase=phase).count() == 0


def test_a_hidden_chosen_submission_represents_nobody_on_the_board_or_in_the_api() -> None:
    from submissions.selectors import representative_ids

    phase = PhaseFactory()
    team = TeamFactory(name="Chooser")
    best = scored_submission(phase=phase, team=team, score=0.6)
    chosen = scored_submission(phase=phase, team=team, score=0.4)
    TeamPhase.objects.create(team=team, phase=phase, representative=chosen)
    chosen.hidden = True  # an organizer hid it after the team chose it
    chosen.save()
    leaderboard_refresh(phase=phase)
    assert _board(phase, "post") == [("Chooser", 1, 0.6)]
    assert representative_ids([best, chosen]) == {best.pk}
