"""A verifier's reproduced score is compared with the board's: beyond the tolerance it needs a confirmation."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from tests.support.staff import board_with_teams, closed_test_phase, verifier_user
from verification.models import VerificationRequest
from verification.services import verification_request_top_teams

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def uploaded(client):  # type: ignore[no-untyped-def]
    """Team A (board score 90.00) has uploaded its code; the verifier is logged in."""
    phase = closed_test_phase()
    board_with_teams(phase, [0.9, 0.8])
    verification_request_top_teams(phase=phase)
    request = VerificationRequest.objects.get(phase=phase, team__name="Team A")
    VerificationRequest.objects.filter(pk=request.pk).update(state="code_uploaded", code_archive_name="code.zip")
    assert client.login(username=verifier_user().username, password=PASSWORD)
    return request


def _decide(client, request, score, **extra):  # type: ignore[no-untyped-def]
    form = {"verdict": "verified", "reproduced_score": score, "measured_parameters": "1000", "note": "", **extra}
    return client.post(reverse("verification:detail", args=[request.pk]), form)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_a_difference_beyond_the_tolerance_needs_a_confirmation(client, uploaded) -> None:  # type: ignore[no-untyped-def]
    response = _decide(client, uploaded, "88.00")
    assert response.status_code == 200
    assert (
        "The reproduced score (88.00) differs from the board's (90.00) by -2.00 points, more than the tolerance "
        "of 0.50 points. Check the run, or tick “Verify despite the difference” to record it anyway."
    ) in _text(response)
    uploaded.refresh_from_db()
    assert uploaded.state == "code_uploaded" and uploaded.decided_at is None
    assert not AuditLogEntry.objects.filter(target_id=str(uploaded.pk), actor__username="vera").exists()

    response = _decide(client, uploaded, "88.00", confirm_difference="on")
    assert response.status_code == 302
    uploaded.refresh_from_db()
    assert (uploaded.state, uploaded.board_score, uploaded.score_difference_confirmed) == ("verified", 0.9, True)
    entry = AuditLogEntry.objects.get(target_id=str(uploaded.pk), actor__username="vera")
    assert (
        entry.summary
        == "Verified Team A in LID 2020 track 1 test (reproduced 88.00, board 90.00: -2.00 points, beyond the 0.50 tolerance, confirmed)."
    )
    assert {
        k: entry.detail[k] for k in ("board_score", "difference_points", "tolerance_points", "difference_confirmed")
    } == {
        "board_score": 0.9,
        "difference_points": -2.0,
        "tolerance_points": 0.5,
        "difference_confirmed": True,
    }
    page = _text(client.get(reverse("verification:detail", args=[uploaded.pk])))
    assert (
        "Board score 90.00 · reproduced 88.00 · difference -2.00 points (tolerance 0.50): beyond the tolerance, confirmed by vera"
        in page
    )


def test_within_the_tolerance_no_confirmation_is_asked(client, uploaded) -> None:  # type: ignore[no-untyped-def]
    assert _decide(client, uploaded, "89.60").status_code == 302
    uploaded.refresh_from_db()
    assert (uploaded.state, uploaded.score_difference_confirmed) == ("verified", False)
    entry = AuditLogEntry.objects.get(target_id=str(uploaded.pk), actor__username="vera")
    assert entry.detail["difference_points"] == pytest.approx(-0.4)
    assert "within the 0.50 tolerance" in entry.summary


def test_the_tolerance_is_a_setting(client, uploaded, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VERIFICATION_SCORE_TOLERANCE_POINTS = 3.0
    assert _decide(client, uploaded, "88.00").status_code == 302


def test_a_disqualification_needs_no_confirmation(client, uploaded) -> None:  # type: ignore[no-untyped-def]
    response = _decide(client, uploaded, "10.00", verdict="disqualified")
    assert response.status_code == 302
    uploaded.refresh_from_db()
    assert uploaded.state == "disqualified" and uploaded.board_score == 0.9
