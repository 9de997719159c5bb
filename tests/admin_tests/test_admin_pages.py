"""Every model's admin loads for an organizer (staff, no per-model permissions), within a query budget."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import ContentPage
from leaderboard.models import FrozenEntry
from organizer.models import RescoreItem, RescoreRun
from submissions.models import Submission, TeamPhase
from tests.support.staff import board_with_teams, closed_test_phase, organizer_user, scored_submission
from verification.services import verification_request_top_teams

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    teams = board_with_teams(phase, [0.9, 0.8])
    TeamPhase.objects.create(team=teams[0], phase=phase)
    verification_request_top_teams(phase=phase, top=1)
    FrozenEntry.objects.create(
        phase=phase, team=teams[0], submission=Submission.objects.filter(team=teams[0]).get(), rank_at_freeze=1
    )
    run = RescoreRun.objects.create(scope="test", state="ready", rank_changes={})
    RescoreItem.objects.create(run=run, submission=Submission.objects.first(), old_score=0.9, new_score=0.91)
    audit_record(actor=None, action=AuditLogEntry.Action.OTHER, summary="x")
    ContentPage.objects.create(challenge=phase.track.challenge, kind="data", body="# Data")
    return phase


@pytest.fixture
def organizer_client(client):  # type: ignore[no-untyped-def]
    organizer_user()
    assert client.login(username="olga", password=PASSWORD)
    return client


MODELS = [
    "accounts.user", "accounts.team", "accounts.membership", "challenges.challenge", "challenges.track",
    "challenges.phase", "challenges.contentpage", "submissions.submission", "submissions.teamphase", "leaderboard.leaderboardentry",
    "leaderboard.frozenentry", "verification.verificationrequest", "audit.auditlogentry", "organizer.rescorerun",
]  # fmt: skip


@pytest.mark.parametrize("label", MODELS)
def test_changelist_and_change_form_load(organizer_client, world, label):  # type: ignore[no-untyped-def]
    from django.apps import apps

    app, model = label.split(".")
    obj = apps.get_model(app, model).objects.order_by("pk").first()
    changelist = organizer_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert changelist.status_code == 200
    change = organizer_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    assert change.status_code == 200


def test_participant_cannot_open_the_admin(client, world):  # type: ignore[no-untyped-def]
    from tests.support.factories import UserFactory

    UserFactory(username="pat")
    client.login(username="pat", password=PASSWORD)
    response = client.get(reverse("admin:submissions_submission_changelist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_submission_changelist_queries_do_not_grow(organizer_client, world, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    url = reverse("admin:submissions_submission_changelist")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert organizer_client.get(url).status_code == 200
    for team in board_with_teams(world, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], first="K"):  # 12 more rows
        scored_submission(world, team, 0.05)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert organizer_client.get(url).status_code == 200


def test_audit_log_admin_is_read_only(organizer_client, world):  # type: ignore[no-untyped-def]
    entry = AuditLogEntry.objects.first()
    assert organizer_client.get(reverse("admin:audit_auditlogentry_add")).status_code == 403
    assert organizer_client.get(reverse("admin:audit_auditlogentry_delete", args=[entry.pk])).status_code == 403
    change = organizer_client.get(reverse("admin:audit_auditlogentry_change", args=[entry.pk]))
    assert b'name="summary"' not in change.content and b"Save" not in change.content
    filtered = organizer_client.get(reverse("admin:audit_auditlogentry_changelist") + "?action__exact=verification")
    assert filtered.status_code == 200 and b"Asked Team A" in filtered.content and b">x<" not in filtered.content


def test_ground_truth_is_never_shown(organizer_client, world):  # type: ignore[no-untyped-def]
    type(world).objects.filter(pk=world.pk).update(
        ground_truth_path="lid2020/track1/test", ground_truth_checksum="c" * 64
    )
    change = organizer_client.get(reverse("admin:challenges_phase_change", args=[world.pk]))
    assert b"lid2020/track1/test" not in change.content and b'name="ground_truth_path"' not in change.content
    loaded = organizer_client.get(reverse("admin:challenges_phase_changelist") + "?ground_truth=yes")
    missing = organizer_client.get(reverse("admin:challenges_phase_changelist") + "?ground_truth=no")
    assert str(world).encode() in loaded.content and str(world).encode() not in missing.content
