"""Every URL crossed with every role: who may see what, 404s that leak nothing, CSRF, escaping."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.security_tests import urlmap
from tests.security_tests.conftest import RAW_MARKERS, XSS_TEAM_A
from tests.security_tests.urlmap import ROLES, TABLE

ROUTES = urlmap.all_routes()
ADMIN = [r for r in ROUTES if r.pattern.startswith("/admin/")]
SITE = [r for r in ROUTES if not r.pattern.startswith("/admin/")]


def test_every_url_of_the_site_is_in_the_table():
    names = {r.name for r in SITE}
    assert sorted(names - TABLE.keys()) == [], "URLs with no row in urlmap.TABLE: say who may see them"
    assert sorted(TABLE.keys() - names) == [], "rows of urlmap.TABLE for URLs that no longer exist"


def check(response, expected: str, *, api: bool) -> str | None:
    """None when the response is what the table says, else a description of what it was."""
    status = response.status_code
    location = response.headers.get("Location", "")
    ok = {
        "ok": status == 200,
        "404": status == 404,
        "403": status == 403,
        "405": status == 405,
        "redirect": status == 302,
        "login": (status in (401, 403) and response.json().get("code") == "not_authenticated")
        if api
        else (status == 302 and "/login/" in location),
    }[expected]
    return None if ok else f"expected {expected}, got {status} {location}".strip()


@pytest.mark.parametrize("name", sorted(TABLE))
def test_who_may_get_each_url(world, name):
    row = TABLE[name]
    url = reverse(name, kwargs=row.kwargs(world)) + row.query(world)
    wrong = {}
    for role in ROLES:
        response = world.client(role).get(url)
        assert response.status_code != 500
        problem = check(response, row.expect[role], api=name.startswith("api:"))
        if problem:
            wrong[role] = problem
    assert wrong == {}, f"{url}: {wrong}"


@pytest.mark.parametrize("name", sorted(n for n, row in TABLE.items() if row.missing))
def test_another_teams_id_answers_exactly_like_a_missing_id(world, name):
    row = TABLE[name]
    client = world.client("member_b")
    theirs = client.get(reverse(name, kwargs=row.kwargs(world)))
    missing = client.get(reverse(name, kwargs=row.missing(world)))
    assert theirs.status_code == missing.status_code == 404
    # The ids themselves differ (and may be echoed); everything else must be byte-for-byte the same.
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|\d+')
    assert strip.sub(b"N", theirs.content) == strip.sub(b"N", missing.content)
    assert theirs.headers.get("Content-Type") == missing.headers.get("Content-Type")


def test_admin_is_for_organizers_only(world):
    checked = 0
    for route in ADMIN:
        if route.name in ("admin:login", "admin:logout"):
            continue  # the login form is public; logout is POST-only
        try:
            kwargs = urlmap.admin_kwargs(route, world)
            if kwargs is None:
                continue
            url = reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:
            continue  # the unnamed catch-alls and regex routes
        for role in ROLES:
            response = world.client(role).get(url)
            if role == "organizer":
                # 403 where the admin itself forbids an action to everyone (e.g. adding submissions by hand).
                assert response.status_code in (200, 302, 403), url
                if response.status_code == 302:
                    assert "/admin/login/" not in response.headers["Location"], url
                if route.name == "admin:index" or route.name.endswith("_changelist"):
                    assert response.status_code == 200, url
            else:
                assert response.status_code == 302, (url, role, response.status_code)
                assert "/admin/login/" in response.headers["Location"], (url, role)
        checked += 1
    assert checked >= 5


def _site_url(route, world) -> str | None:
    if route.name in TABLE:
        return reverse(route.name, kwargs=TABLE[route.name].kwargs(world)) + TABLE[route.name].query(world)
    kwargs = urlmap.admin_kwargs(route, world)
    try:
        return None if kwargs is None else reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def test_every_post_without_a_csrf_token_is_refused(world):
    refused, wrong = 0, {}
    for route in ROUTES:
        url = _site_url(route, world)
        if url is None:
            continue
        role = "organizer" if route.pattern.startswith("/admin/") else "member_a"
        response = world.client(role, enforce_csrf_checks=True).post(url, {"name": "x"})
        if route.name == "api:auth-token":
            # It authenticates by the password in the body, never by the session cookie, so a
            # forged cross-site POST gains nothing: it must simply not log the session in.
            assert response.status_code == 400
            continue
        # An API address without POST answers 405 before it looks at the session (lidserver.api.ApiView),
        # and an address without a route the JSON 404 (both do nothing).
        not_a_post_address = (response.status_code == 405 and "POST" not in response.get("Allow", "POST")) or (
            route.name == "api:not-found" and response.status_code == 404
        )
        if response.status_code != 403 and not not_a_post_address:
            wrong[url] = response.status_code
        refused += 1
    assert wrong == {}
    assert refused > 50


def crawl(world):
    """(role, url, response) for every GETtable URL and role, including team B's own objects."""
    urls = [u for u in (_site_url(r, world) for r in ROUTES) if u]
    urls += [
        reverse("submissions:detail", args=[world.sub_b.pk]),
        reverse("api:submission-detail", args=[world.sub_b.pk]),
    ]
    urls += [reverse("leaderboard:board", kwargs=urlmap.P) + "?board=post"]
    for role in ROLES:
        client = world.client(role)
        for url in urls:
            yield role, url, client.get(url)


def test_user_text_with_html_is_escaped_on_every_page(world):
    pages_with_team_a = 0
    for role, url, response in crawl(world):
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        body = response.content.decode()
        for marker in RAW_MARKERS:
            assert marker not in body, f"{url} as {role} shows raw HTML from user text: {marker}"
        pages_with_team_a += "&lt;script&gt;alert(" in body and "Alpha" in body
    # The hostile team name is really shown (escaped) somewhere, so the check above can fail.
    assert pages_with_team_a >= 3, XSS_TEAM_A


def test_session_is_rotated_at_login(world):
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "attacker-chosen-session-id"
    before = client.session.session_key
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after not in ("attacker-chosen-session-id", before)
    assert client.get(reverse("api:me")).json()["username"] == "alice"


def test_api_tokens_are_revocable(world):
    client = Client()
    token = client.post(reverse("api:auth-token"), {"username": "alice", "password": "correct-horse-battery"}).json()[
        "token"
    ]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(reverse("api:me"), **auth).status_code == 200
    assert client.delete(reverse("api:auth-token"), **auth).status_code in (200, 204)
    response = client.get(reverse("api:me"), **auth)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


POSTS_ON_IDS = {
    "api:submission-representative": (lambda w: {"submission_id": w.sub_a.pk}, {"submission_id": 987654}),
    "submissions:representative": (lambda w: {"submission_id": w.sub_a.pk}, {"submission_id": 987654}),
    "api:team-leave": (lambda w: {"team_id": w.team_a.pk}, {"team_id": 987654}),
    "api:team-invite-code": (lambda w: {"team_id": w.team_a.pk}, {"team_id": 987654}),
    "api:team-member": (
        lambda w: {"team_id": w.team_a.pk, "user_id": w.users["member_a2"].pk},
        {"team_id": 987654, "user_id": 987654},
    ),
    "api:verification-code": (lambda w: {"request_id": w.verification_a.pk}, {"request_id": 987654}),
    "verification:upload": (lambda w: {"pk": w.verification_a.pk}, {"pk": 987654}),
    "verification:detail": (lambda w: {"pk": w.verification_a.pk}, {"pk": 987654}),
}


@pytest.mark.parametrize("name", sorted(POSTS_ON_IDS))
def test_writing_to_another_teams_id_answers_exactly_like_a_missing_id(world, name):
    theirs_kwargs, missing_kwargs = POSTS_ON_IDS[name]
    method = "delete" if name == "api:team-member" else "post"
    client = world.client("member_b")
    theirs = getattr(client, method)(reverse(name, kwargs=theirs_kwargs(world)), {})
    missing = getattr(client, method)(reverse(name, kwargs=missing_kwargs), {})
    assert theirs.status_code == missing.status_code == 404, (theirs.status_code, missing.status_code)
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|\d+')
    assert strip.sub(b"N", theirs.content) == strip.sub(b"N", missing.content)
    world.team_a.refresh_from_db()
    assert world.team_a.memberships.count() == 2  # and nothing happened to team A


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]
)
def test_login_never_redirects_off_site(world, target):
    client = Client()
    response = client.post(
        reverse("accounts:login") + f"?next={target}",
        {"username": "alice", "password": "correct-horse-battery", "next": target},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_signup_never_redirects_off_site(world, target):
    response = Client().post(
        reverse("accounts:signup") + f"?next={target}",
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": "Sturdy-passphrase-42",
            "password2": "Sturdy-passphrase-42",
            "next": target,
        },
    )
    assert response.status_code in (200, 302)
    assert "evil.example" not in response.headers.get("Location", "")
