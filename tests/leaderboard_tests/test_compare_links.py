"""The comparison pages are linked from every board, from a submission's page and from the team's list."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from leaderboard.services import leaderboard_refresh
from tests.leaderboard_tests.factories import board_with_teams, scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory

pytestmark = pytest.mark.django_db


def link(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}" href="([^"]+)"|href="([^"]+)" id="{element_id}"', page)
    assert match is not None, element_id
    return html.unescape(match.group(1) or match.group(2))


def ids(url: str) -> list[int]:
    return [int(v) for v in re.findall(r"s=(\d+)", url)]


@pytest.mark.parametrize("track, label", [(1, "Per-class IoU of the top 5"), (3, "Curves of the top 5 side by side")])
def test_every_board_links_the_comparison_of_its_top_rows(track: int, label: str) -> None:
    phase = board_with_teams(6, track=track)
    page = Client().get(f"/c/lid2020/track/{track}/test/leaderboard/").content.decode()
    url = link(page, "compare-top")
    top = list(
        phase.leaderboard_entries.filter(board="official").order_by("rank").values_list("submission_id", flat=True)
    )
    assert ids(url) == top[:5]
    assert label in page
    assert Client().get(url).status_code == 200  # a visitor may open it: the rows are public


def test_a_submission_page_links_the_top_and_the_teams_other_submissions() -> None:
    phase = PhaseFactory(track=TrackFactory(number=1))
    mine = TeamFactory(name="Mine")
    iou = {"iou": [0.5, 0.5], "accuracy": [0.5, 0.5]}
    first = scored_submission(phase=phase, team=mine, score=0.4, per_class=iou)
    second = scored_submission(phase=phase, team=mine, score=0.3, per_class=iou)
    rivals = [
        scored_submission(phase=phase, team=TeamFactory(name=f"R{i}"), score=0.9 - i / 10, per_class=iou)
        for i in range(3)
    ]
    leaderboard_refresh(phase=phase)
    client = Client()
    client.force_login(mine.captain)
    page = client.get(f"/submissions/{second.pk}/").content.decode()
    top_url, own_url = link(page, "compare-top"), link(page, "compare-own")
    assert ids(top_url) == [second.pk] + [r.pk for r in rivals]
    assert ids(own_url) == [second.pk, first.pk]
    for url in (top_url, own_url):
        assert client.get(url).status_code == 200
    listing = client.get("/c/lid2020/track/1/test/submissions/").content.decode()
    assert ids(link(listing, "compare-own")) == [second.pk, first.pk]
