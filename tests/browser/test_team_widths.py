"""Every page a team visits fits a 390 px phone and a 1366 px laptop without scrolling sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from challenges.services import challenge_load
from leaderboard.services import leaderboard_refresh
from submissions.models import Status, Submission
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDTHS = (390, 1366)


def team_world() -> dict[str, Any]:
    """LID 2020 as shipped, a team with scored submissions on tracks 1 and 3, rivals on the boards."""
    challenge = challenge_load()
    track1 = challenge.tracks.get(number=1).phases.get(split="test")
    track3 = challenge.tracks.get(number=3).phases.get(split="test")
    alice = UserFactory(username="alice_with_a_rather_long_user_name")
    team = TeamFactory(
        challenge=challenge,
        captain=alice,
        name="Weakly Supervised Segmentation Group of a Long Name",
        affiliation="Institute of Rather Long Names for Computer Vision Research",
    )
    per_class = {"iou": [0.1234 + (i % 7) / 10 for i in range(201)], "accuracy": [0.9876] * 201}
    per_class["iou"][5] = None
    mine1 = scored_submission(
        phase=track1,
        team=team,
        score=0.4567,
        per_class=per_class,
        ci=(0.44, 0.47),
        method_name="DeepLab-v3+ with class activation maps and a dense CRF post-processing step",
        method_description="A long description. " * 20,
    )
    other1 = scored_submission(phase=track1, team=team, score=0.41, per_class=per_class)
    mine3 = scored_submission(phase=track3, team=team, score=0.6123, ci=(0.6, 0.62), peak_threshold=87)
    for i in range(4):
        rival = TeamFactory(challenge=challenge, name=f"Rival team number {i} with a long name")
        scored_submission(phase=track1, team=rival, score=0.5 - i / 50, per_class=per_class, ci=(0.4, 0.5))
        scored_submission(phase=track3, team=rival, score=0.65 - i / 50, ci=(0.6, 0.7))
    leaderboard_refresh(phase=track1)
    leaderboard_refresh(phase=track3)
    pending = Submission.objects.create(
        phase=track1, team=team, uploaded_by=alice, archive_name="p.zip", sha256="f" * 64, size=10,
        method_name="Pending", declared_parameters=1, status=Status.QUEUED, queued_at=timezone.now(),
    )  # fmt: skip
    rejected = Submission.objects.create(
        phase=track1, team=team, uploaded_by=alice, archive_name="a-rather-long-archive-name-from-a-script.zip",
        sha256="e" * 64, size=10, method_name="Bad", declared_parameters=1, status=Status.REJECTED,
        error_code="missing_files", error_message="3 images have no prediction: " + ", ".join(f"ILSVRC2012_val_000{i:05d}.png" for i in range(3)),
    )  # fmt: skip
    return {
        "team": team,
        "alice": alice,
        "paths": [
            "/",
            "/c/lid2020/",
            "/c/lid2020/rules/",
            "/c/lid2020/track/1/",
            "/c/lid2020/track/3/",
            "/c/lid2020/team/",
            f"/c/lid2020/join/{team.invite_code}/",
            "/accounts/profile/",
            "/accounts/tokens/",
            "/verification/mine/",
            "/c/lid2020/track/1/test/submit/",
            "/c/lid2020/track/1/test/submissions/",
            "/c/lid2020/track/3/test/submissions/",
            f"/submissions/{mine1.pk}/",
            f"/submissions/{mine3.pk}/",
            f"/submissions/{pending.pk}/",
            f"/submissions/{rejected.pk}/",
            "/c/lid2020/track/1/test/leaderboard/",
            "/c/lid2020/track/3/test/leaderboard/",
            f"/compare/?s={mine1.pk}&s={other1.pk}",
            f"/compare/?s={mine3.pk}&s={Submission.objects.filter(phase=track3).exclude(team=team).first().pk}",
            "/no/such/page/",
        ],
        "public": [
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password_reset/",
            f"/c/lid2020/join/{team.invite_code}/",
        ],
    }


def overflow(page: Any, width: int) -> dict[str, Any]:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(200)  # the charts redraw for the new width (after a 150 ms pause)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return page.evaluate(
        """(width) => {
          const wide = [];
          document.querySelectorAll('body *').forEach((el) => {
            const r = el.getBoundingClientRect();
            if (r.right > width + 0.5 && !el.closest('.table-wrap, .card.flush')) wide.push(el.tagName + '.' + el.className + '#' + el.id);
          });
          return {scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
        }""",
        width,
    )


def test_every_team_page_fits_a_phone_and_a_laptop(site: Any, browser_page: Any, artifacts: Any) -> None:
    world = team_world()
    page = browser_page
    too_wide: dict[str, Any] = {}
    for path in world["public"]:
        site.goto(path)
        for width in WIDTHS:
            result = overflow(page, width)
            if result["scroll"] > width:
                too_wide[f"{path} @{width} (logged out)"] = result
    site.login(world["alice"].username, PASSWORD)
    for path in world["paths"]:
        site.goto(path)
        page.wait_for_load_state("networkidle")
        for width in WIDTHS:
            result = overflow(page, width)
            if result["scroll"] > width:
                too_wide[f"{path} @{width}"] = result
    assert too_wide == {}
    assert page.console_errors == []


def test_a_submissions_tables_and_curve_are_whole_and_readable_on_a_phone(
    site: Any, browser_page: Any, artifacts: Any
) -> None:
    world = team_world()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    site.login(world["alice"].username, PASSWORD)
    track1, track3 = world["paths"][13], world["paths"][14]
    site.goto(track1)
    # Every column of the metrics and per-class tables is inside its card: nothing cut off.
    widths = page.evaluate(
        """() => [...document.querySelectorAll('table.metrics, #per-class')].map(
             (t) => [t.getBoundingClientRect().right, t.parentElement.getBoundingClientRect().right])"""
    )
    assert len(widths) == 2 and all(table <= box + 0.5 for table, box in widths), widths
    last = page.eval_on_selector("#per-class th:last-child", "th => th.getBoundingClientRect().right")
    assert last <= 390

    site.goto(track3)
    page.wait_for_selector("#curve-chart polyline.curve")
    chart = page.evaluate(
        """() => {
          const svg = document.getElementById('curve-chart');
          const px = (sel) => [...svg.querySelectorAll(sel)].map((t) => t.getBoundingClientRect().height);
          return {width: svg.getBoundingClientRect().width, ticks: px('text.tick'), legend: px('text.legend-label'),
                  legendRight: Math.max(...[...svg.querySelectorAll('text.legend-label')].map((t) => t.getBoundingClientRect().right))};
        }"""
    )
    assert chart["width"] <= 390 - 2 * 16
    # Text at least 11 CSS pixels high, as the page's own small print; the legend inside the chart.
    assert min(chart["ticks"]) >= 11 and min(chart["legend"]) >= 11, chart
    assert chart["legendRight"] <= 390
    page.locator("#curve-chart").screenshot(path=str(artifacts / "track3-curve-phone.png"))
    assert page.console_errors == []
