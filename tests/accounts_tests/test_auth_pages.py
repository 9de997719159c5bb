"""Sign up, log in, log out and password reset through the pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts_tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-42"


def _signup(client: Client, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "username": "dora",
        "email": "dora@example.org",
        "affiliation": "Example Lab",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


def test_signup_creates_the_account_and_logs_in(client: Client) -> None:
    response = _signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(username="dora")
    assert (user.email, user.affiliation) == ("dora@example.org", "Example Lab")
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_with_different_passwords_shows_the_error(client: Client) -> None:
    response = _signup(client, password2="something-else-entirely")
    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_signup_with_a_taken_email_in_other_case_is_refused(client: Client, alice: User) -> None:
    response = _signup(client, email="ALICE@example.org")
    assert "An account with this e-mail address exists; log in or reset its password." in response.content.decode()
    assert User.objects.count() == 1


def test_login_rotates_the_session_key(client: Client, alice: User) -> None:
    session = client.session
    session["before_login"] = True
    session.save()
    key_before = session.session_key
    client.cookies["sessionid"] = key_before
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.session.session_key != key_before


def test_login_with_a_wrong_password_stays_on_the_page(client: Client, alice: User) -> None:
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client: Client, alice: User) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Reset your password for the LID challenge"
    link = re.search(r"http://testserver(/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The link works once.
    assert "This link does not work" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_profile_needs_login_and_lists_teams(client: Client, alice: User) -> None:
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "alice@example.org" in page and "You are not in a team yet." in page


def test_a_post_without_csrf_token_is_refused(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_page_forms_carry_csrf_tokens(client: Client) -> None:
    for name in ("accounts:login", "accounts:signup", "accounts:password_reset"):
        assert 'name="csrfmiddlewaretoken"' in client.get(reverse(name)).content.decode(), name


def test_pages_have_the_contract_paths() -> None:
    """docs/CONTRACT.md fixes these addresses (accounts.urls is mounted at the site root)."""
    assert reverse("accounts:login") == "/accounts/login/"
    assert reverse("accounts:tokens") == "/accounts/tokens/"
    assert reverse("accounts:team", args=["lid2020"]) == "/c/lid2020/team/"
    assert reverse("accounts:join", args=["lid2020", "abc-_9"]) == "/c/lid2020/join/abc-_9/"


def test_signup_follows_a_local_next_and_ignores_a_foreign_one(db) -> None:  # type: ignore[no-untyped-def]
    data = {"username": "dora", "email": "dora@example.org", "password1": PASSWORD, "password2": PASSWORD}
    response = Client().post(reverse("accounts:signup") + "?next=/c/lid2020/join/abc/", data)
    assert response["Location"] == "/c/lid2020/join/abc/"
    data.update(username="eve", email="eve@example.org")
    response = Client().post(reverse("accounts:signup") + "?next=https://evil.example/", data)
    assert response["Location"] == reverse("accounts:profile")


def test_the_welcome_after_sign_up_links_to_creating_or_joining_a_team(client: Client) -> None:
    from challenges.services import challenge_load

    challenge_load()
    response = client.get(_signup(client)["Location"])
    page = response.content.decode()
    assert [str(m) for m in response.context["messages"]] == ["Welcome, dora. Next, create a team or join one (below)."]
    assert '<a href="/c/lid2020/team/#create-team">create a team</a>' in page
    assert '<a href="/c/lid2020/team/#join-team">join a team</a>' in page
    team_page = client.get("/c/lid2020/team/").content.decode()
    assert 'id="create-team"' in team_page and 'id="join-team"' in team_page


def test_header_links_come_back_to_the_page_but_never_to_account_pages(client: Client) -> None:
    page = client.get("/accounts/password_reset/").content.decode()
    assert 'href="/accounts/login/" id="nav-login"' in page
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/" id="nav-signup"' in page
    page = client.get("/accounts/login/?next=https://evil.example/").content.decode()
    assert 'href="/accounts/signup/" id="nav-signup"' in page
