"""In a real browser, hostile team names, method texts and file names run no script on any page
(including the parts drawn by JavaScript from JSON)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from tests.security_tests.conftest import XSS_TEAM_A, XSS_TEAM_B

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_hostile_text_runs_as_script_in_the_browser(world, live_server, browser):
    fired: list[str] = []
    pages = {
        "member_a": [
            f"/submissions/{world.sub_a.pk}/",
            "/c/lid2020/track/1/test/submissions/",
            f"/compare/?s={world.sub_a.pk}",
            "/c/lid2020/track/1/test/leaderboard/",
            "/c/lid2020/track/1/test/leaderboard/?board=post",
            "/verification/mine/",
        ],
        "organizer": [
            "/verification/",
            f"/verification/{world.verification_a.pk}/",
            f"/submissions/{world.sub_b.pk}/",
            "/admin/submissions/submission/",
        ],
        "anonymous": ["/c/lid2020/track/1/test/leaderboard/", "/c/lid2020/track/1/"],
    }
    shown = 0
    for role, paths in pages.items():
        context = browser.new_context()
        if role != "anonymous":
            cookie = world.client(role).cookies[django_settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
            )
        page = context.new_page()
        page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
        if role == "anonymous":  # the probe: a payload that does run is caught
            page.set_content("<img src=x onerror=alert('probe')>")
            page.wait_for_timeout(300)
            assert fired == ["probe"]
            fired.clear()
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response is not None and response.status < 400, (role, path, response and response.status)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # let scripts that fetch JSON draw their rows
            text = page.inner_text("body")
            shown += XSS_TEAM_A in text or XSS_TEAM_B in text
        context.close()
    assert fired == []
    assert shown >= 4  # the hostile names were really on the pages, as text
