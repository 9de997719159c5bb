"""A team never gets lost, in a real browser: invite links through sign-up, the submit form's checks
before the upload, the limit state, what the server is doing after the upload, the comparison
links, and the header on every page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Team
from challenges.services import challenge_load
from leaderboard.services import leaderboard_refresh
from submissions.models import Submission
from tests.browser.test_submissions import phase_with_ground_truth, record_progress, scoring_later  # noqa: F401
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def sign_up(page: Any, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_password1", "a-long-enough-passphrase")
    page.fill("#id_password2", "a-long-enough-passphrase")
    with page.expect_navigation():
        page.click("form button[type=submit]")


@pytest.mark.parametrize("via", ["header", "page"])
def test_an_invite_link_survives_sign_up(site: Any, browser_page: Any, via: str) -> None:
    challenge = challenge_load()
    team = TeamFactory(challenge=challenge, name="Pixel Pushers", captain=UserFactory(username="cap"))
    link = f"/c/lid2020/join/{team.invite_code}/"
    page = browser_page
    site.goto(link)
    assert page.inner_text("h1") == "Join Pixel Pushers?"
    with page.expect_navigation():
        page.click("#nav-signup" if via == "header" else "#join-signup")
    sign_up(page, f"new_{via}")
    assert page.url == site.url(link)  # back at the invite, now logged in
    assert "Welcome, new_" in page.inner_text(".messages")
    with page.expect_navigation():
        page.click("button:has-text('Join Pixel Pushers')")
    assert "You joined Pixel Pushers." in page.inner_text(".messages")
    assert sorted(team.memberships.values_list("user__username", flat=True)) == ["cap", f"new_{via}"]
    assert page.console_errors == [] and page.failed_responses == []


def test_an_invite_link_survives_log_in_from_the_header(site: Any, browser_page: Any) -> None:
    challenge = challenge_load()
    team = TeamFactory(challenge=challenge, name="Pixel Pushers")
    UserFactory(username="olive")
    link = f"/c/lid2020/join/{team.invite_code}/"
    page = browser_page
    site.goto(link)
    with page.expect_navigation():
        page.click("#nav-login")
    page.fill("input[name=username]", "olive")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form [type=submit]")
    assert page.url == site.url(link) and page.inner_text("h1") == "Join Pixel Pushers?"


def test_after_sign_up_the_welcome_says_where_to_go(site: Any, browser_page: Any) -> None:
    challenge_load()
    page = browser_page
    site.goto("/")
    with page.expect_navigation():
        page.click("#nav-signup")
    sign_up(page, "newcomer")
    assert page.url == site.url("/accounts/profile/")
    assert "create a team or join one" in page.inner_text(".messages")
    with page.expect_navigation():
        page.click("#next-steps >> text=create a team")
    assert page.url == site.url("/c/lid2020/team/#create-team")
    page.fill("#id_name", "Newcomers")
    with page.expect_navigation():
        page.click("text=Create the team")
    assert Team.objects.get(name="Newcomers").captain.username == "newcomer"


def test_the_submit_form_checks_the_fields_before_sending_the_archive(
    site: Any, browser_page: Any, tmp_path: Path
) -> None:
    phase, pred = phase_with_ground_truth(1, "test", tmp_path)
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=UserFactory(username="alice"))
    page = browser_page
    uploads: list[str] = []
    page.on(
        "request", lambda r: uploads.append(r.url) if r.method == "POST" and r.url.endswith("/submissions/") else None
    )
    site.login("alice", PASSWORD)
    site.goto("/c/lid2020/track/1/test/submit/")
    page.fill("#id_method_name", "   ")
    page.fill("#id_declared_parameters", "25,557,032")
    page.set_input_files("#id_archive", str(pred))
    page.click("#upload-button")
    page.wait_for_selector("#error-method_name:not([hidden])")
    assert page.inner_text("#error-method_name") == "Give your method a name; it is shown on the leaderboard."
    assert page.inner_text("#error-declared_parameters") == (
        "The parameter count must be a whole number without commas or units, e.g. 25557032."
    )
    assert page.is_hidden("#error-method_description")
    assert page.inner_text("#upload-error") == "Please correct the fields marked below; nothing was sent."
    assert "method_name:" not in page.inner_text("body")
    # A field is checked again when it is left: the parameter range is the service's rule.
    page.fill("#id_declared_parameters", "150000000")
    page.locator("#id_declared_parameters").blur()
    page.wait_for_function(
        "document.getElementById('error-declared_parameters').textContent.includes('fewer than 150,000,000')"
    )
    assert uploads == [] and Submission.objects.count() == 0  # the archive was never sent

    page.fill("#id_method_name", "CAM")
    page.fill("#id_declared_parameters", "25557032")
    with page.expect_navigation(url=re.compile(r"/submissions/\d+/$")):
        page.click("#upload-button")
    assert len(uploads) == 1 and Submission.objects.count() == 1
    assert page.console_errors == []


@pytest.mark.parametrize("split", ["test", "val"])
def test_when_the_limit_is_reached_the_pages_say_so_instead_of_inviting_an_upload(
    site: Any, browser_page: Any, split: str
) -> None:
    from tests.support.factories import PhaseFactory

    phase = PhaseFactory(track__number=1, split=split, max_submissions=5 if split == "test" else None,
                         max_submissions_per_day=None if split == "test" else 2)  # fmt: skip
    team = TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=UserFactory(username="alice"))
    for _ in range(5 if split == "test" else 2):
        scored_submission(phase=phase, team=team, score=0.5)
    page = browser_page
    site.login("alice", PASSWORD)
    site.goto(f"/c/lid2020/track/1/{split}/submit/")
    state = page.inner_text("#limit-state")
    assert page.is_disabled("#upload-button") and page.is_disabled("#id_method_name")
    submit_url = f"/c/lid2020/track/1/{split}/submit/"
    for path in (f"/c/lid2020/track/1/{split}/submissions/", "/c/lid2020/track/1/"):
        site.goto(path)
        assert page.locator(f"a[href='{submit_url}']").count() == 0
        closed = page.inner_text(f"#split-{split} .slot-closed" if path.endswith("/1/") else ".slot-closed")
        if split == "test":
            assert "no more will open in this phase" in state
            assert closed == "All 5 submissions used: no more will open in this phase."
        else:
            assert "the next is allowed from" in state and "00:00 UTC" in state
            assert re.fullmatch(r"Today's 2 submissions used: the next opens \d{4}-\d\d-\d\d 00:00 UTC\.", closed)


def test_after_the_upload_the_page_says_what_is_happening(
    site: Any,
    browser_page: Any,
    tmp_path: Path,
    scoring_later: None,  # noqa: F811
) -> None:
    phase, pred = phase_with_ground_truth(1, "test", tmp_path)
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=UserFactory(username="alice"))
    page = browser_page
    site.login("alice", PASSWORD)
    site.goto("/c/lid2020/track/1/test/submit/")
    page.fill("#id_method_name", "CAM")
    page.fill("#id_declared_parameters", "1000")
    page.set_input_files("#id_archive", str(pred))
    progress = record_progress(page)
    with page.expect_navigation(url=re.compile(r"/submissions/\d+/$")):
        page.click("#upload-button")
    assert "100% · uploaded; checking the file names and image sizes…" in progress
    note = page.inner_text("#pending-note")
    assert note in ("Checked and queued: next in the scoring queue.",) or note.startswith("Scoring now:"), note
    page.wait_for_selector("#status-badge .status-scored", timeout=30_000)
    assert page.console_errors == []


def test_comparisons_are_linked_from_the_board_and_a_submission(site: Any, browser_page: Any) -> None:
    from tests.support.factories import PhaseFactory, TrackFactory

    phase = PhaseFactory(track=TrackFactory(number=1))
    alice = UserFactory(username="alice")
    mine = TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    per_class = {"iou": [0.5, 0.25, 0.75], "accuracy": [0.5, 0.5, 0.5]}
    sub = scored_submission(phase=phase, team=mine, score=0.45, per_class=per_class)
    for i in range(3):
        scored_submission(phase=phase, team=TeamFactory(challenge=phase.track.challenge, name=f"Rival {i}"),
                          score=0.6 - i / 10, per_class=per_class)  # fmt: skip
    leaderboard_refresh(phase=phase)
    page = browser_page
    site.goto("/c/lid2020/track/1/test/leaderboard/")
    with page.expect_navigation():
        page.click("#compare-top")
    assert page.locator("#lb-compare tbody tr").count() == 3  # a visitor compares the public rows
    site.login("alice", PASSWORD)
    site.goto(f"/submissions/{sub.pk}/")
    with page.expect_navigation():
        page.click("#compare-top")
    heads = page.eval_on_selector_all("#lb-compare th", "ths => ths.map(t => t.textContent)")
    assert heads[2].startswith(f"#{sub.pk} Alpha") and len(heads) == 2 + 4 + 1
    assert page.console_errors == [] and page.failed_responses == []


@pytest.mark.parametrize("path", ["/accounts/profile/", "/accounts/tokens/", "/verification/mine/", "/nowhere/"])
def test_the_header_navigation_stays_on_every_page(site: Any, browser_page: Any, path: str) -> None:
    challenge_load()
    UserFactory(username="alice")
    site.login("alice", PASSWORD)
    site.goto(path)
    nav = browser_page.eval_on_selector_all(".site-header .nav-links a", "links => links.map(a => a.textContent)")
    assert nav[0] == "LID 2020"  # then the challenge's pages, its tracks and the team page
    assert {"Overview", "Rules", "Track 1", "Track 2", "Track 3", "Team"} <= set(nav)
    assert "alice" in nav
