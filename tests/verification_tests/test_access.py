"""Who may see what: the team's own request, verifiers' queue and downloads; everyone else 404."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tests.support.factories import UserFactory
from tests.support.staff import board_with_teams, closed_test_phase, verifier_user
from verification.models import VerificationRequest
from verification.services import verification_request_top_teams

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    teams = board_with_teams(phase, [0.9, 0.8, 0.7, 0.6])
    verification_request_top_teams(phase=phase, top=1)
    request = VerificationRequest.objects.get(phase=phase)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.py", "1")
    request.code_archive.save("code.zip", SimpleUploadedFile("code.zip", buffer.getvalue()))
    return teams, request


@pytest.mark.parametrize("who", ["anonymous", "other_team", "staff_not_verifier"])
def test_others_get_404_on_upload_and_download(client, setup, who):  # type: ignore[no-untyped-def]
    teams, request = setup
    if who == "other_team":
        client.login(username=teams[3].captain.username, password=PASSWORD)
    elif who == "staff_not_verifier":
        UserFactory(username="staffer", is_staff=True)
        client.login(username="staffer", password=PASSWORD)
    assert client.get(reverse("verification:upload", args=[request.pk])).status_code == 404
    assert client.post(reverse("verification:upload", args=[request.pk]), {}).status_code == 404
    assert client.get(reverse("verification:download", args=[request.pk])).status_code == 404
    assert client.get(reverse("verification:detail", args=[request.pk])).status_code == 404


def test_queue_is_for_verifiers(client, setup):  # type: ignore[no-untyped-def]
    teams, _ = setup
    anonymous = client.get(reverse("verification:queue"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    client.login(username=teams[0].captain.username, password=PASSWORD)
    assert client.get(reverse("verification:queue")).status_code == 403


def test_missing_id_answers_like_another_teams(client, setup):  # type: ignore[no-untyped-def]
    client.login(username=verifier_user().username, password=PASSWORD)
    assert client.get(reverse("verification:download", args=[99999])).status_code == 404


def test_api_upload_by_member_and_404_for_others(setup):  # type: ignore[no-untyped-def]
    teams, request = setup
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("infer.py", "2")
    api = APIClient()
    api.force_authenticate(teams[1].captain)
    url = f"/api/verification/{request.pk}/code/"
    other = api.post(
        url,
        {"archive": SimpleUploadedFile("c.zip", buffer.getvalue()), "declared_parameters": 5, "instructions": "run"},
    )
    assert other.status_code == 404
    assert other.json() == {
        "code": "not_found",
        "message": "No verification request with this id for your team.",
        "detail": None,
    }

    api.force_authenticate(teams[0].captain)
    response = api.post(
        url,
        {"archive": SimpleUploadedFile("c.zip", buffer.getvalue()), "declared_parameters": 5, "instructions": "run"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["declared_parameters"], body["code_size"], body["team"]["name"]) == (
        "code_uploaded", 5, len(buffer.getvalue()), "Team A",
    )  # fmt: skip
    too_many = api.post(
        url,
        {
            "archive": SimpleUploadedFile("c.zip", buffer.getvalue()),
            "declared_parameters": 150_000_000,
            "instructions": "run",
        },
    )
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_many_parameters"


def test_banner_on_team_pages(client, setup):  # type: ignore[no-untyped-def]
    """The asked team sees the notice on its team page; a team that was not asked sees none."""
    teams, request = setup
    slug = request.phase.track.challenge.slug
    client.login(username=teams[0].captain.username, password=PASSWORD)
    html = client.get(f"/c/{slug}/team/").content.decode()
    assert reverse("verification:upload", args=[request.pk]) in html and "ranked 1" in html
    client.login(username=teams[1].captain.username, password=PASSWORD)
    page = client.get(f"/c/{slug}/team/")
    assert page.status_code == 200 and "verification-banner" not in page.content.decode()
