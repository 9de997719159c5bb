"""The interval on the board is the worker's bootstrap, equal to a slow loop over the per-image stats.

A tiny synthetic split is scored through the real task (``submissions.tasks.score_submission``);
the reference below resamples images one resample at a time, in plain Python, from the statistics
file the worker stored, with the same Poisson weights (1,000 resamples, seed 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from leaderboard.selectors import leaderboard_rows
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory

evaluation = pytest.importorskip("evaluation")
pytestmark = pytest.mark.django_db


def _slow_reference(stats_path: str, track: int) -> tuple[float, float]:
    data = np.load(stats_path)
    values = []
    if track == 3:
        curves = data["curves"].astype(np.float64) / 65535  # stored as uint16 steps of 1/65535
        n = len(curves)
        for w in evaluation.bootstrap.resample_weights(0, 0, n, 1000):
            drawn = int(sum(w))
            if drawn:  # no image drawn: the resample is left out
                mean_curve = [sum(w[i] * curves[i][t] for i in range(n)) / drawn for t in range(256)]
                values.append(max(mean_curve))
    else:
        scored = evaluation.TRACKS[track].scored_classes
        inter, union = data["intersection"].astype(np.int64), data["union"].astype(np.int64)
        n = len(inter)
        for w in evaluation.bootstrap.resample_weights(0, 0, n, 1000):
            ious = []
            for c in scored:
                u = sum(int(w[i]) * int(union[i][c]) for i in range(n))
                if u:
                    ious.append(sum(int(w[i]) * int(inter[i][c]) for i in range(n)) / u)
            if ious:
                values.append(sum(ious) / len(ious))
    low, high = np.quantile(values, [0.025, 0.975])
    return float(low), float(high)


def _scored(track: int, tmp_path: Path, run: Any) -> Any:
    from submissions.services import submission_create
    from submissions.tasks import score_submission

    made = evaluation.make_synthetic(track, 5, tmp_path / "synth", seed=track)
    info = evaluation.pack_ground_truth(track, made.gt_dir, Path(settings.GROUND_TRUTH_ROOT) / f"t{track}")
    phase = PhaseFactory(track=TrackFactory(number=track), image_count=5, ground_truth_path=f"t{track}")
    phase.ground_truth_checksum = info.checksum
    phase.save()
    team = TeamFactory()
    upload = SimpleUploadedFile("pred.zip", Path(made.pred_zip).read_bytes(), content_type="application/zip")
    sub = submission_create(
        phase=phase, team=team, user=team.captain, uploaded_file=upload,
        method_name="Synthetic", method_description="", declared_parameters=1000,
    )  # fmt: skip
    run(score_submission, submission_id=sub.pk)
    sub.refresh_from_db()
    return phase, sub


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    def call(task: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return task(**kwargs)

    return call


@pytest.mark.parametrize("track", [1, 3])
def test_the_stored_interval_equals_a_slow_loop_reference(track: int, tmp_path: Path, run: Any) -> None:
    phase, sub = _scored(track, tmp_path, run)
    assert sub.status == "scored", sub.staff_log

    low, high = _slow_reference(sub.per_image_stats.path, track)

    assert (sub.ci_low, sub.ci_high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert low < sub.score < high  # a real spread: the equality above says something
    # The board shows exactly the stored interval, computed once when the score landed.
    assert leaderboard_rows(phase=phase, board="official")[0]["ci"] == [sub.ci_low, sub.ci_high]
