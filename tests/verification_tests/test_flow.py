"""The verification of the top 3, end to end through the pages, as teams and verifiers see it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditLogEntry
from leaderboard.models import LeaderboardEntry
from tests.support.staff import board_with_teams, closed_test_phase, verifier_user
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("infer.py", "print('hello')\n")
        archive.writestr("README.md", "python infer.py\n")
    return buffer.getvalue()


def official(phase) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    rows = LeaderboardEntry.objects.filter(phase=phase, board="official").order_by("rank", "team__name")
    return [(e.rank, e.team.name, e.verification_state) for e in rows]


@pytest.fixture
def phase():  # type: ignore[no-untyped-def]
    return closed_test_phase()


@pytest.fixture
def teams(phase):  # type: ignore[no-untyped-def]
    # Scores 0.9 > 0.8 > 0.7 > 0.6 > 0.5: ranks 1..5 in this order.
    return board_with_teams(phase, [0.9, 0.8, 0.7, 0.6, 0.5])


def login(client, user):  # type: ignore[no-untyped-def]
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_request_upload_download_verify(client, phase, teams, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("request_verification", phase=phase.pk, stdout=io.StringIO())

    requests = list(VerificationRequest.objects.filter(phase=phase).order_by("rank_when_requested"))
    assert [(r.team.name, r.rank_when_requested, r.state) for r in requests] == [
        ("Team A", 1, "requested"), ("Team B", 2, "requested"), ("Team C", 3, "requested"),
    ]  # fmt: skip
    assert sorted(m.to[0] for m in mail.outbox) == [
        "captaina@example.org",
        "captainb@example.org",
        "captainc@example.org",
    ]
    first = requests[0]
    assert reverse("verification:upload", args=[first.pk]) in next(
        m.body for m in mail.outbox if m.to == ["captaina@example.org"]
    )
    assert official(phase)[:4] == [
        (1, "Team A", "requested"),
        (2, "Team B", "requested"),
        (3, "Team C", "requested"),
        (4, "Team D", ""),
    ]

    # The team sees the notice and uploads its code.
    login(client, teams[0].captain)
    mine = client.get(reverse("verification:mine"))
    assert mine.status_code == 200 and "Upload code" in mine.content.decode()
    payload = code_zip()
    response = client.post(
        reverse("verification:upload", args=[first.pk]),
        {
            "archive": SimpleUploadedFile("code.zip", payload),
            "declared_parameters": "25000000",
            "instructions": "python infer.py",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.state, first.declared_parameters, first.code_size, first.uploaded_by) == (
        "code_uploaded", 25_000_000, len(payload), teams[0].captain,
    )  # fmt: skip
    assert first.code_archive.name.startswith(f"verification/phase{phase.pk}/team{teams[0].pk}/")

    # The verifier finds it in the queue, downloads exactly those bytes, and verifies it.
    vera = verifier_user()
    client.logout()
    login(client, vera)
    queue = client.get(reverse("verification:queue"))
    assert queue.status_code == 200 and "Team A" in queue.content.decode() and "90.00" in queue.content.decode()
    download = client.get(reverse("verification:download", args=[first.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == payload
    assert download["Content-Disposition"] == 'attachment; filename="code.zip"'
    response = client.post(
        reverse("verification:detail", args=[first.pk]),
        {"verdict": "verified", "reproduced_score": "89.95", "measured_parameters": "24999000", "note": "reproduced"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.state, first.reproduced_score, first.measured_parameters, first.decided_by) == (
        "verified", pytest.approx(0.8995), 24_999_000, vera,
    )  # fmt: skip
    assert first.decided_at is not None
    assert official(phase)[0] == (1, "Team A", "verified")
    actions = list(
        AuditLogEntry.objects.filter(target_id=str(first.pk)).order_by("pk").values_list("action", "actor__username")
    )
    assert actions == [("verification", None), ("verification", "captaina"), ("verification", "vera")]


def test_disqualify_drops_team_and_asks_the_next(client, phase, teams, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    call_command("request_verification", phase=phase.pk, stdout=io.StringIO())
    mail.outbox.clear()
    second = VerificationRequest.objects.get(phase=phase, team=teams[1])
    login(client, verifier_user())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("verification:detail", args=[second.pk]),
            {"verdict": "disqualified", "measured_parameters": "200000000", "note": "too large"},
        )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == "disqualified"
    assert official(phase) == [
        (1, "Team A", "requested"), (2, "Team C", "requested"), (3, "Team D", "requested"), (4, "Team E", ""),
    ]  # fmt: skip
    fourth = VerificationRequest.objects.get(phase=phase, team=teams[3])
    assert (fourth.state, fourth.rank_when_requested) == ("requested", 3)
    assert [m.to for m in mail.outbox] == [["captaind@example.org"]]
    entry = AuditLogEntry.objects.get(action="disqualified")
    assert entry.target_id == str(second.pk) and entry.detail["measured_parameters"] == 200_000_000


def test_cannot_verify_with_150m_parameters(client, phase, teams):  # type: ignore[no-untyped-def]
    call_command("request_verification", phase=phase.pk, stdout=io.StringIO())
    first = VerificationRequest.objects.get(phase=phase, team=teams[0])
    VerificationRequest.objects.filter(pk=first.pk).update(state="code_uploaded")
    login(client, verifier_user())
    response = client.post(
        reverse("verification:detail", args=[first.pk]),
        {"verdict": "verified", "reproduced_score": "90", "measured_parameters": "150000000"},
    )
    assert response.status_code == 200
    assert (
        "is not below 150,000,000, so the entry cannot be verified: disqualify it instead." in response.content.decode()
    )
    first.refresh_from_db()
    assert first.state == "code_uploaded"


def test_upload_refuses_150m_parameters_and_non_archives(client, phase, teams):  # type: ignore[no-untyped-def]
    call_command("request_verification", phase=phase.pk, stdout=io.StringIO())
    first = VerificationRequest.objects.get(phase=phase, team=teams[0])
    login(client, teams[0].captain)
    url = reverse("verification:upload", args=[first.pk])
    too_big = client.post(
        url,
        {
            "archive": SimpleUploadedFile("code.zip", code_zip()),
            "declared_parameters": "150000000",
            "instructions": "x",
        },
    )
    assert "the rules allow fewer than 150,000,000, so it cannot be verified." in too_big.content.decode()
    not_zip = client.post(
        url,
        {"archive": SimpleUploadedFile("code.zip", b"plain text"), "declared_parameters": "10", "instructions": "x"},
    )
    assert "The file is not a valid .zip archive" in not_zip.content.decode()
    exe = client.post(
        url, {"archive": SimpleUploadedFile("code.exe", b"MZ"), "declared_parameters": "10", "instructions": "x"}
    )
    assert "Upload the code as a .zip or .tar.gz archive." in exe.content.decode()
    first.refresh_from_db()
    assert first.state == "requested" and not first.code_archive


def test_asking_before_the_deadline_is_refused(phase):  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError
    from django.utils import timezone

    type(phase).objects.filter(pk=phase.pk).update(ends_at=timezone.now() + timezone.timedelta(days=1))
    with pytest.raises(CommandError, match="has not passed; ask for code after it"):
        call_command("request_verification", phase=phase.pk, stdout=io.StringIO())


def test_beat_task_asks_frozen_phases_once(phase, teams, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from leaderboard.services import leaderboard_freeze
    from verification.tasks import request_verification_for_closed_phases

    assert request_verification_for_closed_phases() == []  # past the deadline but not frozen yet: wait
    leaderboard_freeze(phase=phase)
    with django_capture_on_commit_callbacks(execute=True):
        asked = request_verification_for_closed_phases()
    assert len(asked) == 3 and len(mail.outbox) == 3
    assert request_verification_for_closed_phases() == []  # idempotent


def test_tar_gz_upload_keeps_its_type(client, phase, teams):  # type: ignore[no-untyped-def]
    import gzip
    import tarfile

    call_command("request_verification", phase=phase.pk, stdout=io.StringIO())
    first = VerificationRequest.objects.get(phase=phase, team=teams[0])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("infer.py")
        archive.addfile(info, io.BytesIO(b""))
    assert gzip.decompress(buffer.getvalue())  # a real gzip stream
    login(client, teams[0].captain)
    response = client.post(
        reverse("verification:upload", args=[first.pk]),
        {
            "archive": SimpleUploadedFile("code.tar.gz", buffer.getvalue()),
            "declared_parameters": "7",
            "instructions": "x",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.code_archive.name.endswith(".tar.gz") and first.code_archive_name == "code.tar.gz"
