"""Re-scoring with the real scoring core on tiny synthetic data: stale scores are corrected."""

from __future__ import annotations

import io

import pytest
from django.core.files import File
from django.core.management import call_command

import evaluation
from challenges.ground_truth import ground_truth_load
from evaluation.synth import make_synthetic
from leaderboard.models import LeaderboardEntry
from leaderboard.services import leaderboard_refresh
from organizer.models import RescoreRun
from submissions.models import Submission
from tests.support.staff import board_with_teams, closed_test_phase

pytestmark = pytest.mark.django_db


def test_rescore_phase_with_the_real_scorer(tmp_path, settings):  # type: ignore[no-untyped-def]
    made = make_synthetic(1, 3, tmp_path / "synth")
    phase = closed_test_phase(image_count=3)
    ground_truth_load(phase=phase, source=tmp_path / "synth" / "gt")
    phase.refresh_from_db()
    # Stored scores from a "buggy scorer": the weaker prediction (pred_alt) ranks first.
    good_team, weak_team = board_with_teams(phase, [0.10, 0.20])
    for team, archive in ((good_team, made.pred_zip), (weak_team, tmp_path / "synth" / "pred_alt.zip")):
        sub = Submission.objects.get(team=team)
        with open(archive, "rb") as handle:
            sub.archive.save("pred.zip", File(handle), save=True)
    leaderboard_refresh(phase=phase)
    gt = evaluation.open_ground_truth(settings.GROUND_TRUTH_ROOT / phase.ground_truth_path)
    expected = {
        name: evaluation.score_archive(1, gt, str(path)).metrics()["mean_iou"]
        for name, path in (("Team A", made.pred_zip), ("Team B", tmp_path / "synth" / "pred_alt.zip"))
    }
    assert expected["Team A"] > expected["Team B"]  # the good prediction really is better

    out = io.StringIO()
    call_command("rescore", phase=phase.pk, preview=True, stdout=out)
    run = RescoreRun.objects.get()
    assert run.state == "ready", run.error
    rows = run.rank_changes[str(phase.pk)]["boards"]["official"]
    assert [(r["team"], r["old_rank"], r["new_rank"]) for r in rows] == [("Team A", 2, 1), ("Team B", 1, 2)]
    assert sorted(Submission.objects.values_list("score", flat=True)) == [0.10, 0.20]  # nothing published

    call_command("rescore", phase=phase.pk, stdout=io.StringIO())
    entries = LeaderboardEntry.objects.filter(phase=phase, board="official").order_by("rank")
    assert [(e.team.name, e.score) for e in entries] == [
        ("Team A", pytest.approx(expected["Team A"])), ("Team B", pytest.approx(expected["Team B"])),
    ]  # fmt: skip
    sub = Submission.objects.get(team=good_team)
    assert (sub.scorer_version, sub.ground_truth_checksum) == (evaluation.SCORER_VERSION, phase.ground_truth_checksum)
    assert sub.per_class is not None and len(sub.per_class["iou"]) == 201
    assert sub.ci_low is not None and sub.ci_low <= sub.score <= sub.ci_high
    assert sub.per_image_stats.name.startswith("rescore/") and sub.per_image_stats.storage.exists(
        sub.per_image_stats.name
    )
