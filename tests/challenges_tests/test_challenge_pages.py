"""Challenge, rules and track pages render the LID 2020 data as shipped (challenge_load())."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from challenges.services import challenge_load
from tests.support.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    return challenge_load()


def test_contract_paths() -> None:
    assert reverse("challenges:home") == "/"
    assert reverse("challenges:detail", args=["lid2020"]) == "/c/lid2020/"
    assert reverse("challenges:rules", args=["lid2020"]) == "/c/lid2020/rules/"
    assert reverse("challenges:track", args=["lid2020", 2]) == "/c/lid2020/track/2/"


def test_home_lists_the_challenge(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").content.decode()
    assert "Learning from Imperfect Data (LID) Challenge 2020" in page
    assert 'href="/c/lid2020/track/3/"' in page


def test_home_without_challenges_says_how_to_load_one(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    assert "python manage.py load_challenge" in client.get("/").content.decode()


def test_challenge_page_shows_tracks_dates_and_team_status(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/c/lid2020/").content.decode()
    for title in (
        "Weakly supervised semantic segmentation",
        "Weakly supervised scene parsing",
        "Weakly supervised object localization",
    ):
        assert title in page
    assert "2020-03-22 to 2020-06-08 23:59 UTC" in page
    assert "to take part" in page
    alice = UserFactory(username="alice")
    client.force_login(alice)
    assert "create or join one" in client.get("/c/lid2020/").content.decode()
    TeamFactory(challenge=lid, captain=alice, name="Pixels & Co")
    assert "<strong>Pixels &amp; Co</strong>" in client.get("/c/lid2020/").content.decode()


def test_rules_page(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/c/lid2020/rules/").content.decode()
    assert "fewer than 150M parameters" in page


def test_track_page_shows_both_splits_limits_and_links(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/c/lid2020/track/1/").content.decode()
    assert "Validation split" in page and "Test split" in page
    assert "<dd>5000</dd>" in page and "<dd>10000</dd>" in page
    assert "no total limit, 5 a day (UTC)" in page  # val
    assert "5 counted per team</dd>" in page  # test
    assert "2020-06-08 23:59 UTC" in page and "passed: post-challenge submissions" in page
    assert 'href="/c/lid2020/track/1/test/leaderboard/"' in page
    assert "/submit/" not in page  # no team, no upload link
    alice = UserFactory(username="alice")
    TeamFactory(challenge=lid, captain=alice)
    client.force_login(alice)
    page = client.get("/c/lid2020/track/1/").content.decode()
    for split in ("val", "test"):
        assert f'href="/c/lid2020/track/1/{split}/submit/"' in page
        assert f'href="/c/lid2020/track/1/{split}/submissions/"' in page


def test_missing_challenge_and_track_are_404(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/c/nope/").status_code == 404
    assert client.get("/c/nope/rules/").status_code == 404
    assert client.get("/c/lid2020/track/4/").status_code == 404


def test_track_page_query_budget(client: Client, lid, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    alice = UserFactory(username="alice")
    TeamFactory(challenge=lid, captain=alice)
    client.force_login(alice)
    with django_assert_max_num_queries(20):
        assert client.get("/c/lid2020/track/3/").status_code == 200


def test_track_page_shows_the_team_quota(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    from submissions.models import Status, Submission

    alice = UserFactory(username="alice")
    team = TeamFactory(challenge=lid, captain=alice)
    phases = list(lid.tracks.get(number=1).phases.all())
    for phase in phases:
        for i in range(2):  # two counted submissions in each split, made today
            Submission.objects.create(
                phase=phase,
                team=team,
                archive_name="p.zip",
                sha256=f"{phase.pk}{i}".zfill(64),
                size=1,
                method_name="m",
                declared_parameters=1,
                status=Status.SCORED,
                score=0.5,
            )
    client.force_login(alice)
    page = client.get("/c/lid2020/track/1/").content.decode()
    for phase in phases:
        left = f", {phase.max_submissions - 2} left" if phase.max_submissions else ""
        today = f"; today 2 of {phase.max_submissions_per_day}" if phase.max_submissions_per_day else ""
        assert f'<dd class="quota">2 used{left}{today}</dd>' in page
