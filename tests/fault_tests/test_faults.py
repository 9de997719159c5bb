"""Faults against real processes: a killed worker, a poison submission, a broker that goes away.

Each test runs its own ``redis-server`` (never the machine's shared one) and real Celery workers
on this test's PostgreSQL database. Recovery is what beat does in production: it calls
``requeue_stuck_submissions``; here the test calls it, with SCORING_STUCK_AFTER made tiny and a
1-second lease (LEASE), or runs the real beat with a lease and reaper interval a third of
production's (SHORT_LEASE, SHORT_REAPER; the 90 s bound they imply in production is checked too).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from leaderboard.models import LeaderboardEntry
from submissions.models import COUNTED_STATUSES, Status, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world
from tests.support.workers import wait_for_status

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Big enough that scoring takes long enough to be killed in the middle of it.
COUNT, SHAPE = 400, (192, 256)
# A lease this short expires a moment after its worker is killed (SCORING_LEASE_SECONDS of the workers).
LEASE = {"SCORING_LEASE_SECONDS": "1"}


@pytest.fixture
def up(settings, tmp_path):
    return make_upload_world(settings, tmp_path, count=COUNT, shape=SHAPE)


def requeue_stuck(settings) -> dict[str, int]:
    """One run of beat's rescue, where anything older than a moment counts as stuck (and a killed
    worker's 1-second lease has expired)."""
    from submissions.tasks import requeue_stuck_submissions

    settings.SCORING_STUCK_AFTER = dt.timedelta(milliseconds=1)
    time.sleep(1.2)
    return requeue_stuck_submissions.run()


def expected_score(up, tmp_path: Path) -> float:
    """The key metric computed directly by the scoring core, to compare the worker's result with."""
    from django.conf import settings

    import evaluation

    path = tmp_path / "expected.zip"
    path.write_bytes(hostile.zip_bytes(up.sample.pngs()))
    gt = evaluation.open_ground_truth(settings.GROUND_TRUTH_ROOT / up.phase.ground_truth_path)
    return evaluation.score_archive(1, gt, str(path)).metrics()["mean_iou"]


def stats_files(settings) -> list[Path]:
    return (
        sorted((Path(settings.MEDIA_ROOT) / "stats").rglob("*"))
        if (Path(settings.MEDIA_ROOT) / "stats").exists()
        else []
    )


def assert_scored_once(sub_id: int, up, tmp_path, settings, *, attempts: int) -> Submission:
    sub = Submission.objects.get(pk=sub_id)
    assert (sub.status, sub.attempts) == (Status.SCORED, attempts)
    assert sub.score == pytest.approx(expected_score(up, tmp_path), abs=1e-12)
    entries = LeaderboardEntry.objects.filter(phase=up.phase, team=up.team)
    assert entries.count() >= 1 and {e.submission_id for e in entries} == {sub_id}
    assert len([p for p in stats_files(settings) if p.is_file()]) == 1
    return sub


@pytest.mark.parametrize("what", ["pool_process", "whole_worker"])
def test_sigkill_while_scoring_then_scored_exactly_once(up, start_worker, settings, tmp_path, what):
    worker = start_worker(**LEASE)
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    wait_for_status(sub_id, (Status.RUNNING,), timeout=60, worker=worker)
    if what == "pool_process":
        worker.kill_pool()  # the main process survives and forks a new pool process
    else:
        worker.kill_all()
        worker = start_worker(**LEASE)
    time.sleep(1)  # a redelivered message, if any, finds the row running and does nothing
    assert Submission.objects.get(pk=sub_id).status == Status.RUNNING

    assert requeue_stuck(settings) == {"requeued": 1, "failed": 0}, Submission.objects.filter(pk=sub_id).values()[0]
    sub = wait_for_status(sub_id, (Status.SCORED, Status.FAILED, Status.REJECTED), timeout=120, worker=worker)
    finished = sub.finished_at
    assert_scored_once(sub_id, up, tmp_path, settings, attempts=2)
    # Nothing scores it a second time later: neither the old message nor another rescue.
    assert requeue_stuck(settings) == {"requeued": 0, "failed": 0}
    time.sleep(2)
    assert Submission.objects.get(pk=sub_id).finished_at == finished
    assert worker.alive()


# The lease test's clock, a third of production's (SCORING_LEASE_SECONDS 30, beat's reaper every
# REQUEUE_STUCK_EVERY_SECONDS 15): the same mechanism, waited for in a third of the time. A worker
# renews its lease every lease / 3 seconds, so a lease this long still survives a busy machine.
SHORT_LEASE, SHORT_REAPER = 10, 5
# What production's 90 s leaves for scoring again once the reaper has re-queued: 90 - 30 - 15.
RESCORE_ALLOWANCE = 45


def test_production_settings_rescue_a_killed_worker_within_90_seconds(settings):
    """The bound the lease test below holds, with production's lease and reaper interval: 90 s."""
    lease = settings.SCORING_LEASE.total_seconds()
    reaper = settings.CELERY_BEAT_SCHEDULE["requeue-stuck-submissions"]["schedule"]
    assert (lease, reaper) == (30, 15)
    assert lease + reaper + RESCORE_ALLOWANCE == 90


@pytest.mark.longest
@pytest.mark.parametrize("what", ["pool_process", "whole_worker"])
def test_sigkill_while_scoring_then_the_expired_lease_gets_it_scored_within_90_seconds(
    up, start_worker, start_beat, settings, tmp_path, what
):
    """The real beat and real workers, SCORING_STUCK_AFTER as in production (30 min), a lease and a
    reaper interval a third of production's (SHORT_LEASE, SHORT_REAPER): a killed worker's submission
    is scored again within lease + reaper + RESCORE_ALLOWANCE of the kill, exactly once. With
    production's 30 s and 15 s that bound is 90 s (test_production_settings_rescue_...)."""
    assert settings.SCORING_STUCK_AFTER == dt.timedelta(minutes=30)
    short = {"SCORING_LEASE_SECONDS": str(SHORT_LEASE)}
    worker = start_worker(**short)
    start_beat(REQUEUE_STUCK_EVERY_SECONDS=str(SHORT_REAPER))
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    running = wait_for_status(sub_id, (Status.RUNNING,), timeout=60, worker=worker)
    assert running.lease_expires_at is not None
    if what == "pool_process":
        worker.kill_pool()
    else:
        worker.kill_all()
        worker = start_worker(**short)
    killed = time.monotonic()
    bound = SHORT_LEASE + SHORT_REAPER + RESCORE_ALLOWANCE
    sub = wait_for_status(sub_id, (Status.SCORED, Status.FAILED, Status.REJECTED), timeout=bound, worker=worker)
    assert time.monotonic() - killed < bound
    assert "its lease expired" in sub.staff_log
    assert_scored_once(sub_id, up, tmp_path, settings, attempts=2)


def test_a_submission_that_kills_the_worker_every_time_fails_after_three_attempts(up, start_worker, settings):
    worker = start_worker(**LEASE)
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    sub_id = response.json()["id"]
    for attempt in (1, 2, 3):
        sub = wait_for_status(sub_id, (Status.RUNNING,), timeout=60, worker=worker)
        assert sub.attempts == attempt
        worker.kill_pool()
        time.sleep(0.5)
        counts = requeue_stuck(settings)
        assert counts == ({"requeued": 1, "failed": 0} if attempt < 3 else {"requeued": 0, "failed": 1})

    sub = Submission.objects.get(pk=sub_id)
    assert (sub.status, sub.attempts, sub.error_code) == (Status.FAILED, 3, "scoring_failed")
    assert "does not count" in sub.error_message and "Traceback" not in sub.error_message
    assert "failed after 3 attempts" in sub.staff_log
    assert Submission.objects.filter(team=up.team, status__in=COUNTED_STATUSES).count() == 0
    assert up.quota()["used"] == 0
    time.sleep(1)
    assert Submission.objects.get(pk=sub_id).status == Status.FAILED  # a stray message does not revive it
    assert worker.alive()


def test_redis_stopped_during_an_upload_the_submission_is_recorded_and_scored_later(
    up, start_worker, private_broker, settings, tmp_path
):
    private_broker.stop()
    started = time.monotonic()
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert time.monotonic() - started < 30, "the upload must not hang on a missing broker"
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    # Stored, but its task could not be sent: it says so (`uploaded`, not `queued`), in the answer too.
    assert response.json()["status"] == "uploaded"
    assert Submission.objects.get(pk=sub_id).status == Status.UPLOADED

    private_broker.start()
    worker = start_worker()
    assert requeue_stuck(settings) == {"requeued": 1, "failed": 0}
    wait_for_status(sub_id, (Status.SCORED, Status.FAILED, Status.REJECTED), timeout=120, worker=worker)
    assert_scored_once(sub_id, up, tmp_path, settings, attempts=1)
