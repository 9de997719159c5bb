"""Choosing a representative that drops the team's rank asks for a confirmation (page and API)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leaderboard.selectors import leaderboard_rows
from leaderboard.services import leaderboard_refresh
from submissions.models import TeamPhase
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():  # type: ignore[no-untyped-def]
    """An open phase: A (0.8, and a weak 0.5) ranks 1, B 0.7, C 0.6."""
    phase = PhaseFactory()
    teams = {n: TeamFactory(challenge=phase.track.challenge, name=n) for n in "ABC"}
    subs = {
        "A": scored_submission(phase=phase, team=teams["A"], score=0.8),
        "A-weak": scored_submission(phase=phase, team=teams["A"], score=0.5),
        "B": scored_submission(phase=phase, team=teams["B"], score=0.7),
        "C": scored_submission(phase=phase, team=teams["C"], score=0.6),
    }
    leaderboard_refresh(phase=phase)
    return phase, teams, subs


SENTENCE = (
    "Submission {pk} scores 50.00, below your team's current entry (80.00): your team would drop from rank 1 to "
    "rank 3 on the official and post-challenge leaderboards. Confirm to choose it anyway."
)


def _ranks(phase, board="post"):  # type: ignore[no-untyped-def]
    return [(r["team"]["name"], r["rank"]) for r in leaderboard_rows(phase=phase, board=board)]


def test_the_api_answers_409_without_confirm_and_sets_it_with_confirm(board) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = board
    api = APIClient()
    api.force_authenticate(teams["A"].captain)
    url = f"/api/submissions/{subs['A-weak'].pk}/representative/"

    response = api.post(url, {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "representative_drops_rank",
        "message": SENTENCE.format(pk=subs["A-weak"].pk),
        "detail": {"rank_now": 1, "rank_new": 3, "boards": ["official", "post"], "confirm": "Send confirm=true."},
    }
    assert not TeamPhase.objects.filter(representative__isnull=False).exists()
    assert _ranks(phase) == [("A", 1), ("B", 2), ("C", 3)]

    response = api.post(url, {"confirm": True}, format="json")
    assert response.status_code == 200 and response.json()["is_representative"] is True
    assert _ranks(phase) == [("B", 1), ("C", 2), ("A", 3)]


def test_a_choice_that_keeps_or_raises_the_rank_needs_no_confirmation(board) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = board
    TeamPhase.objects.create(team=teams["A"], phase=phase, representative=subs["A-weak"])
    leaderboard_refresh(phase=phase)
    api = APIClient()
    api.force_authenticate(teams["A"].captain)
    assert api.post(f"/api/submissions/{subs['A'].pk}/representative/").status_code == 200
    assert _ranks(phase) == [("A", 1), ("B", 2), ("C", 3)]


def test_the_page_asks_for_a_confirmation_then_sets_it(board) -> None:  # type: ignore[no-untyped-def]
    phase, teams, subs = board
    page = Client()
    page.force_login(teams["A"].captain)
    url = f"/submissions/{subs['A-weak'].pk}/representative/"

    response = page.post(url, {"next": "/somewhere/"})
    assert response.status_code == 200
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert SENTENCE.format(pk=subs["A-weak"].pk) in text
    body = response.content.decode()
    assert f'<form method="post" action="{url}">' in body
    assert '<input type="hidden" name="confirm" value="1">' in body
    assert '<input type="hidden" name="next" value="/somewhere/">' in body
    assert not TeamPhase.objects.filter(representative__isnull=False).exists()

    response = page.post(url, {"confirm": "1", "next": "/somewhere/"})
    assert response.status_code == 302 and response["Location"] == "/somewhere/"
    assert TeamPhase.objects.get(team=teams["A"]).representative == subs["A-weak"]
