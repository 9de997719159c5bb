"""README's first walk, in a real browser: a newcomer signs up, creates a team, uploads a synthetic
archive, sees it scored, and finds the team ranked on the leaderboard (tasks in-process, as in
``make demo``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Team
from submissions.models import Submission
from tests.browser.test_submissions import phase_with_ground_truth

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_signs_up_forms_a_team_uploads_and_is_ranked(
    site: Any, browser_page: Any, tmp_path: Path, celery_eager: None
) -> None:
    phase, pred = phase_with_ground_truth(1, "test", tmp_path)
    page = browser_page

    site.goto("/accounts/signup/")
    page.fill("#id_username", "newcomer")
    page.fill("#id_email", "newcomer@example.org")
    page.fill("#id_password1", "a-long-enough-passphrase")
    page.fill("#id_password2", "a-long-enough-passphrase")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "newcomer" in page.inner_text("body")  # logged in at once

    site.goto("/c/lid2020/team/")
    page.fill("#id_name", "Newcomers")
    page.fill("#id_affiliation", "Nowhere University")
    with page.expect_navigation():
        page.click("text=Create the team")
    team = Team.objects.get(name="Newcomers")
    assert team.captain.username == "newcomer"
    assert "Newcomers" in page.inner_text("h1")

    site.goto("/c/lid2020/track/1/test/submit/")
    assert "5 of 5" in page.inner_text("#quota-remaining")
    page.fill("#id_method_name", "First try")
    page.fill("#id_declared_parameters", "25000000")
    page.set_input_files("#id_archive", str(pred))
    with page.expect_navigation(url=re.compile(r"/submissions/\d+/$")):
        page.click("#upload-button")
    page.wait_for_selector("#status-badge .status-scored")
    sub = Submission.objects.get(team=team)
    assert sub.status == "scored"
    assert page.inner_text("table.metrics td.metric-mean_iou") == f"{sub.score * 100:.2f}"

    site.goto("/c/lid2020/track/1/test/leaderboard/")
    page.wait_for_selector("#lb-body tr")
    rows = page.eval_on_selector_all("#lb-body tr", "rows => rows.map(r => r.innerText)")
    assert len(rows) == 1
    assert rows[0].split()[0] == "1" and "Newcomers" in rows[0] and f"{sub.score * 100:.2f}" in rows[0]
    assert page.console_errors == [] and page.failed_responses == []
