"""Teams through the pages: create, join by link or code, leave, remove, new invite link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Team, User
from tests.support.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_team_page_without_a_team_offers_create_and_join(client: Client, lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.get(reverse("accounts:team", args=["lid2020"])).content.decode()
    assert "to create or join a team" in anonymous
    client.force_login(alice)
    page = client.get(reverse("accounts:team", args=["lid2020"])).content.decode()
    assert "Create a team" in page and "Join a team" in page
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # logout, create, join


def test_create_team_on_the_page(client: Client, lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    client.force_login(alice)
    response = client.post(
        reverse("accounts:team_create", args=["lid2020"]), {"name": "Pixels", "affiliation": "Uni"}, follow=True
    )
    team = Team.objects.get()
    assert (team.name, team.captain) == ("Pixels", alice)
    assert _messages(response) == ["Team Pixels created; invite your teammates with the link below."]
    page = response.content.decode()
    invite_url = "http://testserver" + reverse("accounts:join", args=["lid2020", team.invite_code])
    assert invite_url in page and "captain" in page


def test_duplicate_name_on_the_page_shows_the_sentence(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="Pixels")
    client.force_login(bob)
    response = client.post(reverse("accounts:team_create", args=["lid2020"]), {"name": "pixels"}, follow=True)
    assert _messages(response) == [
        "A team named “pixels” already exists in this challenge (names ignore case); choose another name."
    ]
    assert Team.objects.count() == 1


def test_invite_link_confirms_then_joins(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    link = reverse("accounts:join", args=["lid2020", team.invite_code])
    client.force_login(bob)
    page = client.get(link).content.decode()
    assert "Join Pixels?" in page and 'name="csrfmiddlewaretoken"' in page
    assert not Membership.objects.filter(user=bob).exists()  # opening the link changes nothing
    response = client.post(link, follow=True)
    assert _messages(response) == ["You joined Pixels."]
    assert list(team.memberships.values_list("user__username", flat=True)) == ["alice", "bob"]


def test_invite_link_logged_out_names_the_team_and_offers_sign_up_and_log_in(client: Client, lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    link = reverse("accounts:join", args=["lid2020", team.invite_code])
    response = client.get(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Join Pixels?</h1>" in page and "captain alice" in page
    back = f"?next={link}"
    # The page's own buttons and the header's links all come back to the invite link.
    assert f'id="join-signup" href="/accounts/signup/{back}"' in page
    assert f'id="join-login" href="/accounts/login/{back}"' in page
    assert f'href="/accounts/signup/{back}" id="nav-signup"' in page
    assert f'href="/accounts/login/{back}" id="nav-login"' in page
    # Joining itself needs an account: a POST goes to the log-in form and back.
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/{back}"
    assert team.memberships.count() == 1


def test_signing_up_from_an_invite_link_comes_back_to_it(client: Client, lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    link = reverse("accounts:join", args=["lid2020", team.invite_code])
    signup_page = client.get(f"/accounts/signup/?next={link}").content.decode()
    back = f"?next={link}"
    # On the sign-up page the header and the "Log in" link keep the invite link as their target.
    assert f'href="/accounts/login/{back}" id="nav-login"' in signup_page
    assert f'<a href="/accounts/login/{back}">Log in</a>' in signup_page
    data = {
        "username": "dora",
        "email": "dora@example.org",
        "password1": "a-long-passphrase-1",
        "password2": "a-long-passphrase-1",
    }
    response = client.post(f"/accounts/signup/?next={link}", data)
    assert response["Location"] == link
    page = client.get(link).content.decode()
    assert "Join Pixels?" in page and 'name="csrfmiddlewaretoken"' in page
    client.post(link)
    assert list(team.memberships.values_list("user__username", flat=True)) == ["alice", "dora"]


def test_invite_link_when_already_in_another_team(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    TeamFactory(challenge=lid, captain=bob, name="Voxels")
    link = reverse("accounts:join", args=["lid2020", team.invite_code])
    client.force_login(bob)
    assert "You are in Voxels; you can be in one team per challenge." in client.get(link).content.decode()
    response = client.post(link, follow=True)
    assert _messages(response) == ["You are already in a team for LID 2020; leave it first to create or join another."]
    assert team.memberships.count() == 1


def test_join_by_typed_code_and_bad_code(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    client.force_login(bob)
    url = reverse("accounts:team_join_by_code", args=["lid2020"])
    response = client.post(url, {"invite_code": "wrong"}, follow=True)
    assert _messages(response) == [
        "This invite code is not valid (the captain may have replaced it); ask your captain for the current link."
    ]
    response = client.post(url, {"invite_code": f"  {team.invite_code} "}, follow=True)
    assert _messages(response) == ["You joined Pixels."]


def test_regenerated_link_stops_the_old_one(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels")
    old_link = reverse("accounts:join", args=["lid2020", team.invite_code])
    client.force_login(alice)
    response = client.post(reverse("accounts:team_invite_code", args=["lid2020"]), follow=True)
    assert _messages(response) == ["A new invite link was made; the old one no longer works."]
    client.force_login(bob)
    assert "This invite link does not work" in client.get(old_link).content.decode()
    client.post(old_link)
    assert not Membership.objects.filter(user=bob).exists()


def test_leave_and_remove_on_the_page(client: Client, lid, alice: User, bob: User, carol: User) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob, carol])
    client.force_login(alice)
    page = client.get(reverse("accounts:team", args=["lid2020"])).content.decode()
    assert reverse("accounts:team_remove_member", args=["lid2020", bob.pk]) in page
    response = client.post(reverse("accounts:team_remove_member", args=["lid2020", carol.pk]), follow=True)
    assert _messages(response) == ["The member was removed from the team."]
    response = client.post(reverse("accounts:team_leave", args=["lid2020"]), follow=True)
    assert _messages(response) == ["You left Pixels."]
    team.refresh_from_db()
    assert team.captain == bob
    assert list(team.memberships.values_list("user__username", flat=True)) == ["bob"]


def test_member_sees_no_remove_buttons_and_cannot_remove(client: Client, lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob])
    client.force_login(bob)
    page = client.get(reverse("accounts:team", args=["lid2020"])).content.decode()
    assert "Remove</button>" not in page and "Make a new link" not in page
    response = client.post(reverse("accounts:team_remove_member", args=["lid2020", alice.pk]), follow=True)
    assert _messages(response) == ["Only the team's captain can do this; ask your captain."]
    assert Membership.objects.filter(user=alice).exists()


def test_team_forms_refuse_posts_without_csrf_token(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("accounts:team_create", args=["lid2020"]), {"name": "Pixels"})
    assert response.status_code == 403
    assert not Team.objects.exists()


def test_team_page_of_a_missing_challenge_is_404(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get(reverse("accounts:team", args=["nope"])).status_code == 404
