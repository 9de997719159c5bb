"""API tokens: the page, the token API, /api/me/, and that a revoked token is refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts_tests.conftest import PASSWORD
from tests.support.factories import TeamFactory

pytestmark = pytest.mark.django_db

REVOKED_BODY = {
    "code": "authentication_failed",
    "message": "Your credentials or API token were not accepted; log in again or create a new token.",
    "detail": None,
}


def test_token_page_creates_shows_and_revokes(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert "You have no API token." in client.get(reverse("accounts:tokens")).content.decode()
    client.post(reverse("accounts:tokens"), {"action": "create"})
    token = Token.objects.get(user=alice)
    assert f'value="{token.key}"' in client.get(reverse("accounts:tokens")).content.decode()
    client.post(reverse("accounts:tokens"), {"action": "revoke"})
    assert not Token.objects.filter(user=alice).exists()
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/me/")
    assert (response.status_code, response.json()) == (401, REVOKED_BODY)


def test_token_api_create_use_and_revoke(alice: User, lid) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    api = APIClient()
    response = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    key = Token.objects.get(user=alice).key
    assert response.json() == {"token": key}
    # Asking again gives the same token (one per user).
    assert api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json() == {"token": key}

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get("/api/me/")
    assert me.json() == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.org",
        "teams": [{"challenge": "lid2020", "id": team.pk, "name": "Pixels"}],
    }
    assert api.delete("/api/auth/token/").status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    response = api.get("/api/me/")
    assert (response.status_code, response.json()) == (401, REVOKED_BODY)


def test_token_api_with_a_wrong_password(alice: User) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "The username or password is not correct.",
        "detail": None,
    }
    assert not Token.objects.exists()


def test_token_api_without_fields_names_them(db) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "username: This field is required. password: This field is required.",
        "detail": {"username": ["This field is required."], "password": ["This field is required."]},
    }


def test_me_needs_authentication(db) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_asking_for_a_token_with_a_stale_token_header_works(alice: User) -> None:
    api = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (200, {"token": Token.objects.get(user=alice).key})


def test_revoking_needs_authentication(db) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().delete("/api/auth/token/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
