"""The fair scoring queue through the real broker: one team's burst does not hold back another
team's first submission (Celery message priorities on Redis, settings CELERY_BROKER_TRANSPORT_OPTIONS)."""

from __future__ import annotations

import dataclasses
import zipfile

import pytest
from rest_framework.test import APIClient

from submissions.models import Status, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world
from tests.support.factories import TeamFactory, UserFactory
from tests.support.workers import wait_for_status

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_teams_first_submission_is_scored_before_another_teams_second_to_fourth(
    settings, tmp_path, private_broker, start_worker
):
    up = make_upload_world(settings, tmp_path, count=4, max_submissions=10)
    pngs = sorted(up.sample.pngs().items())
    # Four distinct archives (same images, other order or compression) so none is a duplicate.
    burst = [
        hostile.zip_bytes(members, compression=compression)
        for members in (pngs, pngs[::-1])
        for compression in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)
    ]
    ids = []
    for data in burst:  # no worker yet: everything waits in the broker
        response = up.upload(data)
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    other_user = UserFactory(username="second-team")
    TeamFactory(challenge=up.phase.track.challenge, name="Second team", captain=other_user)
    other = APIClient()
    other.force_authenticate(other_user)
    response = dataclasses.replace(up, client=other).upload(burst[0])
    assert response.status_code == 201, response.json()
    first_of_other = response.json()["id"]
    assert other.get(f"/api/submissions/{first_of_other}/").json()["queue_position"] == 2

    worker = start_worker(concurrency=1)
    for sub_id in [*ids, first_of_other]:
        wait_for_status(sub_id, (Status.SCORED, Status.FAILED, Status.REJECTED), timeout=120, worker=worker)
    order = list(Submission.objects.order_by("started_at").values_list("pk", flat=True))
    assert order == [ids[0], first_of_other, ids[1], ids[2], ids[3]]
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.SCORED}
