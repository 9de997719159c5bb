"""The challenge API: whole bodies for the list, a challenge and a phase with and without quota."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from challenges.models import Phase
from challenges.services import challenge_load
from tests.support.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

DEADLINE = "2020-06-08T23:59:59Z"
START = "2020-03-22T00:00:00Z"


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    return challenge_load()


def _phase(number: int, split: str) -> Phase:
    return Phase.objects.get(track__number=number, split=split)


def _phase_body(number: int, split: str, images: int) -> dict:
    return {
        "id": _phase(number, split).pk,
        "split": split,
        "starts_at": START,
        "ends_at": DEADLINE,
        "image_count": images,
        "max_submissions": 5 if split == "test" else None,
        "max_submissions_per_day": None if split == "test" else 5,
        "has_ground_truth": False,
        "max_declared_parameters": 150_000_000,
    }


def test_challenge_list(lid) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/challenges/")
    assert response.status_code == 200
    assert response.json() == [
        {"slug": "lid2020", "title": lid.title, "short_title": "LID 2020", "description": lid.description}
    ]


def test_challenge_detail_has_tracks_and_phases_inline(lid) -> None:  # type: ignore[no-untyped-def]
    body = APIClient().get("/api/challenges/lid2020/").json()
    images = {1: (5000, 10000), 2: (2000, 3000), 3: (23151, 21120)}
    assert [t["number"] for t in body["tracks"]] == [1, 2, 3]
    assert [t["key_metric"] for t in body["tracks"]] == ["mean_iou", "mean_iou", "peak_iou"]
    for track in body["tracks"]:
        val, test = images[track["number"]]
        assert track["phases"] == [_phase_body(track["number"], "val", val), _phase_body(track["number"], "test", test)]
    assert body["tracks"][1]["dataset"] == "ADE20K"
    assert set(body) == {"slug", "title", "short_title", "description", "rules", "tracks"}


def test_phase_detail_without_team_has_null_quota(lid) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/challenges/lid2020/tracks/2/val/")
    assert response.status_code == 200
    assert response.json() == {
        **_phase_body(2, "val", 2000),
        "challenge": "lid2020",
        "track": 2,
        "max_rejected_per_day": 20,
        "is_open": True,
        "is_past_deadline": True,
        "quota": None,
    }


@dataclass
class FakeQuota:
    limit: int | None
    used: int
    remaining: int | None
    daily_limit: int | None
    used_today: int
    next_allowed_at: dt.datetime | None


def test_phase_detail_forwards_the_team_quota(lid, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    alice = UserFactory(username="alice")
    team = TeamFactory(challenge=lid, captain=alice)
    calls = []

    def team_quota(*, team, phase):  # type: ignore[no-untyped-def]
        calls.append((team, phase))
        return FakeQuota(5, 2, 3, None, 1, dt.datetime(2020, 4, 1, 12, 0, tzinfo=dt.UTC))

    monkeypatch.setattr("challenges.selectors.team_quota", team_quota)
    client = APIClient()
    client.force_authenticate(alice)
    body = client.get("/api/challenges/lid2020/tracks/1/test/").json()
    assert body["quota"] == {
        "limit": 5,
        "used": 2,
        "remaining": 3,
        "daily_limit": None,
        "used_today": 1,
        "next_allowed_at": "2020-04-01T12:00:00Z",
    }
    assert calls == [(team, _phase(1, "test"))]


def test_phase_detail_unknown_track_or_split(lid) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/challenges/lid2020/tracks/4/val/")
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "LID 2020 has no track 4; its tracks are 1, 2 and 3.", "detail": None},
    )
    response = APIClient().get("/api/challenges/lid2020/tracks/1/train/")
    assert response.json()["message"] == "Track 1 has no “train” split; use val or test."


def test_phase_detail_quota_counts_the_team_submissions(lid) -> None:  # type: ignore[no-untyped-def]
    """Through the submissions app's real ``team_quota``: one counted submission of five on test."""
    from submissions.models import Submission

    alice = UserFactory(username="alice")
    team = TeamFactory(challenge=lid, captain=alice)
    Submission.objects.create(
        phase=_phase(1, "test"), team=team, uploaded_by=alice, archive="x.zip", archive_name="x.zip",
        sha256="0" * 64, size=1, method_name="m", declared_parameters=1, status="queued",
    )  # fmt: skip
    client = APIClient()
    client.force_authenticate(alice)
    quota = client.get("/api/challenges/lid2020/tracks/1/test/").json()["quota"]
    assert quota == {
        "limit": 5, "used": 1, "remaining": 4, "daily_limit": None, "used_today": 1, "next_allowed_at": None,
    }  # fmt: skip
