"""Exports, byte for byte against tests/leaderboard_tests/expected/ (API, page links and the command).

Regenerate after a deliberate format change with ``LEADERBOARD_UPDATE_EXPECTED=1`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leaderboard.services import leaderboard_refresh
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db
EXPECTED = Path(__file__).parent / "expected"
UTC = dt.UTC


def _check(name: str, content: bytes) -> None:
    path = EXPECTED / name
    if os.environ.get("LEADERBOARD_UPDATE_EXPECTED") == "1":
        path.write_bytes(content)
    assert content == path.read_bytes()


@pytest.fixture
def report_board():  # type: ignore[no-untyped-def]
    """Three teams with fixed ids and dates; names that need escaping in Markdown and LaTeX."""
    phase = PhaseFactory(
        track=TrackFactory(number=1),
        starts_at=dt.datetime(2020, 3, 22, tzinfo=UTC),
        ends_at=dt.datetime(2099, 6, 8, tzinfo=UTC),
    )
    rows = [
        (901, "LEAP_Group", "UCAS", "leap", 0.4581, 0.6001, 0.8523, (0.4501, 0.4660), "Multi-Estimations"),
        (902, "A&B | Lab", "Uni #1", "ab_lab", 0.4479, 0.5702, 0.8411, (0.4400, 0.4555), "CAM + CRF"),
        (903, "Solo", "", "solo", 0.4479, 0.5500, 0.8000, None, "Baseline"),
    ]
    for i, (pk, name, affiliation, username, miou, macc, pacc, ci, method) in enumerate(rows):
        team = TeamFactory(pk=pk, name=name, affiliation=affiliation, captain=UserFactory(username=username))
        sub = scored_submission(
            phase=phase,
            team=team,
            score=miou,
            ci=ci,
            method_name=method,
            method_description=f"{method}, described.",
            created_at=dt.datetime(2020, 6, 1 + i, 12, 0, tzinfo=UTC),
            id=7001 + i,
        )
        sub.metrics = {"mean_iou": miou, "mean_accuracy": macc, "pixel_accuracy": pacc}
        sub.save(update_fields=["metrics"])
    leaderboard_refresh(phase=phase)
    return phase


@pytest.fixture
def curve_board():  # type: ignore[no-untyped-def]
    phase = PhaseFactory(track=TrackFactory(number=3), starts_at=dt.datetime(2020, 3, 22, tzinfo=UTC))
    for i, (name, peak, threshold) in enumerate([("Inria", 0.6369, 23), ("VL~Lab", 0.6157, 31)]):
        team = TeamFactory(pk=951 + i, name=name, captain=UserFactory(username=f"loc{i}"))
        scored_submission(
            phase=phase,
            team=team,
            score=peak,
            peak_threshold=threshold,
            id=7101 + i,
            created_at=dt.datetime(2020, 6, 1, tzinfo=UTC),
        )
    leaderboard_refresh(phase=phase)
    return phase


@pytest.mark.parametrize("fmt", ["csv", "json", "md", "tex"])
def test_track1_exports_match_the_expected_files(client, report_board, fmt) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/challenges/lid2020/tracks/1/test/leaderboard/export/?format={fmt}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="lid2020-track1-test-official.{fmt}"'
    _check(f"track1-test-official.{fmt}", response.content)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_track3_exports_have_the_report_columns(client, curve_board, fmt) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/challenges/lid2020/tracks/3/test/leaderboard/export/?format={fmt}&board=post")
    assert response.status_code == 200
    _check(f"track3-test-post.{fmt}", response.content)


def test_the_command_writes_the_same_markdown(report_board, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "board.md"
    call_command(
        "export_leaderboard",
        "--challenge",
        "lid2020",
        "--track",
        "1",
        "--split",
        "test",
        "--board",
        "official",
        "--format",
        "md",
        "--output",
        str(out),
    )
    assert out.read_bytes() == (EXPECTED / "track1-test-official.md").read_bytes()

    call_command("export_leaderboard", "--challenge", "lid2020", "--track", "1", "--split", "test", "--format", "tex")
    assert capsys.readouterr().out.encode() == (EXPECTED / "track1-test-official.tex").read_bytes()


def test_the_command_says_what_was_wrong(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="There is no such leaderboard"):
        call_command("export_leaderboard", "--challenge", "nope", "--track", "1", "--split", "test")


def test_an_unknown_format_is_a_sentence_in_json(client, report_board) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/challenges/lid2020/tracks/1/test/leaderboard/export/?format=xlsx")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_format",
        "message": "The export format must be one of csv, json, md or tex.",
        "detail": None,
    }
