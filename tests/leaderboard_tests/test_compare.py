"""The comparison page: per-class IoU side by side (tracks 1-2), curves (track 3), and who may see what."""

from __future__ import annotations

import re

import pytest

from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


def _cells(html: str) -> list[list[str]]:
    body = html.split('<table id="lb-compare">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in body.split("<tr>")[1:]]


@pytest.fixture
def two_runs():  # type: ignore[no-untyped-def]
    phase = PhaseFactory(track=TrackFactory(number=1))
    team = TeamFactory(name="Mine")
    iou_a = [0.9, 0.5, None, 0.2]
    iou_b = [0.8, 0.7, None, 0.6]
    a = scored_submission(phase=phase, team=team, score=0.5, per_class={"iou": iou_a, "accuracy": iou_a})
    b = scored_submission(phase=phase, team=team, score=0.6, per_class={"iou": iou_b, "accuracy": iou_b})
    other = scored_submission(phase=phase, team=TeamFactory(name="Theirs"), score=0.7, per_class={"iou": iou_b})
    return team, a, b, other


def test_a_team_compares_its_own_submissions_class_by_class(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    team, a, b, _ = two_runs
    client.force_login(team.captain)

    response = client.get(f"/compare/?s={a.pk}&s={b.pk}")

    assert response.status_code == 200
    # Difference = second - first, biggest first: class 3 +40.00, class 1 +20.00, class 0 -10.00,
    # class 2 absent from both (no difference) last.
    rows = _cells(response.content.decode())
    # Class names are the scoring core's: label 0 background, then the DET classes alphabetically.
    assert rows == [
        ["3", "ant", "20.00", "60.00", "+40.00"],
        ["1", "accordion", "50.00", "70.00", "+20.00"],
        ["0", "background", "90.00", "80.00", "-10.00"],
        ["2", "airplane", "–", "–", "–"],
    ]


def test_another_teams_submission_answers_404_like_a_missing_one(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    team, a, _, other = two_runs
    client.force_login(team.captain)
    theirs = client.get(f"/compare/?s={a.pk}&s={other.pk}")
    missing = client.get(f"/compare/?s={a.pk}&s=999999")
    assert theirs.status_code == missing.status_code == 404
    assert b"does not exist, is not scored yet, or is neither your team" in theirs.content
    client.logout()
    assert client.get(f"/compare/?s={a.pk}").status_code == 404


def test_an_organizer_compares_any_teams(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    _, a, b, other = two_runs
    client.force_login(UserFactory(username="organizer", is_staff=True))
    response = client.get(f"/compare/?s={a.pk}&s={b.pk}&s={other.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spread (max − min)" in html and "Theirs" in html
    assert _cells(html)[0][0] == "3"  # spread 0.6 - 0.2 = 40.00 points, the largest


def test_bad_ids_say_how_to_ask(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    client.force_login(two_runs[0].captain)
    response = client.get("/compare/?s=abc")
    assert response.status_code == 400
    assert b"is not a submission number; use ?s=12&amp;s=34." in response.content


def test_track3_submissions_are_compared_as_curves(client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory(track=TrackFactory(number=3))
    team = TeamFactory()
    subs = [scored_submission(phase=phase, team=team, score=s) for s in (0.5, 0.6)]
    client.force_login(team.captain)
    html = client.get(f"/compare/?s={subs[0].pk}&s={subs[1].pk}").content.decode()
    assert 'id="lb-curves"' in html and 'id="lb-compare-curves"' in html and "leaderboard-curves.js" in html


def test_a_team_compares_its_submission_with_the_public_boards_rows(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    from leaderboard.services import leaderboard_refresh

    team, a, b, other = two_runs
    leaderboard_refresh(phase=a.phase)  # the board: Theirs (other, 0.7) first, then Mine (b, 0.6)
    client.force_login(team.captain)
    response = client.get(f"/compare/?s={a.pk}&s={other.pk}")
    assert response.status_code == 200
    assert _cells(response.content.decode())[0] == ["3", "ant", "20.00", "60.00", "+40.00"]
    # A visitor may compare the board's rows, not a team's other submissions.
    client.logout()
    assert client.get(f"/compare/?s={other.pk}&s={b.pk}").status_code == 200
    assert client.get(f"/compare/?s={other.pk}&s={a.pk}").status_code == 404


def test_rows_of_a_hidden_board_are_not_comparable(client, two_runs) -> None:  # type: ignore[no-untyped-def]
    from leaderboard.services import leaderboard_refresh

    team, a, _, other = two_runs
    phase = a.phase
    phase.leaderboard_public_before_deadline = False
    phase.save()
    leaderboard_refresh(phase=phase)
    client.force_login(team.captain)
    assert client.get(f"/compare/?s={a.pk}&s={other.pk}").status_code == 404
    assert client.get(f"/compare/?s={a.pk}").status_code == 200
