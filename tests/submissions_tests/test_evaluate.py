"""The one scoring function: track 3's stored curves are the core's, and one rule for undefined values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

import evaluation
from submissions.models import Status, Submission
from submissions.tasks import score_submission
from tests.support.archives import submit
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

# Track 3, two images (the case of tests/evaluation_tests/test_metrics.py, by hand):
#   a: mask [[1,1,0,0]], score map [[200,100,100,0]]; b: no object, score map all 0.
# Pixel curve (summed intersections / summed unions): t=0 (2+0)/(4+4) = 1/4; t=1..100 2/3;
# t=101..200 1/2; t>200 0. Mean curve: t=0 1/4; t=1..100 5/6; t=101..200 3/4; t>200 1/2.
MASKS = {"a": [[255, 255, 0, 0]], "b": [[0, 0, 0, 0]]}
MAPS = {"a": [[200, 100, 100, 0]], "b": [[0, 0, 0, 0]]}


def _expected(thresholds: dict[range, float]) -> list[float]:
    curve = [0.0] * 256
    for span, value in thresholds.items():
        for t in span:
            curve[t] = value
    return curve


@pytest.fixture
def track3(db: Any, tmp_path: Path) -> Any:
    phase = PhaseFactory(track__number=3, split="test", image_count=2)
    source = tmp_path / "gt"
    source.mkdir()
    for name, array in MASKS.items():
        Image.fromarray(np.asarray(array, dtype=np.uint8)).save(source / f"{name}.png")
    info = evaluation.pack_ground_truth(3, source, Path(settings.GROUND_TRUTH_ROOT) / "t3-test")
    phase.ground_truth_path, phase.ground_truth_checksum = "t3-test", info.checksum
    phase.save()
    return phase


def test_track3_stores_the_cores_mean_and_pixel_curves(
    track3: Any, enqueued: list, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(username="carol")
    team = TeamFactory(challenge=track3.track.challenge, name="Gamma", captain=user)
    sub = submit(track3, team, user, MAPS)
    with django_capture_on_commit_callbacks(execute=True):
        assert score_submission(submission_id=sub.pk) == Status.SCORED
    sub = Submission.objects.get(pk=sub.pk)
    pixel = _expected({range(0, 1): 1 / 4, range(1, 101): 2 / 3, range(101, 201): 1 / 2, range(201, 256): 0.0})
    mean = _expected({range(0, 1): 1 / 4, range(1, 101): 5 / 6, range(101, 201): 3 / 4, range(201, 256): 1 / 2})
    assert sub.curve["pixel"] == pytest.approx(pixel)
    assert sub.curve["mean"] == pytest.approx(mean)
    assert sub.score == pytest.approx(5 / 6)
    assert sub.metrics == {"peak_iou": pytest.approx(5 / 6), "peak_threshold": 1}
    assert sub.per_class is None


def test_an_undefined_key_metric_is_the_same_error_for_the_worker_and_rescoring(
    db: Any, tmp_path: Path, enqueued: list, django_capture_on_commit_callbacks: Any
) -> None:
    """Ground truth all 255 (ignored): no scored pixel, mean IoU undefined, in both callers."""
    phase = PhaseFactory(track__number=1, split="test", image_count=1)
    source = tmp_path / "gt"
    source.mkdir()
    Image.fromarray(np.full((2, 2), 255, np.uint8)).save(source / "a.png")
    info = evaluation.pack_ground_truth(1, source, Path(settings.GROUND_TRUTH_ROOT) / "t1-void")
    phase.ground_truth_path, phase.ground_truth_checksum = "t1-void", info.checksum
    phase.save()
    user = UserFactory(username="dave")
    team = TeamFactory(challenge=phase.track.challenge, name="Delta", captain=user)
    sub = submit(phase, team, user, {"a": [[0, 0], [0, 0]]})
    with django_capture_on_commit_callbacks(execute=True):
        assert score_submission(submission_id=sub.pk) == Status.FAILED  # not retried: it cannot change
    assert "KeyMetricUndefined: mean_iou is undefined" in Submission.objects.get(pk=sub.pk).staff_log

    from organizer.rescoring import rescore_run_compute, rescore_run_create

    Submission.objects.filter(pk=sub.pk).update(status=Status.SCORED, score=0.5)
    run = rescore_run_create(submissions=Submission.objects.filter(pk=sub.pk), actor=None, scope="test")
    run = rescore_run_compute(run_id=run.pk)
    [item] = run.items.all()
    assert (run.state, item.new_score) == ("ready", None)
    assert item.error.startswith("KeyMetricUndefined: mean_iou is undefined for this ground truth and prediction")
