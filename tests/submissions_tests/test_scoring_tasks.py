"""The scoring task on a hand-computed case, its idempotence, crashes, and rescuing stuck rows."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from PIL import Image

import evaluation
from leaderboard.models import LeaderboardEntry
from submissions.models import Status, Submission, TeamPhase
from submissions.scoring import FAILED_MESSAGE
from submissions.selectors import team_quota
from submissions.tasks import requeue_stuck_submissions, score_submission
from tests.support.archives import submit
from tests.support.factories import SubmissionFactory

# Track 1, two images. Ground truth a = [[0,1],[1,1]], b = [[2,2],[255,0]] (255 ignored);
# predictions a = [[0,1],[0,1]], b = [[2,0],[5,0]]. Scored pixels 4 + 3 = 7; pairs (gt, pred):
# (0,0) (1,1) (1,0) (1,1) (2,2) (2,0) (0,0).
#   class 0: TP 2, FP 2 (gt 1 and gt 2 predicted 0), FN 0 -> IoU 2/4, accuracy 2/2
#   class 1: TP 2, FP 0, FN 1                            -> IoU 2/3, accuracy 2/3
#   class 2: TP 1, FP 0, FN 1                            -> IoU 1/2, accuracy 1/2
#   class 5 only on the ignored pixel, classes 3..200 absent -> NaN, left out of the means.
# mean IoU = (1/2 + 2/3 + 1/2) / 3 = 5/9; mean accuracy = (1 + 2/3 + 1/2) / 3 = 13/18; pixel accuracy 5/7.
GT = {"a": [[0, 1], [1, 1]], "b": [[2, 2], [255, 0]]}
PRED = {"a": [[0, 1], [0, 1]], "b": [[2, 0], [5, 0]]}


@pytest.fixture
def ground_truth(phase: Any, tmp_path: Path) -> Any:
    source = tmp_path / "gt"
    source.mkdir()
    for name, array in GT.items():
        Image.fromarray(np.asarray(array, dtype=np.uint8)).save(source / f"{name}.png")
    info = evaluation.pack_ground_truth(1, source, Path(settings.GROUND_TRUTH_ROOT) / "t1-test")
    phase.ground_truth_path, phase.ground_truth_checksum = "t1-test", info.checksum
    phase.save()
    return info


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    """Call a task as a worker would, with the on-commit callbacks (e-mails, enqueues) executed."""

    def call(task: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return task(**kwargs)

    return call


@pytest.mark.django_db
def test_score_submission_stores_the_hand_computed_metrics(
    run: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, PRED)
    assert run(score_submission, submission_id=sub.pk) == Status.SCORED
    sub.refresh_from_db()
    assert sub.status == Status.SCORED and sub.attempts == 1
    assert sub.score == pytest.approx(5 / 9)
    assert sub.metrics["mean_iou"] == pytest.approx(5 / 9)
    assert sub.metrics["mean_accuracy"] == pytest.approx(13 / 18)
    assert sub.metrics["pixel_accuracy"] == pytest.approx(5 / 7)
    assert sub.per_class["iou"][:3] == pytest.approx([1 / 2, 2 / 3, 1 / 2]) and sub.per_class["iou"][3] is None
    assert len(sub.per_class["iou"]) == 201 and sub.per_class["iou"][5] is None
    assert sub.per_class["accuracy"][:3] == pytest.approx([1.0, 2 / 3, 1 / 2])
    assert sub.curve is None
    assert sub.scorer_version == evaluation.SCORER_VERSION
    assert sub.ground_truth_checksum == ground_truth.checksum
    assert sub.ci_low is not None and sub.ci_low <= sub.ci_high
    assert sub.started_at <= sub.finished_at and sub.scoring_seconds >= 0
    assert Path(sub.per_image_stats.path).is_file()
    assert str(Path(sub.per_image_stats.path)).startswith(str(settings.MEDIA_ROOT))
    rows = LeaderboardEntry.objects.filter(phase=phase, submission=sub)
    assert sorted(rows.values_list("board", "rank", "score")) == sorted(
        [(board, 1, pytest.approx(5 / 9)) for board in ("official", "post")]
    )
    [notice] = mail.outbox
    assert notice.to == ["alice@example.org"]
    assert notice.subject == f"Submission {sub.pk} scored: Mean IoU 55.56%"
    assert "Mean IoU: 55.56%" in notice.body
    assert f"{settings.SITE_URL}/submissions/{sub.pk}/" in notice.body


@pytest.mark.django_db
def test_a_second_delivery_does_nothing(
    run: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, PRED)
    run(score_submission, submission_id=sub.pk)
    first = Submission.objects.get(pk=sub.pk)
    assert run(score_submission, submission_id=sub.pk) is None
    again = Submission.objects.get(pk=sub.pk)
    assert (again.status, again.attempts, again.metrics, again.finished_at) == (
        Status.SCORED, 1, first.metrics, first.finished_at,
    )  # fmt: skip
    assert LeaderboardEntry.objects.filter(phase=phase, team=team).count() == 2  # one per board
    assert len(mail.outbox) == 1
    assert run(score_submission, submission_id=sub.pk + 999) is None  # a deleted row: nothing to do


@pytest.mark.django_db
def test_format_error_found_while_scoring_rejects_without_a_slot(
    run: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, {"a": [[0, 1], [0, 250]], "b": [[2, 0], [5, 0]]})
    assert run(score_submission, submission_id=sub.pk) == Status.REJECTED
    sub.refresh_from_db()
    assert sub.status == Status.REJECTED and sub.error_code == "labels_out_of_range"
    assert "250" in sub.error_message and sub.score is None
    assert team_quota(team=team, phase=phase).used == 0
    [notice] = mail.outbox
    assert notice.subject == f"Submission {sub.pk} rejected: labels_out_of_range"
    assert sub.error_message in notice.body
    assert not LeaderboardEntry.objects.filter(phase=phase).exists()


@pytest.mark.django_db
def test_a_crash_is_retried_then_failed_politely_and_not_counted(
    run: Any,
    phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list, monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker ran out of luck")

    monkeypatch.setattr(evaluation, "score_archive", crash)
    with django_capture_on_commit_callbacks(execute=True):
        sub = submit(phase, team, member, PRED)
    assert enqueued == [{"submission_id": sub.pk, "countdown": None}]
    for attempt, countdown in ((1, 30), (2, 60)):
        assert run(score_submission, submission_id=sub.pk) == Status.QUEUED
        sub.refresh_from_db()
        assert (sub.status, sub.attempts) == (Status.QUEUED, attempt)
        assert enqueued[-1] == {"submission_id": sub.pk, "countdown": countdown}
    assert run(score_submission, submission_id=sub.pk) == Status.FAILED
    sub.refresh_from_db()
    assert (sub.status, sub.attempts, sub.error_code) == (Status.FAILED, 3, "scoring_failed")
    assert sub.error_message == FAILED_MESSAGE
    assert sub.staff_log.count("RuntimeError: worker ran out of luck") == 3
    assert len(enqueued) == 3  # the upload and two retries, nothing after the final failure
    assert team_quota(team=team, phase=phase).used == 0
    [notice] = mail.outbox
    assert notice.subject == f"Submission {sub.pk} could not be scored" and FAILED_MESSAGE in notice.body


@pytest.mark.django_db
def test_missing_ground_truth_fails_at_once_for_staff_to_fix(
    run: Any, phase: Any, team: Any, member: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, PRED)
    # Uploads are refused while a phase has no ground truth; here it is taken away after the upload.
    type(phase).objects.filter(pk=phase.pk).update(ground_truth_path="")
    assert run(score_submission, submission_id=sub.pk) == Status.FAILED
    sub.refresh_from_db()
    assert sub.error_message == FAILED_MESSAGE and "has no ground truth loaded" in sub.staff_log
    assert enqueued == []


def _row(phase: Any, team: Any, status: str, attempts: int, age: dt.timedelta, i: int) -> Submission:
    then = timezone.now() - age
    return SubmissionFactory(
        phase=phase, team=team, status=status, attempts=attempts, queued_at=then,
        started_at=then if status == Status.RUNNING else None,
    )  # fmt: skip


@pytest.mark.django_db
def test_requeue_stuck_submissions(run: Any, phase: Any, team: Any, enqueued: list) -> None:
    hours = dt.timedelta(hours=2)
    lost_running = _row(phase, team, Status.RUNNING, 1, hours, 1)  # its worker was SIGKILLed
    lost_queued = _row(phase, team, Status.QUEUED, 0, hours, 2)  # its message was lost
    exhausted = _row(phase, team, Status.RUNNING, 3, hours, 3)
    busy = _row(phase, team, Status.RUNNING, 1, dt.timedelta(minutes=1), 4)
    done = _row(phase, team, Status.SCORED, 1, hours, 5)
    assert run(requeue_stuck_submissions) == {"requeued": 2, "failed": 1}
    statuses = dict(Submission.objects.values_list("pk", "status"))
    assert statuses == {
        lost_running.pk: Status.QUEUED, lost_queued.pk: Status.QUEUED, exhausted.pk: Status.FAILED,
        busy.pk: Status.RUNNING, done.pk: Status.SCORED,
    }  # fmt: skip
    assert sorted(call["submission_id"] for call in enqueued) == [lost_running.pk, lost_queued.pk]
    exhausted.refresh_from_db()
    assert exhausted.error_message == FAILED_MESSAGE and "failed after 3 attempts" in exhausted.staff_log
    assert team_quota(team=team, phase=phase).used == 4  # 2 queued + busy + done; the failed one is free


@pytest.mark.django_db
def test_requeued_submission_is_scored_once(
    run: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, PRED)
    # A worker claimed it and was killed: running, attempt 1, long ago.
    Submission.objects.filter(pk=sub.pk).update(
        status=Status.RUNNING, attempts=1, started_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert run(score_submission, submission_id=sub.pk) is None  # the redelivered message finds it running
    assert run(requeue_stuck_submissions) == {"requeued": 1, "failed": 0}
    assert run(score_submission, submission_id=sub.pk) == Status.SCORED
    sub.refresh_from_db()
    assert (sub.attempts, sub.score) == (2, pytest.approx(5 / 9))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_choosing_the_representative(
    run: Any, client: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    perfect = {"a": GT["a"], "b": [[2, 2], [7, 0]]}  # right everywhere but on the ignored pixel: 1.0
    good = submit(phase, team, member, perfect, "perfect.zip")
    worse = submit(phase, team, member, PRED, "worse.zip")
    pending = submit(phase, team, member, {"a": [[1, 1], [1, 1]], "b": [[2, 2], [2, 2]]}, "pending.zip")
    run(score_submission, submission_id=good.pk)
    run(score_submission, submission_id=worse.pk)
    assert client.get(f"/api/submissions/{good.pk}/").json()["is_representative"] is True  # the best by default
    response = client.post(f"/api/submissions/{worse.pk}/representative/")
    assert response.status_code == 200 and response.json()["is_representative"] is True
    assert TeamPhase.objects.get(team=team, phase=phase).representative_id == worse.pk
    assert LeaderboardEntry.objects.get(phase=phase, board="post").submission_id == worse.pk
    listed = {s["id"]: s["is_representative"] for s in client.get("/api/submissions/").json()["results"]}
    assert listed == {good.pk: False, worse.pk: True, pending.pk: False}
    response = client.post(f"/api/submissions/{pending.pk}/representative/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "not_scored",
        "message": f"Only a scored submission can represent your team; submission {pending.pk} is uploaded.",
        "detail": None,
    }
    assert not math.isnan(Submission.objects.get(pk=good.pk).score)


@pytest.mark.django_db
def test_a_failure_while_writing_the_result_is_retried_like_a_crash(
    run: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list, monkeypatch: Any
) -> None:
    def broken_board(*, phase: Any) -> None:
        raise RuntimeError("board is broken")

    monkeypatch.setattr("submissions.scoring.leaderboard_refresh", broken_board)
    sub = submit(phase, team, member, PRED)
    assert run(score_submission, submission_id=sub.pk) == Status.QUEUED
    sub.refresh_from_db()
    # The result write was rolled back with the board: nothing half-written stays.
    assert (sub.status, sub.attempts, sub.score, sub.metrics) == (Status.QUEUED, 1, None, {})
    assert "RuntimeError: board is broken" in sub.staff_log
    assert enqueued == [{"submission_id": sub.pk, "countdown": 30}]
    assert mail.outbox == []


@pytest.mark.django_db
def test_requeue_sends_uploads_whose_task_never_reached_the_broker(
    run: Any, phase: Any, team: Any, enqueued: list
) -> None:
    """A row left `uploaded` (the broker was down at upload time) is sent again once it is old enough."""
    old = _row(phase, team, Status.UPLOADED, 0, dt.timedelta(hours=2), 1)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=2), queued_at=None)
    fresh = _row(phase, team, Status.UPLOADED, 0, dt.timedelta(0), 2)  # its enqueue may still be under way
    Submission.objects.filter(pk=fresh.pk).update(queued_at=None)
    assert run(requeue_stuck_submissions) == {"requeued": 1, "failed": 0}
    assert dict(Submission.objects.values_list("pk", "status")) == {old.pk: Status.QUEUED, fresh.pk: Status.UPLOADED}
    assert [call["submission_id"] for call in enqueued] == [old.pk]
    assert "stuck in uploaded" in Submission.objects.get(pk=old.pk).staff_log


@pytest.mark.django_db
def test_labels_shifted_by_one_are_stored_as_advice_shown_by_the_api_and_the_page(
    run: Any, client: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    # Every label one too high (255, ignored, becomes 0): every scored pixel is wrong, mean IoU 0;
    # moved down by one, the same predictions are right everywhere: 1.0.
    shifted = {name: [[(v + 1) % 256 for v in row] for row in rows] for name, rows in GT.items()}
    sub = submit(phase, team, member, shifted)
    assert run(score_submission, submission_id=sub.pk) == Status.SCORED
    sub.refresh_from_db()
    assert sub.score == 0.0 and "diagnosis" not in sub.metrics
    message = (
        "The predicted labels look shifted by one (mmsegmentation's reduce_zero_label left on, or 1-based "
        "predictions for 0-based classes): with every label moved down by one, the same predictions would reach "
        "a mean IoU of 100.00% instead of 0.00%. Check how your classes are numbered (track 1: 0..200) before "
        "writing the PNGs."
    )
    expected = {
        "mean_iou_labels_plus_one": 0.0,
        "mean_iou_labels_minus_one": 1.0,
        "advice": [{"code": "labels_shifted", "shift": -1, "would_reach": 1.0, "message": message}],
    }
    assert sub.diagnosis == expected
    assert client.get(f"/api/submissions/{sub.pk}/").json()["diagnosis"] == expected
    client.force_login(member)
    page = client.get(f"/submissions/{sub.pk}/").content.decode()
    assert 'id="diagnosis"' in page and message.replace("'", "&#x27;") in page


@pytest.mark.django_db
def test_a_right_submission_gets_no_advice_block(
    run: Any, client: Any, phase: Any, team: Any, member: Any, ground_truth: Any, enqueued: list
) -> None:
    sub = submit(phase, team, member, PRED)
    run(score_submission, submission_id=sub.pk)
    sub.refresh_from_db()
    assert sub.diagnosis["advice"] == []
    client.force_login(member)
    assert 'id="diagnosis"' not in client.get(f"/submissions/{sub.pk}/").content.decode()
