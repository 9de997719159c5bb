"""One significance rule, shown the same way on the page, leaderboard.json, the API, the CLI and every export.

The rule: an entry is marked (≈) when its 95% interval overlaps the interval of the entry above or
below it. Four entries whose intervals overlap in a chain (A-B, B-C, C-D) are all four marked.
"""

from __future__ import annotations

import re

import pytest
from lid_client.board import board_table

from leaderboard.services import leaderboard_refresh
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory

pytestmark = pytest.mark.django_db
BOARD = "/c/lid2020/track/1/test/"
API = "/api/challenges/lid2020/tracks/1/test/leaderboard/"


@pytest.fixture
def chain():  # type: ignore[no-untyped-def]
    phase = PhaseFactory(leaderboard_public_before_deadline=True)
    # A [0.85, 0.95] / B [0.80, 0.90]: 0.85 <= 0.90 overlap; B / C [0.75, 0.86]: 0.80 <= 0.86;
    # C / D [0.70, 0.79]: 0.75 <= 0.79. E [0.10, 0.20] overlaps nobody (D's low 0.70 > 0.20).
    for name, score, ci in (
        ("A", 0.90, (0.85, 0.95)),
        ("B", 0.85, (0.80, 0.90)),
        ("C", 0.80, (0.75, 0.86)),
        ("D", 0.75, (0.70, 0.79)),
        ("E", 0.15, (0.10, 0.20)),
    ):
        scored_submission(phase=phase, team=TeamFactory(name=name), score=score, ci=ci)
    leaderboard_refresh(phase=phase)
    return phase


MARKED = [True, True, True, True, False]


def test_the_page_marks_every_entry_that_overlaps_a_neighbour(client, chain) -> None:  # type: ignore[no-untyped-def]
    page = client.get(BOARD + "leaderboard/").content.decode()
    rows = re.findall(r'<tr data-team="\d+"[^>]*>.*?</tr>', page, re.S)
    assert [('class="ns-mark"' in row) for row in rows] == MARKED
    assert [(' class="ns"' in row.split(">", 1)[0]) for row in rows] == MARKED


def test_json_api_cli_and_exports_mark_the_same_entries(client, chain) -> None:  # type: ignore[no-untyped-def]
    json_rows = client.get(BOARD + "leaderboard.json").json()["rows"]
    api_rows = client.get(API).json()["rows"]
    assert [r["not_significant"] for r in json_rows] == MARKED == [r["not_significant"] for r in api_rows]
    _, table = board_table(1, api_rows)
    assert [row[0] for row in table] == ["1 ≈", "2 ≈", "3 ≈", "4 ≈", "5"]
    csv = client.get(API + "export/", {"format": "csv"}).content.decode().splitlines()
    column = csv[0].split(",").index("not_significant")
    assert [line.split(",")[column] for line in csv[1:]] == ["yes", "yes", "yes", "yes", "no"]
    md = client.get(API + "export/", {"format": "md"}).content.decode().splitlines()
    assert [line.split(" | ")[2].endswith(" ≈") for line in md[2:7]] == MARKED
    tex = client.get(API + "export/", {"format": "tex"}).content.decode().splitlines()
    assert [r"$\approx$" in line for line in tex[4:9]] == MARKED
