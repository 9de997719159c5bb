"""While the server works on a submission, its page and status.json say what is happening."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from submissions.models import Status, Submission
from submissions.selectors import QueuePlace, submission_queue_place
from tests.submissions_tests.test_pages import logged_in, text_of
from tests.support.factories import PhaseFactory, TeamFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def row(phase: Any, team: Any, status: str, minute: int) -> Submission:
    sub = Submission.objects.create(
        phase=phase, team=team, uploaded_by=team.captain, archive_name="p.zip", sha256=f"{minute:064x}", size=10,
        method_name="M", declared_parameters=1, status=status, score=0.5 if status == Status.SCORED else None,
    )  # fmt: skip
    Submission.objects.filter(pk=sub.pk).update(created_at=T0 + dt.timedelta(minutes=minute))
    sub.refresh_from_db()
    return sub


@pytest.fixture
def queue(phase: Any, team: Any) -> dict[str, Submission]:
    """Across teams and phases: one running, one queued before alice's, one uploaded (its task not sent yet:
    it will queue behind every queued one), one queued after, one done."""
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    val = PhaseFactory(track=phase.track, split="val")
    return {
        "running": row(phase, other, Status.RUNNING, 0),
        "first": row(val, other, Status.QUEUED, 1),
        "second": row(phase, other, Status.UPLOADED, 2),
        "done": row(phase, other, Status.SCORED, 3),
        "mine": row(phase, team, Status.QUEUED, 4),
        "later": row(val, other, Status.QUEUED, 5),
    }


def test_the_place_follows_the_brokers_order(queue: dict[str, Submission]) -> None:
    assert submission_queue_place(submission=queue["first"]) == QueuePlace(position=1, running=1)
    assert submission_queue_place(submission=queue["mine"]) == QueuePlace(position=2, running=1)
    assert submission_queue_place(submission=queue["later"]) == QueuePlace(position=3, running=1)
    assert submission_queue_place(submission=queue["second"]) == QueuePlace(position=4, running=1)
    assert submission_queue_place(submission=queue["running"]) is None
    assert submission_queue_place(submission=queue["done"]) is None


def test_status_json_and_the_page_give_the_place(member: Any, queue: dict[str, Submission]) -> None:
    alice: Client = logged_in(member)
    mine = queue["mine"]
    assert alice.get(f"/submissions/{mine.pk}/status.json").json()["queue"] == {"position": 2, "running": 1}
    text = text_of(alice.get(f"/submissions/{mine.pk}/"))
    assert "Checked and queued: number 2 in the scoring queue (1 being scored now)." in text
    Submission.objects.filter(pk__in=[queue["first"].pk, queue["second"].pk]).update(status=Status.SCORED, score=0.5)
    text = text_of(alice.get(f"/submissions/{mine.pk}/"))
    assert "Checked and queued: next in the scoring queue (1 being scored now)." in text
    Submission.objects.filter(pk=mine.pk).update(status=Status.RUNNING, started_at=T0 + dt.timedelta(minutes=9))
    assert alice.get(f"/submissions/{mine.pk}/status.json").json()["queue"] is None
    text = text_of(alice.get(f"/submissions/{mine.pk}/"))
    assert (
        "Scoring now: every PNG is read and compared with the ground truth, then the 95% interval is computed "
        "(started 12:09:00 UTC)." in text
    )
    # Scored in shards by several pool processes: how many of them are done, on the page and in status.json.
    Submission.objects.filter(pk=mine.pk).update(shards_total=22, shards_done=5)
    body = alice.get(f"/submissions/{mine.pk}/status.json").json()
    assert (body["status"], body["progress"]) == ("running", {"shards_done": 5, "shards_total": 22})
    text = text_of(alice.get(f"/submissions/{mine.pk}/"))
    assert "95% interval is computed (started 12:09:00 UTC). 5 of 22 shards scored." in text


def test_just_uploaded_says_it_was_checked(member: Any, team: Any, phase: Any) -> None:
    sub = row(phase, team, Status.UPLOADED, 0)
    text = text_of(logged_in(member).get(f"/submissions/{sub.pk}/"))
    assert "Uploaded and checked (file names and image sizes); handing it to the scoring queue…" in text
