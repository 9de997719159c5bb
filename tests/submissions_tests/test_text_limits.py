"""Every text a team writes has a maximum, enforced by the serializer, the form, the service and the
database, and shown in the form (issue 13, finding 3); method names follow the name rule (finding 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from submissions.models import Submission
from tests.support.archives import form, phase_url

pytestmark = pytest.mark.django_db


def test_api_refuses_a_description_over_2000_characters(client: Any, phase: Any, team: Any, enqueued: list) -> None:
    response = client.post(phase_url(phase), form(method_description="d" * 2001), format="multipart")
    assert response.status_code == 400
    message = "Ensure this field has no more than 2000 characters."
    assert response.json() == {
        "code": "invalid",
        "message": f"method_description: {message}",
        "detail": {"method_description": [message]},
    }
    assert not Submission.objects.exists()


def test_a_description_of_exactly_2000_characters_is_accepted(
    client: Any, phase: Any, team: Any, enqueued: list
) -> None:
    response = client.post(phase_url(phase), form(method_description="d" * 2000), format="multipart")
    assert response.status_code == 201, response.json()
    assert len(Submission.objects.get().method_description) == 2000


def test_api_refuses_a_method_name_of_only_invisible_characters(
    client: Any, phase: Any, team: Any, enqueued: list
) -> None:
    response = client.post(phase_url(phase), form(method_name="\u200b \u200b"), format="multipart")
    assert response.status_code == 400
    message = (
        "The method name contains U+200B (ZERO WIDTH SPACE), an invisible character that can hide or reorder "
        "text on the leaderboard; remove it and type the method name again."
    )
    assert response.json()["detail"] == {"method_name": [message]}
    assert not Submission.objects.exists()


def test_the_service_refuses_an_overlong_description(phase: Any, team: Any, member: Any) -> None:
    from lidserver.errors import ApplicationError
    from submissions.services import submission_create
    from tests.support.archives import distinct_zip, upload

    with pytest.raises(ApplicationError) as refused:
        submission_create(
            phase=phase, team=team, user=member, uploaded_file=upload(distinct_zip(1)),
            method_name="Fine", method_description="d" * 2001, declared_parameters=1,
        )  # fmt: skip
    assert (refused.value.code, refused.value.message) == (
        "invalid_method_description",
        "The method description has 2,001 characters; shorten it to at most 2,000.",
    )


def test_the_database_refuses_an_overlong_description(phase: Any, team: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            phase=phase, team=team, archive_name="a.zip", sha256="0" * 64, size=1, method_name="m",
            method_description="d" * 2001, declared_parameters=1,
        )  # fmt: skip


def test_the_upload_form_shows_the_maxima(member: Any, phase: Any, team: Any) -> None:
    page = Client()
    page.force_login(member)
    html = page.get("/c/lid2020/track/1/test/submit/").content.decode()
    assert 'name="method_name" maxlength="100"' in html
    assert 'maxlength="2000"' in html and "At most 2,000 characters" in html
