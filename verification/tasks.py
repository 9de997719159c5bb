"""Beat: ask the top teams of every test phase whose deadline has passed (idempotent)."""

from __future__ import annotations

from celery import shared_task

from verification.services import verification_request_for_closed_phases


@shared_task(acks_late=True, reject_on_worker_lost=True)
def request_verification_for_closed_phases() -> list[int]:
    return [r.pk for r in verification_request_for_closed_phases()]
