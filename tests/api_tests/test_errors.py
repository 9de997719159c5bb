"""Every API error, whatever raised it, has the body {"code", "message", "detail"} and nothing else."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Team
from tests.support.factories import TeamFactory, UserFactory

ERROR_KEYS = {"code", "message", "detail"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].endswith((".", "?", "!"))
    return body


def test_404_unknown_challenge(anonymous: APIClient, db: Any) -> None:
    body = assert_error(anonymous.get("/api/challenges/no-such-challenge/"), 404, "not_found")
    assert body["detail"] is None


def test_404_unknown_phase(anonymous: APIClient, phase: Any) -> None:
    assert_error(anonymous.get("/api/challenges/lid2020/tracks/1/holdout/"), 404, "not_found")


def test_404_another_teams_id_answers_like_a_missing_one(token_client: APIClient, phase: Any) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    missing_id = Team.objects.order_by("-pk").first().pk + 1000
    foreign = assert_error(token_client.get(f"/api/teams/{other.pk}/"), 404, "not_found")
    missing = assert_error(token_client.get(f"/api/teams/{missing_id}/"), 404, "not_found")
    assert foreign == missing


def test_401_without_credentials(anonymous: APIClient, db: Any) -> None:
    response = anonymous.get("/api/me/")
    body = assert_error(response, 401, "not_authenticated")
    assert body == {"code": "not_authenticated", "message": "Log in or send an API token to do this.", "detail": None}
    assert response["WWW-Authenticate"] == "Token"


def test_401_with_an_unknown_token(anonymous: APIClient, db: Any) -> None:
    anonymous.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert_error(anonymous.get("/api/me/"), 401, "authentication_failed")


def test_403_a_member_who_is_not_the_captain(phase: Any) -> None:
    captain, member = UserFactory(username="cap"), UserFactory(username="mem")
    team = TeamFactory(challenge=phase.track.challenge, captain=captain, members=[member])
    client = APIClient()
    client.force_authenticate(member)
    body = assert_error(client.delete(f"/api/teams/{team.pk}/members/{captain.pk}/"), 403, "not_captain")
    assert body["message"] == "Only the team's captain can do this; ask your captain."


def test_403_session_request_without_csrf_token(member: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert_error(
        client.post("/api/challenges/lid2020/teams/", {"name": "Gamma"}, format="json"), 403, "permission_denied"
    )


def test_405_wrong_method(token_client: APIClient) -> None:
    response = token_client.put("/api/me/", {}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_400_validation_names_the_missing_fields(anonymous: APIClient, db: Any) -> None:
    body = assert_error(anonymous.post("/api/auth/token/", {}, format="json"), 400, "invalid")
    assert body["detail"] == {"username": ["This field is required."], "password": ["This field is required."]}
    assert body["message"] == "username: This field is required. password: This field is required."


def test_400_unreadable_json(anonymous: APIClient, db: Any) -> None:
    response = anonymous.post("/api/auth/token/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_400_wrong_password_is_a_sentence(anonymous: APIClient, member: Any) -> None:
    response = anonymous.post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert assert_error(response, 400, "invalid_credentials") == {
        "code": "invalid_credentials",
        "message": "The username or password is not correct.",
        "detail": None,
    }


def test_409_second_team_in_the_same_challenge(token_client: APIClient) -> None:
    response = token_client.post("/api/challenges/lid2020/teams/", {"name": "Second"}, format="json")
    assert_error(response, 409, "already_in_team")


def test_404_unrouted_api_path_is_json_too(anonymous: APIClient, db: Any) -> None:
    assert_error(anonymous.get("/api/no-such-endpoint/"), 404, "not_found")


def _submission(phase: Any, team: Any) -> Any:
    from submissions.models import Submission

    return Submission.objects.create(
        phase=phase,
        team=team,
        uploaded_by=team.captain,
        archive="x.zip",
        archive_name="x.zip",
        sha256="a" * 64,
        size=1,
        method_name="m",
        declared_parameters=1,
        status="rejected",
    )


def test_404_another_teams_submission_answers_like_a_missing_one(token_client: APIClient, phase: Any) -> None:
    theirs = _submission(phase, TeamFactory(challenge=phase.track.challenge, name="Beta"))
    foreign = assert_error(token_client.get(f"/api/submissions/{theirs.pk}/"), 404, "not_found")
    missing = assert_error(token_client.get(f"/api/submissions/{theirs.pk + 1000}/"), 404, "not_found")
    assert foreign == missing


def test_405_deleting_a_submission(token_client: APIClient, phase: Any, member: Any) -> None:
    mine = _submission(phase, member.memberships.get().team)
    assert_error(token_client.delete(f"/api/submissions/{mine.pk}/"), 405, "method_not_allowed")


def test_401_anonymous_upload(anonymous: APIClient, phase: Any) -> None:
    assert_error(anonymous.post("/api/challenges/lid2020/tracks/1/test/submissions/", {}), 401, "not_authenticated")


def test_400_upload_without_the_archive_names_the_fields(token_client: APIClient, phase: Any) -> None:
    response = token_client.post("/api/challenges/lid2020/tracks/1/test/submissions/", {"method_name": "m"})
    body = assert_error(response, 400, "invalid")
    assert sorted(body["detail"]) == ["archive", "declared_parameters"]


def test_415_json_upload(token_client: APIClient, phase: Any) -> None:
    response = token_client.post("/api/challenges/lid2020/tracks/1/test/submissions/", {"a": 1}, format="json")
    assert_error(response, 415, "unsupported_media_type")


def test_400_invalid_board(anonymous: APIClient, phase: Any) -> None:
    response = anonymous.get("/api/challenges/lid2020/tracks/1/test/leaderboard/", {"board": "secret"})
    assert assert_error(response, 400, "invalid_board")["message"] == "The board must be 'official' or 'post'."


def test_409_representative_must_be_scored(token_client: APIClient, phase: Any, member: Any) -> None:
    mine = _submission(phase, member.memberships.get().team)
    response = token_client.post(f"/api/submissions/{mine.pk}/representative/")
    assert response.status_code in (400, 409)
    assert set(response.json()) == ERROR_KEYS


def test_post_and_delete_to_an_unrouted_api_path_answer_the_json_404_not_a_csrf_page(member: Any, phase: Any) -> None:
    """Django's CSRF middleware used to answer its HTML 403 before the JSON 404, even with a valid token."""
    client = APIClient(enforce_csrf_checks=True)
    token, _ = Token.objects.get_or_create(user=member)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    team_id = member.memberships.get().team_id
    for method in ("post", "delete", "put", "patch"):
        for path in ("/api/teams/abc/leave/", f"/api/teams/{team_id}/leave/x/", "/api/no-such-endpoint/"):
            body = assert_error(getattr(client, method)(path), 404, "not_found")
            assert body["message"] == f"There is no API endpoint at {path}; the list is at /api/docs/."
    # A logged-in browser session without a CSRF token gets the same JSON answer.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert_error(client.post("/api/teams/abc/leave/"), 404, "not_found")


def test_405_comes_before_401_for_a_method_the_address_does_not_have(anonymous: APIClient, db: Any) -> None:
    for method, path, allow in (
        ("put", "/api/me/", "GET, HEAD, OPTIONS"),
        ("delete", "/api/submissions/", "GET, HEAD, OPTIONS"),
        ("patch", "/api/teams/join/", "POST, OPTIONS"),
        ("get", "/api/teams/1/leave/", "POST, OPTIONS"),
    ):
        response = getattr(anonymous, method)(path)
        assert_error(response, 405, "method_not_allowed")
        assert response["Allow"] == allow


def test_401_still_comes_first_for_a_method_the_address_has(anonymous: APIClient, db: Any) -> None:
    assert_error(anonymous.post("/api/teams/join/", {"invite_code": "x"}, format="json"), 401, "not_authenticated")
