"""Celery tasks of the leaderboards: thin wrappers around services."""

from __future__ import annotations

from leaderboard import services
from lidserver.tasks import staff_task


@staff_task(name="leaderboard.tasks.freeze_closed_phases")
def freeze_closed_phases() -> list[int]:
    """Run by beat every minute: freeze the official board of each phase past its deadline."""
    return services.freeze_closed_phases()
