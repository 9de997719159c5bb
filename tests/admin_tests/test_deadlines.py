"""Moving a deadline in the admin: a freeze belongs to the deadline it was made at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from leaderboard.models import FrozenEntry
from leaderboard.selectors import leaderboard_rows
from leaderboard.services import freeze_closed_phases
from tests.support.factories import TeamFactory
from tests.support.staff import closed_test_phase, organizer_user, scored_submission

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _form(phase, ends_at):  # type: ignore[no-untyped-def]
    return {
        "track": phase.track_id, "split": phase.split, "starts_at_0": phase.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": phase.starts_at.strftime("%H:%M:%S"), "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": ends_at.strftime("%H:%M:%S"), "image_count": phase.image_count,
        "max_submissions": phase.max_submissions or "", "max_submissions_per_day": "", "max_rejected_per_day": 20,
        "leaderboard_public_before_deadline": "on",
    }  # fmt: skip


def test_extending_a_frozen_deadline_in_the_admin_reopens_the_phase(client) -> None:  # type: ignore[no-untyped-def]
    organizer_user()
    assert client.login(username="olga", password=PASSWORD)
    phase = closed_test_phase()
    freeze_closed_phases()  # frozen at the first deadline, with nobody on the board
    phase.refresh_from_db()
    assert phase.is_frozen

    later = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    response = client.post(reverse("admin:challenges_phase_change", args=[phase.pk]), _form(phase, later))
    assert response.status_code == 302, response.content.decode()[:2000]
    phase.refresh_from_db()
    assert (phase.ends_at, phase.frozen_at) == (later, None)
    assert not FrozenEntry.objects.filter(phase=phase).exists()
    reopened = AuditLogEntry.objects.filter(action="freeze").order_by("-pk").first()
    assert reopened.actor.username == "olga" and reopened.summary.startswith("Re-opened the official leaderboard")

    sub = scored_submission(phase=phase, team=TeamFactory(name="On time"), score=0.6)
    from leaderboard.services import leaderboard_refresh

    leaderboard_refresh(phase=phase)
    assert [(r["team"]["name"], r["submission"]) for r in leaderboard_rows(phase=phase, board="official")] == [
        ("On time", sub.pk)
    ]
    page = client.get(f"/c/{phase.track.challenge.slug}/track/{phase.track.number}/test/leaderboard/")
    assert "On time" in page.content.decode() and "No scored submission yet" not in page.content.decode()
