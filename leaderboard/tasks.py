"""Celery tasks of the leaderboards: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from leaderboard import services


@shared_task(name="leaderboard.tasks.freeze_closed_phases", acks_late=True, reject_on_worker_lost=True)
def freeze_closed_phases() -> list[int]:
    """Run by beat every minute: freeze the official board of each phase past its deadline."""
    return services.freeze_closed_phases()
