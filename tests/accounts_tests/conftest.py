"""Fixtures for the account and team tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from challenges.services import challenge_load
from tests.support.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    """The LID 2020 challenge as shipped (three tracks, six phases)."""
    return challenge_load()


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob")


@pytest.fixture
def carol(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="carol")


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client
