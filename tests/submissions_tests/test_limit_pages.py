"""What the pages say before a file is chosen: field errors in plain words, and the limit state."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from submissions.models import Status, Submission
from tests.submissions_tests.test_pages import list_url, logged_in, text_of, upload_url
from tests.submissions_tests.test_upload_api import make_rows
from tests.support.factories import PhaseFactory

pytestmark = pytest.mark.django_db

NONE_LEFT = "All 5 submissions used: no more will open in this phase."


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<span class="field-error" id="error-{name}" role="alert"( hidden)?>(.*?)</span>', html, re.S)
    assert match is not None, name
    return None if match.group(1) else match.group(2)


@pytest.fixture
def alice(member: Any, team: Any) -> Client:
    return logged_in(member)


def test_form_errors_stand_next_to_their_fields_in_plain_words(alice: Client, phase: Any) -> None:
    response = alice.post(upload_url(phase), {"method_name": " ", "declared_parameters": "25,557,032"})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "method_name") == "Give your method a name; it is shown on the leaderboard."
    assert field_error(html, "declared_parameters") == (
        "The parameter count must be a whole number without commas or units, e.g. 25557032."
    )
    assert field_error(html, "archive") == "Choose the zip archive of your predictions."
    assert field_error(html, "method_description") is None
    assert "This field" not in html and "method_name:" not in html
    assert Submission.objects.count() == 0


def test_the_upload_page_carries_the_check_url(alice: Client, phase: Any) -> None:
    html = alice.get(upload_url(phase)).content.decode()
    assert 'data-check-url="/api/challenges/lid2020/tracks/1/test/submissions/check/"' in html
    assert 'id="limit-state"' not in html and "<fieldset>" in html


def test_test_phase_limit_reached_says_none_will_open(alice: Client, phase: Any, team: Any) -> None:
    make_rows(phase, team, [Status.SCORED] * 5)
    upload_page = alice.get(upload_url(phase))
    html = upload_page.content.decode()
    assert '<div class="card limit-state" id="limit-state" data-code="limit_reached">' in html
    assert "<fieldset disabled>" in html
    assert (
        "Submission limit reached Your team has used all 5 submissions for track 1 test; no more will open in this phase."
        in text_of(upload_page)
    )

    listing = alice.get(list_url(phase))
    assert NONE_LEFT in text_of(listing)
    assert f'href="{upload_url(phase)}"' not in listing.content.decode()

    track = alice.get("/c/lid2020/track/1/")
    assert NONE_LEFT in text_of(track)
    assert f'href="{upload_url(phase)}"' not in track.content.decode()


def test_val_daily_limit_gives_the_date_of_the_next_slot(alice: Client, phase: Any, team: Any) -> None:
    val = PhaseFactory(track=phase.track, split="val", max_submissions=None, max_submissions_per_day=2)
    make_rows(val, team, [Status.SCORED, Status.QUEUED])
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    expected = f"Today's 2 submissions used: the next opens {tomorrow} 00:00 UTC."
    assert expected in text_of(alice.get(list_url(val)))
    track = text_of(alice.get("/c/lid2020/track/1/"))
    assert expected in track
    # The test split still has its slots: its button invites an upload.
    assert 'href="/c/lid2020/track/1/test/submit/"' in alice.get("/c/lid2020/track/1/").content.decode()
    page = alice.get(upload_url(val))
    assert (
        "Your team has used all 2 submissions allowed per UTC day for track 1 val; "
        f"the next is allowed from {tomorrow} 00:00 UTC." in text_of(page)
    )
