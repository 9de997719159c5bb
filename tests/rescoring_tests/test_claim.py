"""Re-score runs are claimed like submissions: one delivery computes, a dead worker's run is rescued."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from organizer import rescoring
from organizer.models import RescoreRun
from organizer.tasks import compute_rescore_run, requeue_stuck_rescore_runs
from submissions.evaluate import Evaluation
from submissions.models import Submission
from tests.support.staff import board_with_teams, closed_test_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(monkeypatch):  # type: ignore[no-untyped-def]
    def score(*, submission, stats_name):  # type: ignore[no-untyped-def]
        return Evaluation(
            score=0.5, metrics={"mean_iou": 0.5}, per_class=None, curve=None, ci_low=None, ci_high=None,
            per_image_stats=stats_name, scorer_version="1.1", ground_truth_checksum="gt",
        )  # fmt: skip

    monkeypatch.setattr(rescoring, "submission_evaluate", score)
    phase = closed_test_phase()
    board_with_teams(phase, [0.9, 0.8])
    return rescoring.rescore_run_create(submissions=Submission.objects.all(), actor=None, scope="test")


@pytest.fixture
def sent(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[dict] = []
    monkeypatch.setattr(compute_rescore_run, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


def _left_running(run: RescoreRun, *, attempts: int, hours: int) -> None:
    RescoreRun.objects.filter(pk=run.pk).update(
        state="running", attempts=attempts, claimed_at=timezone.now() - dt.timedelta(hours=hours)
    )


def test_a_run_left_running_by_a_dead_worker_is_rescued_and_computed_once(
    run, sent, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.RESCORE_STUCK_AFTER = dt.timedelta(minutes=30)
    _left_running(run, attempts=1, hours=2)
    assert compute_rescore_run(run_id=run.pk) is None  # the redelivered message finds it running: nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_rescore_runs() == {"requeued": 1, "failed": 0}
    assert sent == [{"run_id": run.pk}]
    assert compute_rescore_run(run_id=run.pk) == "ready"
    run.refresh_from_db()
    assert (run.state, run.attempts) == ("ready", 2)
    assert "stuck in running after attempt 1; re-queued." in run.error
    assert compute_rescore_run(run_id=run.pk) is None  # a second delivery does nothing


def test_a_fresh_claim_is_left_alone_and_an_exhausted_run_fails(run, sent, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESCORE_STUCK_AFTER = dt.timedelta(minutes=30)
    _left_running(run, attempts=1, hours=0)  # its worker renewed the claim just now
    assert requeue_stuck_rescore_runs() == {"requeued": 0, "failed": 0}
    _left_running(run, attempts=settings.SCORING_MAX_ATTEMPTS, hours=2)
    assert requeue_stuck_rescore_runs() == {"requeued": 0, "failed": 1}
    run.refresh_from_db()
    assert run.state == "failed" and f"failed after {settings.SCORING_MAX_ATTEMPTS} attempts" in run.error
    assert sent == []


def test_a_worker_that_lost_its_claim_writes_nothing(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def taken_over(*, submission, stats_name):  # type: ignore[no-untyped-def]
        # While this worker scores, the reaper gave the run to another attempt.
        RescoreRun.objects.filter(pk=run.pk).update(attempts=5)
        raise RuntimeError("slow disk")

    monkeypatch.setattr(rescoring, "submission_evaluate", taken_over)
    assert compute_rescore_run(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts, run.rank_changes) == ("running", 5, {})
