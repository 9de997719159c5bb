"""Celery tasks of the submissions app: thin wrappers over ``submissions.scoring``.

``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only after the task ends, so a
worker that dies mid-scoring leaves it for another; the status guard in the service makes a second
delivery harmless. Arguments are keyword-only primary keys, never model instances.
"""

from __future__ import annotations

from lidserver.tasks import scoring_task
from submissions import scoring, sharding


@scoring_task
def score_submission(*, submission_id: int) -> str | None:
    return scoring.submission_score(submission_id=submission_id)


@scoring_task
def score_submission_shard(*, shard_id: int) -> str | None:
    return sharding.shard_score(shard_id=shard_id)


@scoring_task
def merge_submission_shards(*, submission_id: int, attempt: int) -> str | None:
    return sharding.shards_merge(submission_id=submission_id, attempt=attempt)


# The reaper runs on the scoring queue: on the staff queue it could wait behind a re-score run of
# hours, and a killed worker's submission must be scored again within 90 s (docs/operations.md).
@scoring_task(name="submissions.tasks.requeue_stuck_submissions")
def requeue_stuck_submissions() -> dict[str, int]:
    return scoring.submissions_requeue_stuck()
