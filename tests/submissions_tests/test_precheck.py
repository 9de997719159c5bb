"""The pre-check: an upload's fields and the team's slot, answered before the archive is sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from submissions.models import Status, Submission
from tests.submissions_tests.test_upload_api import LIMIT_MESSAGE, make_rows
from tests.support.factories import PhaseFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = {"method_name": "DeepLab v3+", "method_description": "ResNet-101.", "declared_parameters": "59000000"}


def check_url(phase: Any) -> str:
    slug = phase.track.challenge.slug
    return f"/api/challenges/{slug}/tracks/{phase.track.number}/{phase.split}/submissions/check/"


def quota(limit: Any = 5, used: int = 0, daily: Any = None, today: int = 0, next_at: Any = None) -> dict[str, Any]:
    return {
        "limit": limit,
        "used": used,
        "remaining": None if limit is None else limit - used,
        "daily_limit": daily,
        "used_today": today,
        "next_allowed_at": next_at,
    }


def test_good_fields_and_a_free_slot(client: APIClient, phase: Any) -> None:
    response = client.post(check_url(phase), GOOD, format="json")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "errors": {}, "can_submit": True, "refusal": None, "quota": quota()}
    assert Submission.objects.count() == 0  # nothing stored


def test_each_field_error_is_one_plain_sentence(client: APIClient, phase: Any) -> None:
    data = {"method_name": "   ", "method_description": "", "declared_parameters": "25,557,032"}
    body = client.post(check_url(phase), data, format="multipart").json()
    assert body["ok"] is False and body["can_submit"] is True
    assert body["errors"] == {
        "method_name": "Give your method a name; it is shown on the leaderboard.",
        "declared_parameters": "The parameter count must be a whole number without commas or units, e.g. 25557032.",
    }


def test_missing_fields_are_named_in_words(client: APIClient, phase: Any) -> None:
    body = client.post(check_url(phase), {}, format="json").json()
    assert body["errors"] == {
        "method_name": "Give your method a name; it is shown on the leaderboard.",
        "declared_parameters": "Give the total number of parameters of your inference model(s), e.g. 25557032.",
    }


def test_service_rules_apply_too(client: APIClient, phase: Any, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    data = {**GOOD, "declared_parameters": "150000000", "archive_size": "1001"}
    body = client.post(check_url(phase), data, format="json").json()
    assert body["errors"] == {
        "declared_parameters": "Your model's parameter count must be fewer than 150,000,000 (you declared "
        "150,000,000); the rules allow only smaller models.",
        "archive_size": "The archive is 1,001 bytes; the largest accepted is 1,000 bytes. Save the PNGs with "
        "compression and upload again.",
    }


def test_a_too_long_name_says_the_serializers_maximum(client: APIClient, phase: Any) -> None:
    from submissions.serializers import SubmissionUploadSerializer

    maximum = SubmissionUploadSerializer().fields["method_name"].max_length
    body = client.post(check_url(phase), {**GOOD, "method_name": "x" * (maximum + 1)}, format="json").json()
    assert body["errors"] == {
        "method_name": f"The method name is {maximum + 1:,} characters long; at most {maximum:,} are allowed, "
        "shorten it."
    }


def test_limit_reached_on_test_says_none_will_open(client: APIClient, phase: Any, team: Any) -> None:
    make_rows(phase, team, [Status.SCORED] * 4 + [Status.QUEUED, Status.REJECTED, Status.FAILED])
    body = client.post(check_url(phase), GOOD, format="json").json()
    assert body == {
        "ok": False,
        "errors": {},
        "can_submit": False,
        "refusal": {"code": "limit_reached", "message": LIMIT_MESSAGE, "detail": {"limit": 5, "used": 5}},
        "quota": quota(used=5, today=5),
    }
    assert "no more will open in this phase" in LIMIT_MESSAGE


def test_daily_limit_on_val_gives_the_next_slot(client: APIClient, team: Any) -> None:
    val = PhaseFactory(
        track=team.challenge.tracks.get(number=1), split="val", max_submissions=None, max_submissions_per_day=2
    )
    make_rows(val, team, [Status.SCORED, Status.SCORED])
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    body = client.post(check_url(val), GOOD, format="json").json()
    stamp = f"{tomorrow:%Y-%m-%d}T00:00:00Z"
    assert body["refusal"] == {
        "code": "daily_limit_reached",
        "message": "Your team has used all 2 submissions allowed per UTC day for track 1 val; "
        f"the next is allowed from {tomorrow:%Y-%m-%d} 00:00 UTC.",
        "detail": {"daily_limit": 2, "used_today": 2, "next_allowed_at": stamp},
    }
    assert body["quota"] == quota(limit=None, used=2, daily=2, today=2, next_at=stamp)


def test_a_user_without_a_team_is_told_so(phase: Any) -> None:
    api = APIClient()
    api.force_authenticate(UserFactory(username="loner"))
    response = api.post(check_url(phase), GOOD, format="json")
    assert response.status_code == 403 and response.json()["code"] == "no_team"
    assert APIClient().post(check_url(phase), GOOD, format="json").status_code == 401
