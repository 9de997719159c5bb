"""Organizer tasks: computing a re-score preview is slow, so a worker does it."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_rescore_run(*, run_id: int) -> str | None:
    from submissions.rescoring import rescore_run_compute

    run = rescore_run_compute(run_id=run_id)
    return run.state if run else None
