"""Uploading through the API: what a team sees for accepted, refused and rejected uploads."""

from __future__ import annotations

import datetime as dt
import errno
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from submissions.models import Status, Submission
from tests.support.archives import distinct_zip, form, phase_url, upload
from tests.support.factories import TeamFactory, UserFactory

LIMIT_MESSAGE = (
    "Your team has used all 5 submissions for track 1 test; no more will open in this phase. "
    "Rejected and failed submissions do not count, and you can still choose which scored submission "
    "represents your team."
)


def stored_files() -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def make_rows(phase: Any, team: Any, statuses: list[str]) -> None:
    for i, status in enumerate(statuses):
        Submission.objects.create(
            phase=phase,
            team=team,
            archive_name=f"old{i}.zip",
            sha256=f"{i:064x}",
            size=1,
            method_name="m",
            declared_parameters=1,
            status=status,
            score=0.5 if status == Status.SCORED else None,
        )


@pytest.mark.django_db
def test_accepted_upload_is_queued_stored_and_enqueued_after_commit(
    client: Any, phase: Any, team: Any, member: Any, enqueued: list, django_capture_on_commit_callbacks: Any
) -> None:
    content = distinct_zip(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            phase_url(phase), form(archive=upload(content, "my <b>preds&co.zip")), format="multipart"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    sub = Submission.objects.get()
    import hashlib

    # The test's own transaction delays the commit until the block above ends, so the answer shows
    # the row as inserted (`uploaded`); outside a test the commit, the enqueue and the switch to
    # `queued` happen before the answer is built (tests/integration checks that).

    assert body == {
        "id": sub.pk,
        "challenge": "lid2020",
        "track": 1,
        "split": "test",
        "team": {"id": team.pk, "name": "Alpha"},
        "uploaded_by": "alice",
        "status": "uploaded",
        "archive_name": "my <b>preds&co.zip",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "method_name": "DeepLab v3+",
        "method_description": "ResNet-101 backbone, CRF post-processing.",
        "declared_parameters": 59_000_000,
        "created_at": body["created_at"],
        "queued_at": None,
        "started_at": None,
        "finished_at": None,
        "scoring_seconds": None,
        "scorer_version": "",
        "score": None,
        "metrics": {},
        "per_class": None,
        "curve": None,
        "diagnosis": None,
        "ci": None,
        "error_code": "",
        "error_message": "",
        "is_representative": False,
        "queue_position": None,
        "progress": None,
    }
    assert enqueued == [{"submission_id": sub.pk, "countdown": None}]
    sub.refresh_from_db()  # the task was sent on commit, then the row turned queued
    assert sub.status == Status.QUEUED
    assert dt.timedelta(0) <= sub.queued_at - sub.created_at < dt.timedelta(seconds=1)
    # The file lives under MEDIA_ROOT under a generated name, never the team's, with the uploaded bytes.
    [path] = stored_files()
    assert path == Path(settings.MEDIA_ROOT) / sub.archive.name
    assert path.parent.relative_to(settings.MEDIA_ROOT).as_posix() == f"submissions/phase{phase.pk}/team{team.pk}"
    assert "preds" not in path.name and path.read_bytes() == content


@pytest.mark.django_db
def test_large_upload_streamed_to_disk_is_accepted(
    client: Any, phase: Any, enqueued: list, settings: Any, monkeypatch: Any
) -> None:
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE Django hands over a temporary file; the service reads it in chunks.
    import numpy as np

    from submissions import storage
    from tests.support.archives import zip_of

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = zip_of({"big": np.random.default_rng(0).integers(0, 200, (64, 64))})
    assert len(content) > 4096
    monkeypatch.setattr(storage, "CHUNK", 1000)  # several chunks
    staged_from: list[bool] = []
    real_stage = storage.stage_upload

    def spy(upload: Any) -> Any:
        staged_from.append(hasattr(upload, "temporary_file_path"))
        return real_stage(upload)

    monkeypatch.setattr("submissions.services.stage_upload", spy)
    response = client.post(phase_url(phase), form(archive=upload(content)), format="multipart")
    assert response.status_code == 201, response.json()
    assert staged_from == [True]
    sub = Submission.objects.get()
    assert sub.size == len(content) and Path(sub.archive.path).read_bytes() == content


@pytest.mark.django_db
def test_service_refuses_a_user_who_is_not_in_the_team(phase: Any, team: Any, enqueued: list) -> None:
    from lidserver.errors import ApplicationError
    from submissions.services import submission_create

    with pytest.raises(ApplicationError) as refused:
        submission_create(
            phase=phase, team=team, user=UserFactory(username="mallory"), uploaded_file=upload(distinct_zip(1)),
            method_name="m", method_description="", declared_parameters=1,
        )  # fmt: skip
    assert (refused.value.code, refused.value.http_status) == ("not_team_member", 403)
    assert refused.value.message == (
        "You are not a member of team “Alpha” in this challenge; join the team to submit for it."
    )
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_uploads_are_throttled_but_reading_is_not(client: Any, phase: Any, enqueued: list, monkeypatch: Any) -> None:
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/hour"})
    assert [client.post(phase_url(phase), form(seed=s), format="multipart").status_code for s in (1, 2, 3)] == [
        201, 201, 429,
    ]  # fmt: skip
    assert all(client.get(phase_url(phase)).status_code == 200 for _ in range(5))
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("declared", [150_000_000, 10**12, -1])
def test_parameter_count_out_of_range_is_refused(client: Any, phase: Any, enqueued: list, declared: int) -> None:
    response = client.post(phase_url(phase), form(declared_parameters=declared), format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "code": "too_many_parameters",
        "message": f"Your model's parameter count must be fewer than 150,000,000 (you declared {declared:,}); "
        "the rules allow only smaller models.",
        "detail": {"declared_parameters": declared, "limit": 150_000_000},
    }
    assert not Submission.objects.exists() and stored_files() == [] and enqueued == []


@pytest.mark.django_db
def test_149_999_999_parameters_are_accepted(client: Any, phase: Any, enqueued: list) -> None:
    response = client.post(phase_url(phase), form(declared_parameters=149_999_999), format="multipart")
    assert response.status_code == 201
    assert response.json()["declared_parameters"] == 149_999_999


@pytest.mark.django_db
def test_user_without_team_is_told_to_join_one(phase: Any, team: Any, enqueued: list) -> None:
    from rest_framework.test import APIClient

    outsider = UserFactory(username="mallory")
    api = APIClient()
    api.force_authenticate(outsider)
    response = api.post(phase_url(phase), form(), format="multipart")
    assert response.status_code == 403
    assert response.json() == {
        "code": "no_team",
        "message": "You are not in a team of LID 2020; create or join one at /c/lid2020/team/ before submitting.",
        "detail": None,
    }
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_anonymous_upload_is_refused(phase: Any) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post(phase_url(phase), form(), format="multipart")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_limit_counts_neither_rejected_nor_failed(client: Any, phase: Any, team: Any, enqueued: list) -> None:
    make_rows(
        phase,
        team,
        [Status.REJECTED, Status.FAILED, Status.FAILED, Status.SCORED, Status.QUEUED, Status.RUNNING, Status.UPLOADED],
    )
    assert client.post(phase_url(phase), form(seed=10), format="multipart").status_code == 201  # 5th counted
    response = client.post(phase_url(phase), form(seed=11), format="multipart")
    assert response.status_code == 409
    assert response.json() == {"code": "limit_reached", "message": LIMIT_MESSAGE, "detail": {"limit": 5, "used": 5}}
    # The new row stays `uploaded`: its task is sent on commit, which this test's transaction delays.
    assert Submission.objects.filter(status__in=[Status.UPLOADED, Status.QUEUED]).count() == 3
    assert len(stored_files()) == 1  # the refused upload left no file behind


@pytest.mark.django_db
def test_duplicate_archive_is_refused_and_not_charged(client: Any, phase: Any, enqueued: list) -> None:
    first = client.post(phase_url(phase), form(seed=3), format="multipart").json()
    response = client.post(phase_url(phase), form(seed=3, method_name="again"), format="multipart")
    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_archive",
        "message": f"This archive is identical to submission {first['id']}, which your team already uploaded; "
        "it was not charged. Upload a different archive.",
        "detail": {"submission_id": first["id"]},
    }
    assert Submission.objects.count() == 1 and len(stored_files()) == 1


@pytest.mark.django_db
def test_same_archive_after_a_failure_is_accepted(client: Any, phase: Any, enqueued: list) -> None:
    first = client.post(phase_url(phase), form(seed=4), format="multipart").json()
    Submission.objects.filter(pk=first["id"]).update(status=Status.FAILED)
    assert client.post(phase_url(phase), form(seed=4), format="multipart").status_code == 201


@pytest.mark.django_db
def test_daily_limit_names_the_next_utc_day(client: Any, phase: Any, enqueued: list) -> None:
    phase.max_submissions, phase.max_submissions_per_day = None, 2
    phase.save()
    for seed in (1, 2):
        assert client.post(phase_url(phase), form(seed=seed), format="multipart").status_code == 201
    response = client.post(phase_url(phase), form(seed=3), format="multipart")
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "daily_limit_reached",
        "message": "Your team has used all 2 submissions allowed per UTC day for track 1 test; "
        f"the next is allowed from {tomorrow:%Y-%m-%d} 00:00 UTC.",
        "detail": {"daily_limit": 2, "used_today": 2, "next_allowed_at": f"{tomorrow:%Y-%m-%d}T00:00:00Z"},
    }
    # Yesterday's submissions do not count towards today's.
    Submission.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    assert client.post(phase_url(phase), form(seed=3), format="multipart").status_code == 201


@pytest.mark.django_db
def test_phase_not_started_refuses_uploads(client: Any, phase: Any, enqueued: list) -> None:
    phase.starts_at = dt.datetime(2030, 3, 22, 12, 0, tzinfo=dt.UTC)
    phase.ends_at = phase.starts_at + dt.timedelta(days=30)
    phase.save()
    response = client.post(phase_url(phase), form(), format="multipart")
    assert response.status_code == 409
    assert response.json() == {
        "code": "phase_not_open",
        "message": "Track 1 test opens on 2030-03-22 12:00 UTC; upload again after that.",
        "detail": {"starts_at": "2030-03-22T12:00:00+00:00"},
    }


@pytest.mark.django_db
def test_upload_over_the_size_limit_is_refused(client: Any, phase: Any, enqueued: list, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 100
    content = distinct_zip(5)
    response = client.post(phase_url(phase), form(archive=upload(content)), format="multipart")
    assert response.status_code == 413
    assert response.json() == {
        "code": "upload_too_large",
        "message": f"The archive is {len(content):,} bytes; the largest accepted is 100 bytes. "
        "Save the PNGs with compression and upload again.",
        "detail": {"size": len(content), "limit": 100},
    }


@pytest.mark.django_db
def test_full_disk_answers_507_and_records_nothing(client: Any, phase: Any, enqueued: list, monkeypatch: Any) -> None:
    from django.core.files.storage import default_storage

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(default_storage, "save", disk_full)
    response = client.post(phase_url(phase), form(), format="multipart")
    assert response.status_code == 507
    assert response.json() == {
        "code": "storage_full",
        "message": "The server could not store your file because its disk is full; nothing was recorded and no "
        "submission was used. Please try again later.",
        "detail": None,
    }
    assert not Submission.objects.exists() and enqueued == []


@pytest.mark.django_db
def test_crash_while_inserting_leaves_no_file_and_no_row(
    client: Any, phase: Any, enqueued: list, monkeypatch: Any
) -> None:
    import submissions.services as services

    def broken(**kwargs: Any) -> None:
        raise ApplicationErrorForTest()

    class ApplicationErrorForTest(RuntimeError):
        pass

    monkeypatch.setattr(services, "_check_limits", broken)
    with pytest.raises(ApplicationErrorForTest):
        client.post(phase_url(phase), form(), format="multipart")
    assert not Submission.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_other_teams_submission_answers_like_a_missing_one(client: Any, phase: Any, team: Any, enqueued: list) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    make_rows(phase, other, [Status.QUEUED])
    theirs = Submission.objects.get(team=other)
    missing_id = theirs.pk + 1000
    for url in (f"/api/submissions/{theirs.pk}/", f"/api/submissions/{missing_id}/"):
        response = client.get(url)
        assert response.status_code == 404
    assert client.get(f"/api/submissions/{theirs.pk}/").json() == {
        "code": "not_found",
        "message": "There is no such submission, or it belongs to another team.",
        "detail": None,
    }
    assert client.get(f"/api/submissions/{missing_id}/").json() == client.get(f"/api/submissions/{theirs.pk}/").json()
    assert client.post(f"/api/submissions/{theirs.pk}/representative/").status_code == 404
    # And the lists show only the caller's team's submissions.
    assert client.get(phase_url(phase)).json()["results"] == []
    assert client.get("/api/submissions/").json()["count"] == 0


@pytest.mark.django_db
def test_organizer_sees_any_submission(phase: Any, team: Any) -> None:
    from rest_framework.test import APIClient

    make_rows(phase, team, [Status.QUEUED])
    api = APIClient()
    api.force_authenticate(UserFactory(username="org", is_staff=True))
    sub = Submission.objects.get()
    assert api.get(f"/api/submissions/{sub.pk}/").json()["id"] == sub.pk


@pytest.mark.django_db
def test_lists_are_paginated_newest_first(client: Any, phase: Any, enqueued: list) -> None:
    ids = [client.post(phase_url(phase), form(seed=s), format="multipart").json()["id"] for s in (1, 2, 3)]
    page = client.get(phase_url(phase) + "?limit=2").json()
    assert page["count"] == 3 and [s["id"] for s in page["results"]] == ids[::-1][:2]
    assert [s["id"] for s in client.get("/api/submissions/").json()["results"]] == ids[::-1]


@pytest.mark.django_db
def test_missing_fields_are_named(client: Any, phase: Any) -> None:
    response = client.post(phase_url(phase), {"method_name": "x"}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "archive" in body["message"] and "declared_parameters" in body["message"]


@pytest.mark.django_db
def test_upload_archive_with_a_stray_file_is_rejected_without_a_slot(
    client: Any, phase: Any, team: Any, enqueued: list
) -> None:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    response = client.post(phase_url(phase), form(archive=upload(buffer.getvalue())), format="multipart")
    assert response.status_code == 400
    body = response.json()
    sub = Submission.objects.get()
    assert (sub.status, sub.error_code, sub.error_message) == ("rejected", body["code"], body["message"])
    assert body["detail"] is None and "notes.txt" in body["message"]
    assert stored_files() == [] and enqueued == []
    quota = client.get("/api/challenges/lid2020/tracks/1/test/").json()["quota"]
    assert (quota["used"], quota["remaining"]) == (0, 5)


@pytest.mark.django_db
def test_rejected_cap_refuses_every_upload_that_day(client: Any, phase: Any, team: Any, enqueued: list) -> None:
    phase.max_rejected_per_day = 2
    phase.save()
    make_rows(phase, team, [Status.REJECTED, Status.REJECTED])
    response = client.post(phase_url(phase), form(seed=1), format="multipart")
    assert response.status_code == 409
    assert response.json() == {
        "code": "rejected_cap_reached",
        "message": "Your team's last 2 uploads today for track 1 test were rejected, the most allowed per UTC day "
        "is 2; check your archive with `lid validate --track 1 PRED.zip` (or `python -m evaluation score`) "
        "and upload again tomorrow.",
        "detail": {"rejected_today": 2, "cap": 2},
    }
    assert Submission.objects.count() == 2 and stored_files() == []


@pytest.mark.django_db
def test_service_refuses_an_overlong_method_name(phase: Any, team: Any, member: Any) -> None:
    from lidserver.errors import ApplicationError
    from submissions.services import submission_create

    with pytest.raises(ApplicationError) as refused:
        submission_create(
            phase=phase, team=team, user=member, uploaded_file=upload(distinct_zip(1)),
            method_name="x" * 101, method_description="", declared_parameters=1,
        )  # fmt: skip
    assert refused.value.code == "invalid_method_name"
    assert not Submission.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_upload_to_a_phase_without_ground_truth_is_refused_before_a_slot_is_used(
    client: Any, phase: Any, team: Any, member: Any, enqueued: list
) -> None:
    from audit.models import AuditLogEntry

    type(phase).objects.filter(pk=phase.pk).update(ground_truth_path="")
    response = client.post(phase_url(phase), form(seed=3), format="multipart")
    assert response.status_code == 409
    assert response.json() == {
        "code": "ground_truth_missing",
        "message": "Track 1 test cannot score uploads yet: the organizers have not loaded its ground truth. "
        "Nothing was stored and no submission was used; upload again once the track page says it is loaded.",
        "detail": None,
    }
    assert not Submission.objects.exists() and stored_files() == [] and enqueued == []
    entry = AuditLogEntry.objects.get()
    assert (entry.actor, entry.target_id, entry.summary) == (
        member,
        str(phase.pk),
        f"Upload by alice (team Alpha) refused: {phase} has no ground truth loaded.",
    )
