"""The admin speaks for the challenge: its name, metrics in percent, curves as a small chart, ISO UTC dates."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from submissions.models import Submission
from tests.leaderboard_tests.factories import scored_submission
from tests.support.factories import PhaseFactory, TeamFactory, TrackFactory
from tests.support.staff import organizer_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def organizer_client(client):  # type: ignore[no-untyped-def]
    organizer_user()
    assert client.login(username="olga", password=PASSWORD)
    return client


def test_the_admin_is_branded_for_the_challenge(organizer_client) -> None:  # type: ignore[no-untyped-def]
    page = organizer_client.get("/admin/").content.decode()
    assert "<title>Run the challenge | LID challenge admin</title>" in page
    assert '<a href="/admin/">LID challenge · organizers</a>' in page
    assert "Django administration" not in page and "Django site admin" not in page
    assert 'href="/static/css/admin.css"' in page and 'href="/static/favicon.svg"' in page


def test_a_track_3_submission_shows_percent_a_curve_chart_and_iso_utc_dates(organizer_client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory(track=TrackFactory(number=3))
    sub = scored_submission(phase=phase, team=TeamFactory(), score=0.6123, peak_threshold=96)
    created = dt.datetime(2020, 6, 8, 21, 5, 7, tzinfo=dt.UTC)
    Submission.objects.filter(pk=sub.pk).update(created_at=created)
    page = organizer_client.get(reverse("admin:submissions_submission_change", args=[sub.pk])).content.decode()

    assert "<li>Peak-IoU: <strong>61.23</strong></li><li>Peak-Threshold: <strong>96</strong></li>" in page
    chart = re.search(r'<svg class="curve"[^>]*aria-label="([^"]+)"', page)
    assert chart and chart.group(1) == "IoU-threshold curve: peak 61.23 at threshold 96"
    assert len(re.findall(r"<polyline ", page)) == 2
    assert "0.6123" not in page  # no raw numbers: neither the score nor the 512 curve values
    assert "2020-06-08 21:05:07 UTC" in page

    listing = organizer_client.get(reverse("admin:submissions_submission_changelist")).content.decode()
    assert ">61.23<" in listing and "2020-06-08 21:05:07 UTC" in listing


def test_a_track_1_submission_shows_its_three_metrics_in_percent(organizer_client) -> None:  # type: ignore[no-untyped-def]
    sub = scored_submission(phase=PhaseFactory(), team=TeamFactory(), score=0.5)
    page = organizer_client.get(reverse("admin:submissions_submission_change", args=[sub.pk])).content.decode()
    assert (
        "<li>Mean IoU: <strong>50.00</strong></li><li>Mean Accuracy: <strong>60.00</strong></li>"
        "<li>Pixel Accuracy: <strong>80.00</strong></li>"
    ) in page
