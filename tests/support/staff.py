"""Builders shared by the organizer-side test packages (verification, admin, rescoring, ground truth)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import VERIFIERS_GROUP
from challenges.models import Phase
from leaderboard.services import leaderboard_refresh
from submissions.models import Submission
from tests.support.factories import PhaseFactory, SubmissionFactory, TeamFactory, UserFactory


def closed_test_phase(**fields: Any) -> Phase:
    """A test phase whose deadline passed yesterday."""
    now = timezone.now()
    return PhaseFactory(starts_at=now - dt.timedelta(days=30), ends_at=now - dt.timedelta(days=1), **fields)


def scored_submission(
    phase: Phase, team: Any, score: float, *, before_deadline: bool = True, **fields: Any
) -> Submission:
    """A scored submission row (no archive on disk); made before the deadline unless told otherwise."""
    if before_deadline:
        fields.setdefault("created_at", phase.ends_at - dt.timedelta(hours=1))
    sub = SubmissionFactory(phase=phase, team=team, method_name=f"method of {team.name}", score=score, **fields)
    return sub


def board_with_teams(phase: Phase, scores: list[float], *, first: str = "A") -> list[Any]:
    """Teams named "Team A", "Team B", ... with one scored submission each, and the refreshed boards."""
    teams = []
    for index, score in enumerate(scores):
        letter = chr(ord(first) + index)
        captain = UserFactory(username=f"captain{letter.lower()}")
        team = TeamFactory(challenge=phase.track.challenge, name=f"Team {letter}", captain=captain)
        scored_submission(phase, team, score)
        teams.append(team)
    leaderboard_refresh(phase=phase)
    return teams


def verifier_user(username: str = "vera") -> Any:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=VERIFIERS_GROUP)[0])
    return user


def organizer_user(username: str = "olga") -> Any:
    return UserFactory(username=username, is_staff=True)
