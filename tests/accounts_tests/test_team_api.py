"""Teams through the API: whole JSON bodies, the constraints as clear errors, 404 for non-members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, Team, User
from tests.accounts_tests.conftest import api_as
from tests.support.factories import ChallengeFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _team_body(team: Team, members: list[User]) -> dict:
    team.refresh_from_db()
    memberships = {m.user_id: m for m in Membership.objects.filter(team=team)}
    return {
        "id": team.pk,
        "challenge": team.challenge.slug,
        "name": team.name,
        "affiliation": team.affiliation,
        "captain": {"id": team.captain.pk, "username": team.captain.username} if team.captain else None,
        "members": [
            {
                "id": user.pk,
                "username": user.username,
                "joined_at": memberships[user.pk].joined_at.isoformat().replace("+00:00", "Z"),
                "is_captain": user.pk == team.captain_id,
            }
            for user in members
        ],
        "invite_code": team.invite_code,
        "invite_url": "http://testserver" + reverse("accounts:join", args=[team.challenge.slug, team.invite_code]),
        "created_at": team.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_create_team(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    response = api_as(alice).post("/api/challenges/lid2020/teams/", {"name": "  Pixel  Pushers ", "affiliation": "Uni"})
    assert response.status_code == 201
    team = Team.objects.get()
    assert (team.name, team.affiliation, team.captain, team.challenge) == ("Pixel Pushers", "Uni", alice, lid)
    assert response.json() == _team_body(team, [alice])


def test_duplicate_team_name_in_other_case_is_a_clear_error(lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="Pixels")
    response = api_as(bob).post("/api/challenges/lid2020/teams/", {"name": "PIXELS"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "team_name_taken",
        "message": "A team named “PIXELS” already exists in this challenge (names ignore case); choose another name.",
        "detail": None,
    }
    assert Team.objects.count() == 1 and not Membership.objects.filter(user=bob).exists()


def test_same_name_in_another_challenge_is_fine(lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    other = ChallengeFactory(slug="lid2021", short_title="LID 2021")
    TeamFactory(challenge=other, captain=alice, name="Pixels")
    assert api_as(bob).post("/api/challenges/lid2020/teams/", {"name": "pixels"}).status_code == 201


def test_creating_a_second_team_is_a_clear_error(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="First")
    response = api_as(alice).post("/api/challenges/lid2020/teams/", {"name": "Second"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_in_team",
        "message": "You are already in a team for LID 2020; leave it first to create or join another.",
        "detail": None,
    }
    assert list(Team.objects.values_list("name", flat=True)) == ["First"]


def test_create_team_in_missing_challenge_is_404(db, alice: User) -> None:  # type: ignore[no-untyped-def]
    response = api_as(alice).post("/api/challenges/nope/teams/", {"name": "X"})
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "There is no challenge “nope”.", "detail": None},
    )


def test_join_by_code_and_second_team_refused(lid, alice: User, bob: User, carol: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    response = api_as(bob).post("/api/teams/join/", {"invite_code": team.invite_code})
    assert response.status_code == 200
    assert response.json() == _team_body(team, [alice, bob])

    again = api_as(bob).post("/api/teams/join/", {"invite_code": team.invite_code})
    assert (again.status_code, again.json()["code"]) == (409, "already_member")

    other = TeamFactory(challenge=lid, captain=carol, name="Voxels")
    response = api_as(bob).post("/api/teams/join/", {"invite_code": other.invite_code})
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_in_team",
        "message": "You are already in a team for LID 2020; leave it first to create or join another.",
        "detail": None,
    }
    assert list(other.memberships.values_list("user__username", flat=True)) == ["carol"]


def test_join_with_a_wrong_code(lid, bob: User) -> None:  # type: ignore[no-untyped-def]
    response = api_as(bob).post("/api/teams/join/", {"invite_code": "not-a-code"})
    assert response.status_code == 404
    assert response.json() == {
        "code": "invalid_invite_code",
        "message": "This invite code is not valid (the captain may have replaced it); ask your captain for the current link.",
        "detail": None,
    }


def test_team_detail_is_404_for_non_members_and_missing_ids(lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    expected = {
        "code": "not_found",
        "message": "No team with this id, or you are not one of its members.",
        "detail": None,
    }
    for team_id in (team.pk, team.pk + 1000):
        response = api_as(bob).get(f"/api/teams/{team_id}/")
        assert (response.status_code, response.json()) == (404, expected)
    assert api_as(bob).post(f"/api/teams/{team.pk}/invite-code/").status_code == 404
    assert api_as(bob).post(f"/api/teams/{team.pk}/leave/").status_code == 404
    assert api_as(bob).delete(f"/api/teams/{team.pk}/members/{alice.pk}/").status_code == 404
    assert api_as(alice).get(f"/api/teams/{team.pk}/").json() == _team_body(team, [alice])


def test_team_api_needs_authentication(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    team = TeamFactory(challenge=lid, captain=alice)
    response = APIClient().get(f"/api/teams/{team.pk}/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_captain_leaving_passes_captaincy_to_earliest_member(lid, alice: User, bob: User, carol: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob, carol])
    response = api_as(alice).post(f"/api/teams/{team.pk}/leave/")
    assert response.status_code == 204
    team.refresh_from_db()
    assert team.captain == bob
    assert api_as(bob).get(f"/api/teams/{team.pk}/").json() == _team_body(team, [bob, carol])
    # Alice is free again and may create a new team.
    assert api_as(alice).post("/api/challenges/lid2020/teams/", {"name": "Fresh"}).status_code == 201


def test_last_member_leaving_keeps_an_empty_team(lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    assert api_as(alice).post(f"/api/teams/{team.pk}/leave/").status_code == 204
    team.refresh_from_db()
    assert (team.captain, team.memberships.count()) == (None, 0)
    # Whoever joins the emptied team next leads it.
    api_as(bob).post("/api/teams/join/", {"invite_code": team.invite_code})
    team.refresh_from_db()
    assert team.captain == bob


def test_captain_removes_a_member_and_members_cannot(lid, alice: User, bob: User, carol: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob, carol])
    response = api_as(bob).delete(f"/api/teams/{team.pk}/members/{carol.pk}/")
    assert (response.status_code, response.json()) == (
        403,
        {"code": "not_captain", "message": "Only the team's captain can do this; ask your captain.", "detail": None},
    )
    response = api_as(alice).delete(f"/api/teams/{team.pk}/members/{carol.pk}/")
    assert response.status_code == 200
    assert response.json() == _team_body(team, [alice, bob])
    response = api_as(alice).delete(f"/api/teams/{team.pk}/members/{carol.pk}/")
    assert (response.status_code, response.json()["message"]) == (404, "This user is not a member of your team.")
    response = api_as(alice).delete(f"/api/teams/{team.pk}/members/{alice.pk}/")
    assert (response.status_code, response.json()["code"]) == (403, "cannot_remove_self")


def test_regenerating_the_invite_code_kills_the_old_one(lid, alice: User, bob: User, carol: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob])
    old_code = team.invite_code
    assert api_as(bob).post(f"/api/teams/{team.pk}/invite-code/").status_code == 403
    response = api_as(alice).post(f"/api/teams/{team.pk}/invite-code/")
    assert response.status_code == 200
    team.refresh_from_db()
    assert team.invite_code != old_code
    assert response.json() == _team_body(team, [alice, bob])
    assert api_as(carol).post("/api/teams/join/", {"invite_code": old_code}).status_code == 404
    assert api_as(carol).post("/api/teams/join/", {"invite_code": team.invite_code}).status_code == 200


def test_organizer_sees_any_team(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import UserFactory

    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    staff = UserFactory(username="olga", is_staff=True)
    assert api_as(staff).get(f"/api/teams/{team.pk}/").status_code == 200
