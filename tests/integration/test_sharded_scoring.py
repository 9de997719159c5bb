"""One submission sharded over every pool process of a real ``bin/worker`` (2 processes), merged
once; a pool process or the whole worker SIGKILLed in the middle of a shard, rescued by the real
beat as soon as the shard's lease expires, and the submission scored exactly once.

Shards are made small with SCORING_SHARD_MIN_IMAGES / SCORING_SHARD_IMAGES in the workers'
environment; the leases short (SCORING_LEASE_SECONDS, REQUEUE_STUCK_EVERY_SECONDS) so a rescue
takes seconds, and once with production's own settings (30 s lease, 15 s reaper period): the
killed shard's submission is scored within 90 s of the kill (docs/operations.md).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from leaderboard.models import LeaderboardEntry
from submissions.models import ScoringShard, ShardStatus, Status, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world
from tests.support.harness import wait_until
from tests.support.workers import wait_for_status

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
FINAL = (Status.SCORED, Status.REJECTED, Status.FAILED)
SHARDED = {"SCORING_SHARD_MIN_IMAGES": "2", "SCORING_SHARD_IMAGES": "100"}


@pytest.fixture
def up(settings: Any, tmp_path: Path) -> Any:
    # 400 images of 192 x 256 in 4 shards of 100: each shard takes a moment, time to kill it.
    return make_upload_world(settings, tmp_path, count=400, shape=(192, 256))


def expected_score(up: Any, tmp_path: Path) -> float:
    """The key metric computed directly by the scoring core in one pass."""
    from django.conf import settings

    import evaluation

    path = tmp_path / "expected.zip"
    path.write_bytes(hostile.zip_bytes(up.sample.pngs()))
    truth = evaluation.open_ground_truth(settings.GROUND_TRUTH_ROOT / up.phase.ground_truth_path)
    return evaluation.score_archive(1, truth, str(path)).metrics()["mean_iou"]


def shard_runs(log: str) -> list[str]:
    """The pool processes that finished a shard task, from the worker's log lines."""
    return re.findall(
        r"/(ForkPoolWorker-\d+)\] Task submissions\.tasks\.score_submission_shard\[[^]]+\] succeeded", log
    )


def assert_scored_once(up: Any, sub_id: int, tmp_path: Path, settings: Any, worker: Any) -> Submission:
    sub = Submission.objects.get(pk=sub_id)
    assert (sub.status, sub.attempts, sub.shards_total, sub.shards_done) == (Status.SCORED, 1, 4, 4), sub.staff_log
    assert sub.score == expected_score(up, tmp_path)  # bit for bit: integer sums merged
    assert {e.submission_id for e in LeaderboardEntry.objects.filter(phase=up.phase)} == {sub_id}
    merged = r"Task submissions\.tasks\.merge_submission_shards\[[^]]+\] succeeded[^\n]*: 'scored'"
    assert len(re.findall(merged, worker.log_text())) == 1  # one merge wrote the result
    # The shards' rows and partial results are deleted right after the result is committed; only the
    # per-image statistics stay.
    media = Path(settings.MEDIA_ROOT)
    wait_until(
        lambda: [p.relative_to(media).parts[0] for p in media.rglob("*.npz")] == ["stats"],
        timeout=10,
        what="the partial results to be deleted",
    )
    assert ScoringShard.objects.count() == 0
    return sub


def test_one_submission_is_scored_in_shards_by_both_pool_processes(up, start_worker, settings, tmp_path):
    worker = start_worker(concurrency=2, **SHARDED)
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    wait_for_status(sub_id, FINAL, timeout=120, worker=worker)
    assert_scored_once(up, sub_id, tmp_path, settings, worker)
    runs = shard_runs(worker.log_text())
    assert len(runs) == 4 and len(set(runs)) == 2, runs  # four shards, taken by both processes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("what", "lease"),
    [
        ("pool_process", "short"),
        ("whole_worker", "short"),
        pytest.param("pool_process", "production", marks=pytest.mark.longest),
    ],
)
def test_sigkill_in_the_middle_of_a_shard_is_rescued_by_beat_and_scored_once(
    up, start_worker, start_beat, settings, tmp_path, what, lease
):
    # "production": the settings' own lease (30 s) and reaper period (15 s), as docker-compose runs them.
    fast = (
        {**SHARDED}
        if lease == "production"
        else {**SHARDED, "SCORING_LEASE_SECONDS": "6", "REQUEUE_STUCK_EVERY_SECONDS": "1"}
    )
    worker = start_worker(concurrency=2, **fast)
    start_beat(**fast)
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]

    def a_running_shard() -> Any:
        shard = ScoringShard.objects.filter(submission_id=sub_id, status=ShardStatus.RUNNING).first()
        if shard is None and Submission.objects.get(pk=sub_id).status in FINAL:
            raise AssertionError(f"scored before a shard could be killed:\n{worker.log_text()[-3000:]}")
        return shard

    for _ in range(3):  # until the kill lands in the middle of a shard (not between two)
        shard = wait_until(a_running_shard, timeout=60, what="a shard to be scored", every=0.02)
        if what == "pool_process":
            worker.kill_pool()  # the main process survives and forks new pool processes
        else:
            worker.kill_all()
        killed = time.monotonic()
        time.sleep(0.2)  # a pool process's last write, if any, lands before the row is read
        frozen = ScoringShard.objects.get(pk=shard.pk)
        if what == "whole_worker":
            worker = start_worker(concurrency=2, **fast)
        if (frozen.status, frozen.attempts) == (ShardStatus.RUNNING, shard.attempts):
            break
    else:
        raise AssertionError("every kill landed between two shards")
    sub = wait_for_status(sub_id, FINAL, timeout=90, worker=worker)
    assert time.monotonic() - killed < 90
    assert f"shard {shard.index} running, its lease expired at" in sub.staff_log, sub.staff_log
    assert_scored_once(up, sub_id, tmp_path, settings, worker)
