"""A submission scored in shards (tasks run in this process): the same row as one pass, for all
three tracks; a format error in one shard; a late shard; the reaper; progress in the API.

The real worker with two pool processes runs the same path in tests/integration/test_sharded_scoring.py.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

import evaluation
from evaluation.synth import make_synthetic
from submissions.models import ScoringShard, ShardStatus, Status, Submission
from submissions.scoring import submissions_requeue_stuck
from submissions.selectors import team_quota
from submissions.services import submission_create
from submissions.tasks import score_submission, score_submission_shard
from tests.support.archives import png_bytes, upload
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
ROW_FIELDS = ("score", "metrics", "per_class", "curve", "diagnosis", "ci_low", "ci_high", "ground_truth_checksum")


@pytest.fixture
def eager(settings: Any) -> Any:
    """Tasks sent while a task runs (the shards' group, the merge) run here, as a worker would run them."""
    from lidserver.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the Celery app read its configuration once already
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    def call(task: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return task(**kwargs)

    return call


def world(track: int, tmp_path: Path, count: int = 7) -> tuple[Any, Any, Any, bytes]:
    made = make_synthetic(track, count, tmp_path / "synthetic", seed=1)
    info = evaluation.pack_ground_truth(track, made.gt_dir, Path(settings.GROUND_TRUTH_ROOT) / "store")
    phase = PhaseFactory(
        track__number=track, split="test", image_count=count, ground_truth_path="store",
        ground_truth_checksum=info.checksum, max_submissions=5,
    )  # fmt: skip
    user = UserFactory(username="alice")
    team = TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=user)
    return phase, team, user, Path(made.pred_zip).read_bytes()


def submit(phase: Any, team: Any, user: Any, content: bytes, comment: str) -> Submission:
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as archive:  # the same images, other bytes: no duplicate
        archive.comment = comment.encode()
    return submission_create(
        phase=phase, team=team, user=user, uploaded_file=upload(buffer.getvalue()),
        method_name="CAM", method_description="", declared_parameters=1000,
    )  # fmt: skip


def shards_on(settings: Any, *, each: int = 3) -> None:
    settings.SCORING_SHARD_MIN_IMAGES, settings.SCORING_SHARD_IMAGES = 2, each


@pytest.mark.parametrize("track", [1, 2, 3])
def test_a_sharded_submission_stores_exactly_what_one_pass_stores(
    track: int, tmp_path: Path, settings: Any, eager: Any, run: Any
) -> None:
    phase, team, user, pred = world(track, tmp_path)
    one_pass = submit(phase, team, user, pred, "one pass")
    assert run(score_submission, submission_id=one_pass.pk) == Status.SCORED
    shards_on(settings)  # 7 images in shards of 3: ceil(7 / 3) = 3 shards of 3, 2, 2
    sharded = submit(phase, team, user, pred, "sharded")
    assert run(score_submission, submission_id=sharded.pk) == Status.RUNNING  # the shards took it from there
    one_pass.refresh_from_db()
    sharded.refresh_from_db()
    assert (sharded.status, sharded.attempts, sharded.shards_total, sharded.shards_done) == (Status.SCORED, 1, 3, 3)
    assert (one_pass.shards_total, one_pass.shards_done) == (0, 0)
    for field in ROW_FIELDS:
        assert getattr(sharded, field) == getattr(one_pass, field), field
    with (
        default_storage.open(one_pass.per_image_stats.name) as a,
        default_storage.open(sharded.per_image_stats.name) as b,
    ):
        expected, got = np.load(a), np.load(b)
        assert sorted(expected.files) == sorted(got.files)
        assert all(np.array_equal(expected[k], got[k]) for k in expected.files)
    # Nothing of the shards is left: rows and partial results are removed once the submission is scored.
    assert ScoringShard.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "shards").exists() or not any(
        (Path(settings.MEDIA_ROOT) / "shards").rglob("*.npz")
    )


def test_a_format_error_in_one_shard_rejects_once_with_its_message_and_frees_the_slot(
    tmp_path: Path, settings: Any, eager: Any, run: Any, phase: Any, team: Any, member: Any
) -> None:
    # Five 2 x 3 track 1 images a..e; the prediction of d holds label 201 (track 1 has 0..200),
    # which only decoding finds: the upload's cheap check passes it.
    gt = tmp_path / "gt"
    gt.mkdir()
    for name in "abcde":
        (gt / f"{name}.png").write_bytes(png_bytes(np.ones((2, 3))))
    info = evaluation.pack_ground_truth(1, gt, Path(settings.GROUND_TRUTH_ROOT) / "t1")
    phase.ground_truth_path, phase.ground_truth_checksum = "t1", info.checksum
    phase.save()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in "abcde":
            archive.writestr(f"{name}.png", png_bytes(np.full((2, 3), 201 if name == "d" else 1)))
    shards_on(settings, each=2)  # shards a-b, c-d, e: the second one fails
    sub = submission_create(
        phase=phase, team=team, user=member, uploaded_file=upload(buffer.getvalue()),
        method_name="CAM", method_description="", declared_parameters=1000,
    )  # fmt: skip
    assert run(score_submission, submission_id=sub.pk) == Status.RUNNING
    sub.refresh_from_db()
    assert (sub.status, sub.error_code, sub.attempts, sub.shards_total) == (
        Status.REJECTED,
        "labels_out_of_range",
        1,
        3,
    )
    assert "'d.png'" in sub.error_message and "201" in sub.error_message
    assert sub.finished_at is not None and sub.score is None
    assert team_quota(team=team, phase=phase).used == 0
    assert ScoringShard.objects.count() == 0


def test_an_archive_missing_an_image_is_rejected_once_by_the_first_shard_that_checks_it(
    tmp_path: Path, settings: Any, eager: Any, run: Any
) -> None:
    phase, team, user, pred = world(1, tmp_path)
    with zipfile.ZipFile(io.BytesIO(pred)) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members[1:]:  # the first image's prediction is left out
            archive.writestr(info, data)
    shards_on(settings)
    sub = submit(phase, team, user, buffer.getvalue(), "one missing")
    assert run(score_submission, submission_id=sub.pk) == Status.RUNNING
    sub.refresh_from_db()
    assert (sub.status, sub.error_code, sub.attempts, sub.shards_total) == (Status.REJECTED, "missing_files", 1, 3)
    assert sub.error_message.startswith("1 of 7 predictions is missing: ")
    assert team_quota(team=team, phase=phase).used == 0
    assert ScoringShard.objects.count() == 0


@pytest.fixture
def sent(monkeypatch: Any) -> list[list[int]]:
    """The shard ids of each group the scoring would have sent (no broker is reached here)."""
    groups: list[list[int]] = []
    monkeypatch.setattr("submissions.scoring.enqueue_shards", lambda *, shard_ids: groups.append(shard_ids))
    return groups


def planned(phase: Any, team: Any, user: Any, pred: bytes, settings: Any, run: Any) -> Submission:
    """A submission split into shards whose messages went nowhere (the broker is not reached here)."""
    shards_on(settings)
    sub = submit(phase, team, user, pred, "planned")
    assert run(score_submission, submission_id=sub.pk) == Status.RUNNING
    sub.refresh_from_db()
    return sub


def test_a_shard_that_finds_its_submission_finished_or_taken_over_does_nothing(
    tmp_path: Path, settings: Any, run: Any, sent: list[list[int]]
) -> None:
    phase, team, user, pred = world(3, tmp_path)
    sub = planned(phase, team, user, pred, settings, run)
    assert (sub.status, sub.shards_total, sub.shards_done, sub.lease_expires_at) == (Status.RUNNING, 3, 0, None)
    first, second, third = sent[0]
    assert list(ScoringShard.objects.order_by("index").values_list("start", "stop", "status")) == [
        (0, 3, "queued"), (3, 5, "queued"), (5, 7, "queued"),
    ]  # fmt: skip
    assert run(score_submission_shard, shard_id=first) == ShardStatus.DONE
    assert run(score_submission_shard, shard_id=first) is None  # a second delivery: nothing to do
    Submission.objects.filter(pk=sub.pk).update(status=Status.FAILED)  # e.g. an organizer's action
    assert run(score_submission_shard, shard_id=second) is None
    Submission.objects.filter(pk=sub.pk).update(status=Status.RUNNING, attempts=2)  # re-queued and claimed again
    assert run(score_submission_shard, shard_id=third) is None
    assert list(ScoringShard.objects.order_by("index").values_list("status", "attempts")) == [
        ("done", 1), ("queued", 0), ("queued", 0),
    ]  # fmt: skip
    assert Submission.objects.get(pk=sub.pk).shards_done == 1


def test_the_reaper_sends_an_expired_shard_again_and_gives_up_on_it_after_the_last_try(
    tmp_path: Path, settings: Any, run: Any, monkeypatch: Any, sent: list[list[int]]
) -> None:
    requeued: list[int] = []
    monkeypatch.setattr("submissions.scoring.enqueue_scoring", lambda *, submission_id: requeued.append(submission_id))
    phase, team, user, pred = world(3, tmp_path)
    sub = planned(phase, team, user, pred, settings, run)
    shard = ScoringShard.objects.get(submission=sub, index=1)
    now = timezone.now()
    # Claimed by a pool process that was then killed: its lease runs out.
    ScoringShard.objects.filter(pk=shard.pk).update(status="running", attempts=1, lease_expires_at=now)
    assert run(submissions_requeue_stuck, now=now) == {"requeued": 0, "failed": 0}  # not expired yet
    later = now + dt.timedelta(seconds=1)
    assert run(submissions_requeue_stuck, now=later) == {"requeued": 1, "failed": 0}
    assert sent[-1] == [shard.pk]
    shard.refresh_from_db()
    assert (shard.status, shard.lease_expires_at, shard.attempts) == ("queued", None, 1)
    assert "shard 1 running, its lease expired" in Submission.objects.get(pk=sub.pk).staff_log
    # Killed on every try: after SCORING_MAX_ATTEMPTS tries the whole submission is re-queued.
    ScoringShard.objects.filter(pk=shard.pk).update(
        status="running", attempts=settings.SCORING_MAX_ATTEMPTS, lease_expires_at=now
    )
    assert run(submissions_requeue_stuck, now=later) == {"requeued": 1, "failed": 0}
    sub.refresh_from_db()
    assert (sub.status, requeued) == (Status.QUEUED, [sub.pk])
    assert "after 3 tries; re-queued" in sub.staff_log
    assert run(submissions_requeue_stuck, now=later) == {"requeued": 0, "failed": 0}  # its shards are not watched now


def test_a_shard_whose_message_died_with_its_worker_is_sent_again_once_later_ones_were_taken(
    tmp_path: Path, settings: Any, run: Any, sent: list[list[int]]
) -> None:
    phase, team, user, pred = world(3, tmp_path)
    sub = planned(phase, team, user, pred, settings, run)
    first, second, third = sent[0]
    # The killed worker had received shard 1's message but not claimed it; a live worker then took
    # shard 2 (sent after it, so behind it in the queue) and is scoring it.
    now = timezone.now()
    ScoringShard.objects.filter(pk=third).update(
        status="running", attempts=1, started_at=now, lease_expires_at=now + settings.SCORING_LEASE
    )
    assert run(submissions_requeue_stuck, now=now) == {"requeued": 0, "failed": 0}  # shard 1 may still be on its way
    later = now + settings.SCORING_LEASE + dt.timedelta(seconds=1)
    ScoringShard.objects.filter(pk=third).update(lease_expires_at=later + settings.SCORING_LEASE)  # renewed
    assert run(submissions_requeue_stuck, now=later) == {"requeued": 2, "failed": 0}  # shards 0 and 1
    assert sorted(ids[0] for ids in sent[1:]) == [first, second]
    assert "shard 1 queued, its message lost" in Submission.objects.get(pk=sub.pk).staff_log
    # Sent again, they are behind the running one in the queue now: not sent a third time.
    assert run(submissions_requeue_stuck, now=later + dt.timedelta(seconds=1)) == {"requeued": 0, "failed": 0}


def test_a_sharded_submission_is_not_stuck_while_its_shards_wait(
    tmp_path: Path, settings: Any, run: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("submissions.scoring.enqueue_shards", lambda *, shard_ids: None)
    phase, team, user, pred = world(3, tmp_path)
    sub = planned(phase, team, user, pred, settings, run)
    # Half an hour later the shards are still waiting behind others at the deadline rush: the
    # submission keeps them (no lease of its own); its queued shards are sent again.
    later = timezone.now() + settings.SCORING_STUCK_AFTER + dt.timedelta(seconds=1)
    assert run(submissions_requeue_stuck, now=later) == {"requeued": 3, "failed": 0}
    assert Submission.objects.get(pk=sub.pk).status == Status.RUNNING


@pytest.fixture(autouse=True)
def _no_archive_kept_after_the_test() -> Any:
    yield
    from submissions.evaluate import shard_archive_release

    shard_archive_release()
