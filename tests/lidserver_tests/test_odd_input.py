"""Odd characters and numbers in addresses: a 400 with a sentence, never a 500 (issue 13, finding 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
SENTENCE = (
    "The address holds a control character (such as NUL, %00) that no address of this site uses; "
    "check the link and try again."
)


@pytest.fixture
def member() -> Any:
    phase = PhaseFactory()
    user = UserFactory(username="odd")
    TeamFactory(challenge=phase.track.challenge, name="Odd", captain=user)
    return user


@pytest.mark.parametrize(
    "url", ["/c/lid2020/join/%00/", "/c/lid2020/join/a%01b/", "/c/lid2020/track/1/test/leaderboard/?board=%00x"]
)
def test_a_control_character_in_a_page_address_is_the_400_page(member: Any, url: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Bad request</h1>" in html and SENTENCE in html


@pytest.mark.parametrize("url", ["/api/challenges/%00/", "/api/submissions/?limit=1%00", "/api/teams/join/?x=%7F"])
def test_a_control_character_in_an_api_address_is_the_json_400(member: Any, url: str) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(member)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "invalid_address", "message": SENTENCE, "detail": None}


@pytest.mark.parametrize("code", ["x" * 33, "abc def", "ab<c>", "é" * 5])
def test_an_invite_code_that_cannot_exist_shows_the_no_such_invite_page(member: Any, code: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(member)
    response = client.get(f"/c/lid2020/join/{code}/")
    assert response.status_code == 200
    assert "This invite link does not work" in response.content.decode()
