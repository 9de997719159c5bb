"""The header keeps its navigation on every page: the challenge's links, the profile, log in/out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from challenges.services import challenge_load
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

NAV = [
    'href="/c/lid2020/">LID 2020</a>',
    'href="/c/lid2020/track/1/">Track 1</a>',
    'href="/c/lid2020/track/3/">Track 3</a>',
    'href="/c/lid2020/rules/">Rules</a>',
    'href="/c/lid2020/team/">Team</a>',
]


def header(html: str) -> str:
    return html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/accounts/profile/", 200),
        ("/accounts/tokens/", 200),
        ("/verification/", 200),
        ("/verification/mine/", 200),
        ("/no/such/page/", 404),
        ("/submissions/987654/", 404),
    ],
)
def test_pages_outside_a_challenge_keep_the_challenge_navigation(path: str, status: int) -> None:
    challenge_load()
    user = UserFactory(username="vera")
    user.groups.add(Group.objects.get_or_create(name="verifiers")[0])
    client = Client()
    client.force_login(user)
    with override_settings(DEBUG=False):
        response = client.get(path)
    assert response.status_code == status
    top = header(response.content.decode())
    for link in NAV:
        assert link in top, (path, link)
    assert 'href="/accounts/profile/">vera</a>' in top and "Log out" in top
    assert 'href="/verification/">Verification</a>' in top


def test_the_404_page_for_a_visitor_offers_log_in_back_to_it() -> None:
    challenge_load()
    with override_settings(DEBUG=False):
        response = Client().get("/c/lid2020/no-such-page/")
    assert response.status_code == 404
    top = header(response.content.decode())
    assert 'href="/accounts/login/?next=/c/lid2020/no-such-page/" id="nav-login"' in top
    assert "<h1>Not found</h1>" in response.content.decode()


@pytest.mark.parametrize("name", ["400.html", "500.html"])
def test_the_400_and_500_pages_need_no_request_context_and_still_have_a_header(name: str) -> None:
    from django.template import loader

    html = loader.get_template(name).render()  # a refused Host header or a crash: no request, maybe no database
    assert '<a class="brand" href="/">LID challenge</a>' in header(html)
    assert 'href="/accounts/profile/">Your profile</a>' in html
