"""Hostile archives that pass the cheap upload checks, scored by a real worker: each is rejected with
its stable code, the worker survives them all (and stays small), and then scores a valid archive."""

from __future__ import annotations

import time

import pytest

from submissions.models import COUNTED_STATUSES, Status, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world
from tests.support import harness

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FINAL = (Status.SCORED, Status.REJECTED, Status.FAILED)


def test_worker_rejects_every_hostile_archive_and_stays_alive(settings, tmp_path, start_worker):
    up = make_upload_world(settings, tmp_path, max_submissions=None)
    worker = start_worker()
    main_pid = worker.pid
    queued = {}
    for case in hostile.CASES:
        response = up.upload(case.build(up.sample, str(settings.GROUND_TRUTH_ROOT)), case.filename)
        if response.status_code == 201:
            queued[response.json()["id"]] = case
        else:
            assert response.json()["code"] in case.codes, (case.id, response.json())
    assert len(queued) >= 5, "the worker-stage cases (bad PNGs, sizes, labels) must reach the worker"

    peak, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline:
        peak = max([peak, *(harness.rss_bytes(pid) for pid in worker.pool_pids())])
        if not Submission.objects.filter(pk__in=queued).exclude(status__in=FINAL).exists():
            break
        time.sleep(0.1)
    outcome = {queued[s.pk].id: (s.status, s.error_code) for s in Submission.objects.filter(pk__in=queued)}
    expected = {
        case.id: (Status.REJECTED, code)
        for case in queued.values()
        for code in case.codes
        if outcome[case.id][1] == code
    }
    assert outcome == expected, worker.log_text()[-3000:]
    assert Submission.objects.filter(team=up.team, status__in=COUNTED_STATUSES).count() == 0
    assert peak < 400 * 2**20

    response = up.upload(hostile.VARIANTS["plain"](up.sample), "valid.zip")
    assert response.status_code == 201
    harness.wait_until(
        lambda: Submission.objects.get(pk=response.json()["id"]).status in FINAL, timeout=60, what="the valid archive"
    )
    assert Submission.objects.get(pk=response.json()["id"]).status == Status.SCORED
    assert worker.alive() and worker.pid == main_pid
