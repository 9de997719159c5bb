"""Celery tasks of re-scoring: thin wrappers over ``organizer.rescoring``."""

from __future__ import annotations

from lidserver.tasks import staff_task
from organizer.rescoring import rescore_run_compute, rescore_runs_requeue_stuck


@staff_task
def compute_rescore_run(*, run_id: int) -> str | None:
    run = rescore_run_compute(run_id=run_id)
    return run.state if run else None


@staff_task(name="organizer.tasks.requeue_stuck_rescore_runs")
def requeue_stuck_rescore_runs() -> dict[str, int]:
    return rescore_runs_requeue_stuck()
