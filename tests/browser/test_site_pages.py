"""Headless Chromium: content pages and their editing, the landing page's countdown, a deadline
extension in the admin, the verifier's tolerance warning; screenshots for docs/ on request."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditLogEntry
from challenges.models import ContentPage, Phase
from challenges.services import challenge_load
from leaderboard.services import freeze_closed_phases, leaderboard_refresh
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import TeamFactory, UserFactory
from tests.support.staff import verifier_user
from verification.models import VerificationRequest
from verification.services import verification_request_top_teams

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _docs_screenshot(page, name: str, tmp_path: Path, **options) -> None:  # type: ignore[no-untyped-def]
    """Every run takes the shot (so it cannot silently break); docs/ changes only on request."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), **options)
    assert shot.stat().st_size > 5_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS_IMG / name)


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    """LID 2020 as shipped, every phase open for 10 more days, three teams on the track 1 test board."""
    challenge = challenge_load()
    now = timezone.now()
    Phase.objects.filter(track__challenge=challenge).update(
        starts_at=now - dt.timedelta(days=20), ends_at=now + dt.timedelta(days=10)
    )
    phase = Phase.objects.get(track__challenge=challenge, track__number=1, split="test")
    for name, score in (("Saliency Lab", 0.4512), ("Weak Sup", 0.4388), ("CAM Masters", 0.4021)):
        team = TeamFactory(challenge=challenge, name=name)
        scored_submission(phase=phase, team=team, score=score, created_at=now - dt.timedelta(days=1))
    leaderboard_refresh(phase=phase)
    return challenge


def test_a_visitor_reads_the_landing_page_and_the_content_pages(site, lid, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = site.page
    site.goto("/c/lid2020/")
    countdown = page.locator("#track-1 .countdown").first
    # The script replaces the server's "closes in 1 week, 2 days" with a ticking clock.
    page.wait_for_function("document.querySelector('#track-1 .countdown').textContent.includes(':')")
    first = countdown.inner_text()
    assert re.fullmatch(r"closes in (9|10) days \d\d:\d\d:\d\d", first), first
    page.wait_for_function(f"document.querySelector('#track-1 .countdown').textContent !== {first!r}")
    assert page.locator("#track-1 ol.top3 li").all_inner_texts() == [
        "Saliency Lab 45.12",
        "Weak Sup 43.88",
        "CAM Masters 40.21",
    ]
    assert page.locator("#team-count").inner_text() == "3"
    _docs_screenshot(page, "site-landing.png", tmp_path, full_page=True)

    for link, heading in (("Data", "Data"), ("Evaluation", "Evaluation"), ("Rules", "Rules"), ("Timeline", "Timeline")):
        with page.expect_navigation():
            page.locator(".nav-links a", has_text=link).first.click()
        assert page.locator("article.content-page h1").inner_text() == heading
    assert "2020-06-08 23:59" in page.locator("article.content-page table").inner_text()
    site.goto("/c/lid2020/evaluation/")
    assert "IoU_c = TP_c / (TP_c + FP_c + FN_c)" in page.locator("article.content-page pre").first.inner_text()
    _docs_screenshot(page, "site-evaluation.png", tmp_path, full_page=True)
    site.goto("/c/lid2020/track/1/test/leaderboard/")
    page.wait_for_selector("#lb-body tr")
    _docs_screenshot(page, "site-board.png", tmp_path)
    # A phone: the content pages and the front page do not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/c/lid2020/", "/c/lid2020/data/", "/c/lid2020/evaluation/", "/c/lid2020/timeline/"):
        site.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert page.console_errors == [] and page.failed_responses == []


def test_an_organizer_edits_the_data_page_and_hostile_markdown_stays_text(site, lid) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="olga", is_staff=True)
    site.login("olga", PASSWORD)
    page = site.page
    site.goto("/c/lid2020/data/")
    with page.expect_navigation():
        page.locator("a", has_text="Edit this page").click()
    body = page.locator("textarea[name=body]")
    body.fill(
        "# Data\n\nTrack 1 images: [download](https://data.example.org/track1.tar)\n\n"
        "<script>window.__pwned = true</script> [bad](javascript:window.__pwned=true)"
    )
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert "was changed successfully" in page.content()

    site.goto("/c/lid2020/data/")
    link = page.locator("article.content-page a", has_text="download")
    assert link.get_attribute("href") == "https://data.example.org/track1.tar"
    assert "<script>window.__pwned = true</script>" in page.locator("article.content-page").inner_text()
    assert page.locator("article.content-page a", has_text="bad").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    entry = AuditLogEntry.objects.get(action="content_changed")
    assert entry.actor.username == "olga" and entry.target_id == str(ContentPage.objects.get(kind="data").pk)


def test_an_organizer_extends_a_frozen_deadline_and_the_board_fills(site, lid, tmp_path) -> None:  # type: ignore[no-untyped-def]
    phase = Phase.objects.get(track__number=2, split="test")
    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    freeze_closed_phases()  # frozen with nobody on the board
    UserFactory(username="olga", is_staff=True)
    site.login("olga", PASSWORD)
    page = site.page
    site.goto(f"/admin/challenges/phase/{phase.pk}/change/")
    later = timezone.now() + dt.timedelta(days=3)
    page.fill("input[name=ends_at_0]", later.strftime("%Y-%m-%d"))
    page.fill("input[name=ends_at_1]", "12:00:00")
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    phase.refresh_from_db()
    assert phase.frozen_at is None and phase.ends_at.strftime("%Y-%m-%d %H:%M") == later.strftime("%Y-%m-%d 12:00")

    scored_submission(phase=phase, team=TeamFactory(challenge=lid, name="On Time"), score=0.3012)
    leaderboard_refresh(phase=phase)
    site.goto("/c/lid2020/track/2/test/leaderboard/")
    assert page.locator("#lb-body tr .team-name").all_inner_texts() == ["On Time"]
    assert "No scored submission yet" not in page.locator("#lb-body").inner_text()

    site.goto("/admin/")
    _docs_screenshot(page, "admin-index.png", tmp_path, full_page=True)

    # The admin's lists fit a 1366 px laptop screen.
    page.set_viewport_size({"width": 1366, "height": 800})
    for path in ("/admin/challenges/phase/", "/admin/submissions/submission/", "/admin/audit/auditlogentry/"):
        site.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, path
        # ... without a scroll bar inside the list either.
        widths = page.evaluate(
            "[document.querySelector('#result_list').scrollWidth,"
            " document.querySelector('#changelist .results').clientWidth]"
        )
        assert widths[0] <= widths[1], (path, widths)


def test_the_verifier_is_warned_when_the_reproduced_score_differs(site, lid) -> None:  # type: ignore[no-untyped-def]
    phase = Phase.objects.get(track__number=1, split="test")
    Phase.objects.filter(pk=phase.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=5))
    freeze_closed_phases()
    phase.refresh_from_db()
    verification_request_top_teams(phase=phase)
    request = VerificationRequest.objects.get(phase=phase, team__name="Saliency Lab")
    VerificationRequest.objects.filter(pk=request.pk).update(state="code_uploaded", code_archive_name="code.zip")
    verifier_user()
    site.login("vera", PASSWORD)
    page = site.page
    site.goto(f"/verification/{request.pk}/")
    page.check("input[name=verdict][value=verified]")
    page.fill("input[name=reproduced_score]", "44.00")
    page.fill("input[name=measured_parameters]", "25557032")
    with page.expect_navigation():
        page.locator("button", has_text="Record decision").click()
    assert (
        "The reproduced score (44.00) differs from the board's (45.12) by -1.12 points, more than the tolerance "
        "of 0.50 points."
    ) in page.locator("main form").inner_text()
    request.refresh_from_db()
    assert request.state == "code_uploaded"

    page.check("input[name=verdict][value=verified]")
    page.check("input[name=confirm_difference]")
    with page.expect_navigation():
        page.locator("button", has_text="Record decision").click()
    assert (
        "Board score 45.12 · reproduced 44.00 · difference -1.12 points (tolerance 0.50): beyond the tolerance, "
        "confirmed by vera"
    ) in page.locator(".score-comparison").inner_text()
    assert page.console_errors == []
