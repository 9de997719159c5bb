"""The admin dashboard's numbers, and the audited admin actions (limits, visibility, disqualification)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from leaderboard.models import LeaderboardEntry
from submissions.models import Status, Submission
from tests.support.factories import SubmissionFactory
from tests.support.staff import board_with_teams, closed_test_phase, organizer_user, scored_submission
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def organizer_client(client):  # type: ignore[no-untyped-def]
    organizer_user()
    assert client.login(username="olga", password=PASSWORD)
    return client


def number(html: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', html)
    assert match, element_id
    return int(match.group(1))


def test_dashboard_counts(organizer_client, settings):  # type: ignore[no-untyped-def]
    settings.SCORING_STUCK_AFTER = dt.timedelta(minutes=30)
    phase = closed_test_phase()
    team = board_with_teams(phase, [0.5])[0]
    now = timezone.now()
    long_ago = now - dt.timedelta(hours=2)
    rows = [
        (Status.QUEUED, {"queued_at": now}),  # queued, fresh
        (Status.QUEUED, {"queued_at": long_ago}),  # queued, stuck
        (Status.RUNNING, {"queued_at": long_ago, "started_at": long_ago}),  # running, stuck
        (Status.RUNNING, {"queued_at": now, "started_at": now}),  # running, fresh
        (Status.RUNNING, {"queued_at": long_ago}),  # running, never started: stuck (as the reaper sees it)
        (Status.FAILED, {"finished_at": now, "staff_log": "Traceback: worker lost"}),
        (Status.FAILED, {"finished_at": now - dt.timedelta(days=30), "staff_log": "old failure"}),  # not recent
    ]
    for status, fields in rows:
        SubmissionFactory(phase=phase, team=team, status=status, **fields)
    type(phase).objects.filter(pk=phase.pk).update(
        ground_truth_path="lid2020/track1/test", ground_truth_checksum="ab" * 32
    )

    html = organizer_client.get(reverse("admin:index")).content.decode()

    assert (number(html, "dash-queued"), number(html, "dash-running")) == (2, 3)
    assert number(html, "dash-stuck") == 3
    assert number(html, "dash-failed") == 1
    assert "Traceback: worker lost" in html and "old failure" not in html
    assert "loaded" in html and "abababababab" in html  # the phase with ground truth, checksum abbreviated
    assert "lid2020/track1/test" not in html


def test_phase_limit_and_visibility_changes_are_audited(organizer_client):  # type: ignore[no-untyped-def]
    phase = closed_test_phase(max_submissions=5)
    url = reverse("admin:challenges_phase_change", args=[phase.pk])
    form = {
        "track": phase.track_id, "split": "test", "starts_at_0": phase.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": phase.starts_at.strftime("%H:%M:%S"), "ends_at_0": phase.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": phase.ends_at.strftime("%H:%M:%S"), "image_count": 4, "max_submissions": 7,
        "max_submissions_per_day": "", "max_rejected_per_day": 20, "leaderboard_public_before_deadline": "",
    }  # fmt: skip
    response = organizer_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    limit = AuditLogEntry.objects.get(action="limit_changed")
    assert limit.detail == {"max_submissions": {"old": 5, "new": 7}}
    assert limit.actor.username == "olga" and limit.target_id == str(phase.pk)
    visibility = AuditLogEntry.objects.get(action="visibility_changed")
    assert visibility.detail == {"leaderboard_public_before_deadline": {"old": True, "new": False}}


def test_hide_and_unhide_actions_are_audited_and_change_the_board(organizer_client):  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    teams = board_with_teams(phase, [0.9, 0.8])
    top = Submission.objects.get(team=teams[0])
    url = reverse("admin:submissions_submission_changelist")
    organizer_client.post(url, {"action": "hide", "_selected_action": [top.pk]})
    assert list(
        LeaderboardEntry.objects.filter(phase=phase, board="official").values_list("team__name", flat=True)
    ) == ["Team B"]
    organizer_client.post(url, {"action": "unhide", "_selected_action": [top.pk]})
    entries = AuditLogEntry.objects.filter(action="visibility_changed").order_by("pk")
    assert [(e.target_id, e.detail["new"]) for e in entries] == [(str(top.pk), True), (str(top.pk), False)]
    assert LeaderboardEntry.objects.filter(phase=phase, board="official").count() == 2


def test_disqualify_action(organizer_client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    teams = board_with_teams(phase, [0.9, 0.8, 0.7, 0.6])
    sub = Submission.objects.get(team=teams[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            reverse("admin:submissions_submission_changelist"),
            {"action": "disqualify_team", "_selected_action": [sub.pk]},
        )
    assert response.status_code == 302
    assert VerificationRequest.objects.get(team=teams[0]).state == "disqualified"
    assert list(LeaderboardEntry.objects.filter(phase=phase, board="official").order_by("rank").values_list("team__name", flat=True)) == [
        "Team B", "Team C", "Team D",
    ]  # fmt: skip
    # The three now on top were asked in turn.
    assert set(VerificationRequest.objects.filter(state="requested").values_list("team__name", flat=True)) == {
        "Team B", "Team C", "Team D",
    }  # fmt: skip
    assert AuditLogEntry.objects.filter(action="disqualified", actor__username="olga").count() == 1


def test_request_verification_action(organizer_client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from django.core import mail

    phase = closed_test_phase()
    board_with_teams(phase, [0.9, 0.8, 0.7, 0.6])
    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(
            reverse("admin:challenges_phase_changelist"),
            {"action": "request_verification", "_selected_action": [phase.pk]},
        )
    assert VerificationRequest.objects.filter(phase=phase).count() == 3
    assert len(mail.outbox) == 3


def test_val_phase_cannot_be_disqualified(organizer_client):  # type: ignore[no-untyped-def]
    phase = closed_test_phase(split="val")
    team = board_with_teams(phase, [0.9])[0]
    sub = scored_submission(phase, team, 0.5)
    response = organizer_client.post(
        reverse("admin:submissions_submission_changelist"),
        {"action": "disqualify_team", "_selected_action": [sub.pk]},
        follow=True,
    )
    assert "is a validation phase; only test phases disqualify." in response.content.decode()
    assert not VerificationRequest.objects.exists()


def test_hiding_in_the_change_form_is_audited(organizer_client):  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    sub = Submission.objects.get(team=board_with_teams(phase, [0.9])[0])
    response = organizer_client.post(reverse("admin:submissions_submission_change", args=[sub.pk]), {"hidden": "on"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.hidden is True
    entry = AuditLogEntry.objects.get(action="visibility_changed")
    assert (entry.target_id, entry.detail, entry.actor.username) == (
        str(sub.pk),
        {"field": "hidden", "old": False, "new": True},
        "olga",
    )
    assert not LeaderboardEntry.objects.filter(phase=phase).exists()


def test_dashboard_names_uploads_refused_for_want_of_ground_truth(organizer_client):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    from tests.support.archives import form, phase_url
    from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

    phase = PhaseFactory(track__number=2, split="val", ground_truth_path="")
    member = UserFactory(username="gt-less")
    TeamFactory(challenge=phase.track.challenge, name="Early", captain=member)
    api = APIClient()
    api.force_authenticate(member)
    for seed in (1, 2):
        assert api.post(phase_url(phase), form(seed=seed), format="multipart").status_code == 409

    html = organizer_client.get(reverse("admin:index")).content.decode()
    assert '<strong class="dash-refused">2 uploads refused</strong> for want of it' in html
    assert "--track 2 --split val PATH" in html
