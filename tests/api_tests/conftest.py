"""Fixtures of the API-wide checks: a challenge with a phase, a team, and API clients."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.support.factories import PhaseFactory, TeamFactory, UserFactory
from tests.support.workers import private_broker  # noqa: F401 - a fixture (the schemathesis run's broker)


@pytest.fixture
def phase(db: Any) -> Any:
    return PhaseFactory(track__number=1, split="test")


@pytest.fixture
def member(phase: Any) -> Any:
    user = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=user)
    return user


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def token_client(member: Any) -> APIClient:
    """A client that authenticates the way the `lid` command does: ``Authorization: Token <key>``."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=member)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
