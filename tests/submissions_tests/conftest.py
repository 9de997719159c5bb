"""Fixtures of the submissions tests: an open phase, a team, zips of PNGs, a recorded task queue."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.support.factories import PhaseFactory, TeamFactory, UserFactory


@pytest.fixture
def phase(db: Any) -> Any:
    return PhaseFactory(track__number=1, split="test", max_submissions=5)


@pytest.fixture
def member(phase: Any) -> Any:
    return UserFactory(username="alice")


@pytest.fixture
def team(phase: Any, member: Any) -> Any:
    return TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=member)


@pytest.fixture
def client(member: Any, team: Any) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=member)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[dict[str, Any]]:
    """Scoring tasks sent to the broker, recorded instead (what ``apply_async`` received)."""
    from submissions.tasks import score_submission

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        score_submission,
        "apply_async",
        lambda kwargs=None, countdown=None, **kw: sent.append({**kwargs, "countdown": countdown}),
    )
    return sent
