"""The fair queue: a team's earlier submissions still waiting push its next one back, behind other
teams' first ones (the Celery message priority), and the queue position the page shows."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from submissions.models import Status, Submission
from submissions.selectors import submission_queue_position
from submissions.services import enqueue_scoring
from tests.support.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: Any) -> list[tuple[int, int]]:
    """(submission id, message priority) of every scoring message, recorded instead of sent."""
    from submissions.tasks import score_submission

    messages: list[tuple[int, int]] = []
    monkeypatch.setattr(
        score_submission,
        "apply_async",
        lambda kwargs=None, countdown=None, priority=None, **kw: messages.append((kwargs["submission_id"], priority)),
    )
    return messages


def row(phase: Any, team: Any, i: int) -> Submission:
    return Submission.objects.create(
        phase=phase,
        team=team,
        archive_name=f"s{i}.zip",
        sha256=f"{i:064x}",
        size=1,
        method_name="m",
        declared_parameters=1,
        status=Status.UPLOADED,
    )


def test_one_teams_five_queued_submissions_do_not_hold_back_another_teams_first(
    phase: Any, team: Any, member: Any, sent: list
) -> None:
    rush = [row(phase, team, i) for i in range(5)]
    for sub in rush:
        enqueue_scoring(submission_id=sub.pk)
    other = TeamFactory(challenge=phase.track.challenge, name="Latecomers", captain=UserFactory(username="late"))
    first = row(phase, other, 9)
    enqueue_scoring(submission_id=first.pk)

    # Each of the rushing team's submissions counts the ones it sent before; the other team's first is 0.
    assert sent == [(rush[0].pk, 0), (rush[1].pk, 1), (rush[2].pk, 2), (rush[3].pk, 3), (rush[4].pk, 4), (first.pk, 0)]
    positions = {s.pk: submission_queue_position(submission=s) for s in Submission.objects.all()}
    assert positions == {rush[0].pk: 1, first.pk: 2, rush[1].pk: 3, rush[2].pk: 4, rush[3].pk: 5, rush[4].pk: 6}

    # Once the rushing team's first is running, the rest move up; a running one has no position.
    Submission.objects.filter(pk=rush[0].pk).update(status=Status.RUNNING)
    positions = {s.pk: submission_queue_position(submission=s) for s in Submission.objects.all()}
    assert positions == {rush[0].pk: None, first.pk: 1, rush[1].pk: 2, rush[2].pk: 3, rush[3].pk: 4, rush[4].pk: 5}


def test_the_queue_position_is_in_the_submission_json(phase: Any, team: Any, member: Any, sent: list) -> None:
    subs = [row(phase, team, i) for i in range(2)]
    for sub in subs:
        enqueue_scoring(submission_id=sub.pk)
    client = APIClient()
    client.force_authenticate(member)
    assert [client.get(f"/api/submissions/{s.pk}/").json()["queue_position"] for s in subs] == [1, 2]
    Submission.objects.filter(pk=subs[0].pk).update(status=Status.SCORED, score=0.5)
    assert [client.get(f"/api/submissions/{s.pk}/").json()["queue_position"] for s in subs] == [None, 1]


def test_the_submission_page_shows_the_queue_position(phase: Any, team: Any, member: Any, sent: list) -> None:
    from django.test import Client

    subs = [row(phase, team, i) for i in range(2)]
    for sub in subs:
        enqueue_scoring(submission_id=sub.pk)
    page = Client()
    page.force_login(member)
    body = page.get(f"/submissions/{subs[1].pk}/").content.decode()
    assert "Checked and queued: number 2 in the scoring queue" in body
