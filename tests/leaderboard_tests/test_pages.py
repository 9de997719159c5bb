"""What visitors, teams and organizers see: board page, polling JSON, API, visibility, query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from challenges.models import Phase
from leaderboard import memo
from leaderboard.selectors import leaderboard_rows
from leaderboard.services import leaderboard_refresh
from tests.leaderboard_tests.factories import board_with_teams, scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db
BOARD = "/c/lid2020/track/1/test/leaderboard/"
JSON = "/c/lid2020/track/1/test/leaderboard.json"
API = "/api/challenges/lid2020/tracks/1/test/leaderboard/"


def test_healthz_answers_ok(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_the_api_returns_whole_rows(client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory()
    team = TeamFactory(name="Alpha", affiliation="Uni A", captain=UserFactory(username="alice"))
    sub = scored_submission(
        phase=phase,
        team=team,
        score=0.5,
        ci=(0.4, 0.6),
        method_name="CAM",
        method_description="Class activation maps.",
        created_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC),
    )
    leaderboard_refresh(phase=phase)

    response = client.get(API + "?board=post")

    assert response.status_code == 200
    assert response.json() == {
        "challenge": "lid2020",
        "track": 1,
        "split": "test",
        "board": "post",
        "frozen_at": None,
        "rows": [
            {
                "rank": 1,
                "team": {"id": team.pk, "name": "Alpha", "affiliation": "Uni A"},
                "username": "alice",
                "submission": sub.pk,
                "score": 0.5,
                "metrics": {"mean_iou": 0.5, "mean_accuracy": 0.6, "pixel_accuracy": 0.8},
                "ci": [0.4, 0.6],
                "overlaps_next": False,
                "not_significant": False,
                "submitted_at": "2020-05-01T00:00:00Z",
                "submissions_used": 1,
                "method_name": "CAM",
                "method_description": "Class activation maps.",
                "verification": None,
            }
        ],
    }


def test_unknown_boards_and_phases_answer_with_a_sentence(client) -> None:  # type: ignore[no-untyped-def]
    PhaseFactory()
    assert client.get(API + "?board=final").json()["code"] == "invalid_board"
    response = client.get("/api/challenges/lid2020/tracks/2/test/leaderboard/")
    assert response.status_code == 404
    assert response.json()["message"] == "There is no such leaderboard; check the challenge, track number and split."
    page = client.get("/c/lid2020/track/2/test/leaderboard/")
    assert page.status_code == 404 and b"There is no such leaderboard" in page.content


def test_a_board_hidden_before_the_deadline_is_shown_to_organizers_only(client) -> None:  # type: ignore[no-untyped-def]
    phase = board_with_teams(2)
    Phase.objects.filter(pk=phase.pk).update(leaderboard_public_before_deadline=False)
    participant = TeamFactory().captain
    organizer = UserFactory(username="org", is_staff=True)

    for user in (None, participant):
        if user:
            client.force_login(user)
        assert client.get(API).json()["code"] == "leaderboard_hidden"
        assert client.get(JSON).status_code == 403
        assert b"hidden until the deadline" in client.get(BOARD).content
    client.force_login(organizer)
    assert client.get(BOARD).status_code == 200
    assert len(client.get(API).json()["rows"]) == 2

    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    client.logout()
    assert len(client.get(API).json()["rows"]) == 2


def test_the_page_shows_the_report_columns_and_escapes_team_text(client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory()
    team = TeamFactory(name="<script>alert(1)</script>", affiliation="Lab & Co")
    scored_submission(phase=phase, team=team, score=0.4567, method_name="M", method_description="Uses <b>CRF</b>.")
    leaderboard_refresh(phase=phase)

    html = client.get(BOARD).content.decode()

    for text in ("Mean IoU", "Mean Accuracy", "Pixel Accuracy", "45.67", "55.67", "75.67", "Lab &amp; Co"):
        assert text in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Uses &lt;b&gt;CRF&lt;/b&gt;." in html
    assert "/api/challenges/lid2020/tracks/1/test/leaderboard/export/?format=tex&amp;board=official" in html


def test_the_track3_page_has_the_curve_chart_and_its_data(client) -> None:  # type: ignore[no-untyped-def]
    board_with_teams(7, track=3)
    html = client.get("/c/lid2020/track/3/test/leaderboard/").content.decode()
    assert 'id="lb-curves"' in html and "Peak-IoU" in html and "Peak-Threshold" in html

    series = client.get("/c/lid2020/track/3/test/leaderboard/curves.json?top=3").json()["series"]
    assert [s["label"][:3] for s in series] == ["1. ", "2. ", "3. "]
    # The factory's curves peak at thresholds 40 + 20 * i.
    assert [s["peak"] for s in series] == [40, 60, 80]
    assert len(series[0]["values"]) == 256
    assert client.get("/c/lid2020/track/3/test/leaderboard/curves.json?top=x").status_code == 400


def test_the_poll_answers_304_until_a_score_lands(client, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    phase = board_with_teams(2)
    first = client.get(JSON)
    etag = first["ETag"]
    assert [r["rank"] for r in first.json()["rows"]] == [1, 2]
    assert client.get(JSON, HTTP_IF_NONE_MATCH=etag).status_code == 304

    scored_submission(phase=phase, team=TeamFactory(name="Newcomer"), score=0.9)
    with django_capture_on_commit_callbacks(execute=True):  # the refresh makes pages forget the old version
        leaderboard_refresh(phase=phase)

    after = client.get(JSON, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after.json()["rows"][0]["team"]["name"] == "Newcomer"


@pytest.mark.parametrize("url", [BOARD, JSON, API])
def test_reading_a_board_takes_the_same_queries_for_3_or_40_teams(client, django_assert_num_queries, url) -> None:  # type: ignore[no-untyped-def]
    phase = board_with_teams(3)
    # The page: phase + board version + rows + the navigation's track list; JSON and API: no nav.
    budget = {BOARD: 4, JSON: 3, API: 2}[url]
    memo.clear()
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200
    for i in range(37):
        scored_submission(phase=phase, team=TeamFactory(), score=0.1 + i / 1000, ci=(0.0, 0.2))
    leaderboard_refresh(phase=phase)
    memo.clear()
    with django_assert_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200
    if url != BOARD:
        assert len(response.json()["rows"]) == 40
    if url != API:
        # Within a second the page and the poll answer from memory: no query at all.
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200


def test_the_post_board_tab_appears_after_the_deadline(client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory(track=TrackFactory(number=1))
    assert b"Post-challenge" not in client.get(BOARD).content
    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    memo.clear()  # the page remembers a phase for two seconds
    html = client.get(BOARD + "?board=post").content.decode()
    assert "Post-challenge board: every submission" in html


def test_a_logged_in_participant_reads_the_page_in_a_fixed_number_of_queries(client, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    phase = board_with_teams(3)
    client.force_login(TeamFactory().captain)
    # session + user + verifier check (header) + phase + version + rows + the navigation's tracks.
    with django_assert_num_queries(7):
        assert client.get(BOARD).status_code == 200
    for _ in range(30):
        scored_submission(phase=phase, team=TeamFactory(), score=0.3)
    leaderboard_refresh(phase=phase)
    memo.clear()
    with django_assert_num_queries(7):
        assert client.get(BOARD).content.count(b'<tr data-team="') == 33


def test_browsers_get_the_board_gzipped(client) -> None:  # type: ignore[no-untyped-def]
    import gzip
    import json

    board_with_teams(3)
    plain = client.get(JSON)
    packed = client.get(JSON, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    page = client.get(BOARD, HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.content) == client.get(BOARD).content


def test_everyone_gets_a_link_to_the_per_class_comparison_of_the_top_teams(client) -> None:  # type: ignore[no-untyped-def]
    phase = board_with_teams(6)
    top5 = [r["submission"] for r in leaderboard_rows(phase=phase, board="official")[:5]]
    link = "/compare/?" + "&amp;".join(f"s={pk}" for pk in top5)
    html = client.get(BOARD).content.decode()
    assert link in html and "Per-class IoU of the top 5" in html
    client.force_login(UserFactory(username="boss", is_staff=True))
    assert link in client.get(BOARD).content.decode()
