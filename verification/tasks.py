"""Beat: ask the top teams of every test phase whose deadline has passed (idempotent)."""

from __future__ import annotations

from lidserver.tasks import staff_task
from verification.services import verification_request_for_closed_phases


@staff_task
def request_verification_for_closed_phases() -> list[int]:
    return [r.pk for r in verification_request_for_closed_phases()]
