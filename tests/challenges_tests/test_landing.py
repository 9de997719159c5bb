"""The challenge's front page: each phase with its countdown, the test board's top 3, the counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges.models import Phase
from challenges.services import challenge_load
from leaderboard.services import leaderboard_refresh
from submissions.models import Status
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    challenge = challenge_load()
    now = timezone.now()
    # Track 1 test open for 3 more days; the other phases as shipped (closed in 2020).
    Phase.objects.filter(track__challenge=challenge, track__number=1, split="test").update(
        ends_at=now + dt.timedelta(days=3, hours=5, minutes=30)
    )
    return challenge


def _board(challenge, number, scores):  # type: ignore[no-untyped-def]
    phase = Phase.objects.get(track__challenge=challenge, track__number=number, split="test")
    teams = []
    for i, score in enumerate(scores):
        team = TeamFactory(challenge=challenge, name=f"T{number}-{i}")
        scored_submission(phase=phase, team=team, score=score, created_at=phase.ends_at - dt.timedelta(days=1))
        teams.append(team)
    leaderboard_refresh(phase=phase)
    return phase, teams


def _landing(client: Client) -> str:
    return re.sub(r"\s+", " ", client.get("/c/lid2020/").content.decode())


def test_the_landing_page_shows_countdowns_top_3_and_counts(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    _board(lid, 1, [0.61, 0.7, 0.45, 0.52])
    phase3, teams3 = _board(lid, 3, [0.4])
    scored_submission(phase=phase3, team=teams3[0], score=0.0, status=Status.REJECTED)  # uses no slot
    page = _landing(client)

    assert '<strong id="team-count">5</strong> teams' in page
    assert '<strong id="submission-count">5</strong> submissions' in page
    # The server's countdown (a script refines it every second); closed phases say so.
    deadline = Phase.objects.get(track__number=1, split="test").ends_at
    assert f'data-deadline="{deadline.isoformat()}">closes in 3 days, 5 hours</span>' in page
    assert page.count("closed, post-challenge open") == 5
    # Top 3 of track 1 by score, percent with two decimals; track 3 has one team; track 2 none.
    track1 = page[page.index('id="track-1"') : page.index('id="track-2"')]
    assert re.findall(r'<li value="(\d)"><strong>([^<]+)</strong> ([\d.]+)', track1) == [
        ("1", "T1-1", "70.00"),
        ("2", "T1-0", "61.00"),
        ("3", "T1-3", "52.00"),
    ]
    assert "T1-2" not in track1
    assert "No scored submission yet." in page[page.index('id="track-2"') : page.index('id="track-3"')]
    assert '<li value="1"><strong>T3-0</strong> 40.00' in page


def test_a_board_hidden_before_the_deadline_is_not_shown_on_the_landing_page(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    phase, _ = _board(lid, 1, [0.5])
    Phase.objects.filter(pk=phase.pk).update(leaderboard_public_before_deadline=False)
    page = _landing(client)
    track1 = page[page.index('id="track-1"') : page.index('id="track-2"')]
    assert "The board is hidden until the deadline." in track1 and "T1-0" not in track1


def test_the_landing_page_reads_a_fixed_number_of_queries(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    _board(lid, 1, [0.5, 0.4])
    with CaptureQueriesContext(connection) as few:
        client.get("/c/lid2020/")
    _board(lid, 2, [0.5, 0.4, 0.3, 0.2, 0.1])
    _board(lid, 3, [0.5, 0.4, 0.3, 0.2])
    with CaptureQueriesContext(connection) as many:
        client.get("/c/lid2020/")
    assert len(many) == len(few) <= 7
