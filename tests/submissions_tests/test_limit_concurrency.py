"""The limit under concurrent uploads: PostgreSQL, one connection per thread, real commits."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from submissions.models import Status, Submission, TeamPhase
from tests.submissions_tests.test_upload_api import LIMIT_MESSAGE
from tests.support.archives import form, phase_url
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory


def _race(count: int, upload: Any) -> list[Any]:
    """Run ``upload(i)`` in ``count`` threads released together; each thread has its own DB connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = upload(i)
        except Exception as error:  # surfaced by the assertions below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_uploads_to_a_fresh_team_accept_exactly_five(enqueued: list) -> None:
    phase = PhaseFactory(track__number=1, split="test", max_submissions=5)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice, members=[bob])
    assert not TeamPhase.objects.exists()  # fresh: the lock row itself is created by the racing uploads
    tokens = [Token.objects.create(user=alice).key, Token.objects.create(user=bob).key]
    forms = [form(seed=100 + i) for i in range(10)]  # built up front: distinct archives, no duplicates

    def upload(i: int) -> Any:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {tokens[i % 2]}")
        return api.post(phase_url(phase), forms[i], format="multipart")

    responses = _race(10, upload)

    assert Counter(getattr(r, "status_code", repr(r)) for r in responses) == {201: 5, 409: 5}
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {
                "code": "limit_reached",
                "message": LIMIT_MESSAGE,
                "detail": {"limit": 5, "used": 5},
            }
    accepted = sorted(r.json()["id"] for r in responses if r.status_code == 201)
    assert sorted(Submission.objects.filter(status=Status.QUEUED).values_list("pk", flat=True)) == accepted
    assert Submission.objects.count() == 5 and TeamPhase.objects.count() == 1
    assert sorted(call["submission_id"] for call in enqueued) == accepted


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_archive_keep_one(enqueued: list) -> None:
    phase = PhaseFactory(track__number=2, split="val", max_submissions=None)
    alice = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    token = Token.objects.create(user=alice).key
    forms = [form(seed=7) for _ in range(4)]

    def upload(i: int) -> Any:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api.post(phase_url(phase), forms[i], format="multipart")

    responses = _race(4, upload)
    assert sorted(getattr(r, "status_code", repr(r)) for r in responses) == [201, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"duplicate_archive"}
    assert Submission.objects.count() == 1
