"""Token authentication end to end: obtain, use, revoke; a revoked token gets 401."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def test_token_obtain_use_and_revoke(member: Any) -> None:
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": "alice", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert response.json() == {"token": key}
    assert Token.objects.get(user=member).key == key

    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": member.pk,
        "username": "alice",
        "email": "alice@example.org",
        "teams": [{"challenge": "lid2020", "id": member.memberships.get().team_id, "name": "Alpha"}],
    }

    assert client.delete("/api/auth/token/").status_code == 204
    assert not Token.objects.filter(user=member).exists()

    revoked = client.get("/api/me/")
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "authentication_failed"
    # Revoking again with the dead token is refused the same way, not a 500.
    assert client.delete("/api/auth/token/").status_code == 401


def test_a_new_login_after_revoking_issues_a_different_token(member: Any) -> None:
    client = APIClient()
    credentials = {"username": "alice", "password": "correct-horse-battery"}
    first = client.post("/api/auth/token/", credentials, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.delete("/api/auth/token/").status_code == 204
    client.credentials()
    second = client.post("/api/auth/token/", credentials, format="json").json()["token"]
    assert second != first
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert client.get("/api/me/").status_code == 200


def test_logging_in_twice_returns_the_same_token(member: Any) -> None:
    """One token per user: a second `lid login` on another machine does not log the first one out."""
    client = APIClient()
    credentials = {"username": "alice", "password": "correct-horse-battery"}
    first = client.post("/api/auth/token/", credentials, format="json").json()["token"]
    second = client.post("/api/auth/token/", credentials, format="json").json()["token"]
    assert first == second
