"""Concurrent uploads against real PostgreSQL: the limit holds, a double click makes one submission,
and moving between teams gains no slots."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from submissions.models import COUNTED_STATUSES, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import URL, evaluation_or_skip
from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def archive(variant: int) -> bytes:
    """A valid archive whose bytes differ per ``variant`` (so none is a duplicate of another)."""
    _, sample = hostile.make_sample(1, count=2, shape=(8, 8))
    arrays = dict(sample.arrays)
    first = sorted(arrays)[0]
    arrays[first] = arrays[first].copy()
    arrays[first].flat[variant % 64] = (int(arrays[first].flat[variant % 64]) + 1 + variant // 64) % 200
    return hostile.zip_bytes(hostile.Sample(arrays, 200).pngs())


def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each thread closes its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = calls[i]()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def race(settings, monkeypatch):
    evaluation_or_skip()
    # No worker here: scoring messages would only pile up in the broker.
    monkeypatch.setattr("submissions.services.enqueue_scoring", lambda **kwargs: None)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # the upload throttle counts in the local-memory cache
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "1000/minute"}}
    challenge = ChallengeFactory()
    phase = PhaseFactory(track=TrackFactory(challenge=challenge, number=1), max_submissions=5, image_count=2)
    users = [UserFactory(username=f"racer{i}") for i in range(3)]
    team = TeamFactory(challenge=challenge, name="Racers", captain=users[0], members=[users[1]])
    return {"phase": phase, "team": team, "users": users, "challenge": challenge}


def api_upload(user: Any, data: bytes) -> Callable[[], Any]:
    def call() -> Any:
        client = APIClient()
        client.force_authenticate(user)
        payload = {
            "archive": SimpleUploadedFile("p.zip", data, content_type="application/zip"),
            "method_name": "Race",
            "declared_parameters": 10,
        }
        response = client.post(URL.format(track=1, split="test"), payload, format="multipart")
        return response.status_code, response.json()

    return call


def counted(team: Any) -> int:
    return Submission.objects.filter(team=team, status__in=COUNTED_STATUSES).count()


def test_ten_concurrent_uploads_against_five_slots_make_exactly_five(race):
    results = concurrently([api_upload(race["users"][i % 2], archive(i)) for i in range(10)])
    statuses = sorted(r[0] if isinstance(r, tuple) else repr(r) for r in results)
    assert statuses == [201] * 5 + [409] * 5, results
    assert {r[1]["code"] for r in results if r[0] == 409} == {"limit_reached"}
    assert counted(race["team"]) == 5


def test_two_members_of_one_team_uploading_at_once_for_the_last_slot(race):
    race["phase"].max_submissions = 1
    race["phase"].save()
    results = concurrently([api_upload(race["users"][0], archive(100)), api_upload(race["users"][1], archive(101))])
    assert sorted(r[0] for r in results) == [201, 409], results
    assert counted(race["team"]) == 1


def test_a_double_clicked_form_makes_one_submission(race):
    data = archive(7)

    def click() -> Any:
        client = Client()
        client.force_login(race["users"][0])
        response = client.post(
            "/c/lid2020/track/1/test/submit/",
            {
                "archive": SimpleUploadedFile("p.zip", data, content_type="application/zip"),
                "method_name": "Double",
                "method_description": "",
                "declared_parameters": 10,
            },
        )
        return response.status_code

    results = concurrently([click, click])
    assert Submission.objects.filter(team=race["team"]).count() == 1
    assert counted(race["team"]) == 1
    assert sorted(results) == [302, 409], results  # one goes to its page; the other is told it is a duplicate


def test_moving_a_member_between_teams_gains_no_slots(race):
    from accounts import services as accounts

    mover = race["users"][1]
    results = concurrently([api_upload(mover, archive(200 + i)) for i in range(5)])
    assert sorted(r[0] for r in results) == [201] * 5
    other = TeamFactory(challenge=race["challenge"], name="Other", captain=race["users"][2])
    results = concurrently([api_upload(race["users"][2], archive(300 + i)) for i in range(3)])
    assert sorted(r[0] for r in results) == [201] * 3

    accounts.team_leave(user=mover, team=race["team"])
    accounts.team_join(user=mover, invite_code=other.invite_code)

    # The old team keeps the submissions the mover made: it has no slot back.
    status, body = api_upload(race["users"][0], archive(400))()
    assert (status, body["code"]) == (409, "limit_reached")
    # The new team has exactly its own 2 remaining slots, racing or not.
    results = concurrently([api_upload(mover, archive(500 + i)) for i in range(4)])
    assert sorted(r[0] for r in results) == [201, 201, 409, 409], results
    assert (counted(race["team"]), counted(other)) == (5, 5)
    by_mover = Submission.objects.filter(uploaded_by=mover)
    assert (by_mover.filter(team=race["team"]).count(), by_mover.filter(team=other).count()) == (5, 2)


def _stored_archives(settings: Any) -> list[str]:
    from pathlib import Path

    return sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*.zip"))


def test_leaving_the_team_during_a_long_upload_refuses_it_and_stores_nothing(race, monkeypatch, settings, tmp_path):
    """The member leaves while the archive is still being checked (a large upload takes seconds)."""
    from accounts import services as accounts
    from submissions import services

    settings.MEDIA_ROOT = str(tmp_path / "media")
    uploader = race["users"][1]
    checking, left = threading.Event(), threading.Event()
    real_format_error = services._format_error

    def slow_check(**kwargs: Any) -> Any:
        checking.set()
        assert left.wait(20), "the leave did not happen"
        return real_format_error(**kwargs)

    monkeypatch.setattr(services, "_format_error", slow_check)

    def leave() -> str:
        assert checking.wait(20)
        accounts.team_leave(user=uploader, team=race["team"])
        left.set()
        return "left"

    upload_result, leave_result = concurrently([api_upload(uploader, archive(600)), leave])
    assert leave_result == "left"
    assert upload_result == (
        403,
        {
            "code": "left_team",
            "message": "You are no longer a member of team “Racers”: you left it (or were removed) while the archive "
            "was uploading. Nothing was stored and no submission was used; join a team and upload again.",
            "detail": None,
        },
    )
    assert not Submission.objects.exists()
    assert _stored_archives(settings) == []


def test_a_leave_during_the_counted_insert_waits_and_the_upload_is_answered_as_stored(
    race, monkeypatch, settings, tmp_path
):
    """The leave arrives while the upload holds the team's lock: it waits; the upload is stored and says so."""
    from accounts import services as accounts
    from submissions import services

    settings.MEDIA_ROOT = str(tmp_path / "media")
    uploader = race["users"][1]
    locked, release = threading.Event(), threading.Event()
    real_check_limits = services._check_limits

    def paused(**kwargs: Any) -> Any:
        real_check_limits(**kwargs)
        locked.set()
        assert release.wait(20)

    monkeypatch.setattr(services, "_check_limits", paused)
    leave_done = threading.Event()

    def leave() -> str:
        assert locked.wait(20)
        accounts.team_leave(user=uploader, team=race["team"])
        leave_done.set()
        return "left"

    def release_later() -> bool:
        assert locked.wait(20)
        blocked = not leave_done.wait(1.5)  # the leave waits for the upload's lock
        release.set()
        return blocked

    upload_result, leave_result, leave_was_blocked = concurrently(
        [api_upload(uploader, archive(700)), leave, release_later]
    )
    assert leave_was_blocked is True
    assert leave_result == "left"
    status, body = upload_result
    sub = Submission.objects.get()
    assert status == 201, body
    assert (body["id"], body["team"], body["uploaded_by"]) == (
        sub.pk,
        {"id": race["team"].pk, "name": "Racers"},
        "racer1",
    )
    assert (sub.team, sub.uploaded_by, sub.status in COUNTED_STATUSES) == (race["team"], uploader, True)
    assert len(_stored_archives(settings)) == 1
