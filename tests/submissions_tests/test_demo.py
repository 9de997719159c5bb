"""``manage.py demo_setup`` against the test database, with tiny splits."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Team, User
from challenges.models import GroundTruthNames, Phase
from leaderboard.models import FrozenEntry
from leaderboard.selectors import leaderboard_rows
from submissions.models import Submission
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


def run(data_dir: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command("demo_setup", images=6, images_track3=6, data_dir=str(data_dir), stdout=out, **options)
    return out.getvalue()


def test_demo_setup_scores_submissions_and_is_idempotent(tmp_path: Path, settings: Any, capfd: Any) -> None:
    output = run(tmp_path / "demo-data")
    printed = capfd.readouterr()
    # Only the command's own lines: no task or worker log lines between them (nor on stderr).
    assert " INFO " not in printed.out + printed.err and "Task " not in printed.out + printed.err

    phases = Phase.objects.select_related("track").order_by("track__number", "split")
    assert [(p.track.number, p.split, p.image_count) for p in phases] == [
        (n, split, 6) for n in (1, 2, 3) for split in ("test", "val")
    ]
    for phase in phases:
        assert (Path(settings.GROUND_TRUTH_ROOT) / phase.ground_truth_path).exists()
        assert len(phase.ground_truth_checksum) == 64 and phase.ground_truth_loaded_at is not None
        assert len(GroundTruthNames.objects.get(phase=phase).names) == 6  # what uploads are checked against
        closed = (phase.track.number, phase.split) == (3, "test")
        assert phase.is_open() and phase.is_past_deadline() == closed
        scores = list(Submission.objects.filter(phase=phase).values_list("status", "score"))
        assert len(scores) == (6 if closed else 5)  # Alpha 2, Beta 1, Gamma 2 (and 1 late on the closed phase)
        assert all(status == "scored" and 0 < score < 1 for status, score in scores), scores
    # Less degraded predictions score higher: Alpha's 5 % beats Gamma's 50 % on every phase.
    for phase in phases:
        best = Submission.objects.get(phase=phase, method_name="Alpha Vision demo method 1").score
        worst = Submission.objects.get(phase=phase, method_name="Gamma Group demo method 1").score
        assert best > worst, phase

    organizer = User.objects.get(username="organizer")
    assert organizer.is_superuser and organizer.is_staff
    password = output.split("organizer   password ")[1].split()[0]
    assert organizer.check_password(password)
    assert User.objects.get(username="verifier").groups.filter(name="verifiers").exists()
    assert User.objects.get(username="alice").check_password("lid-demo-password")
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Alpha Vision", "Beta Labs", "Gamma Group"]
    assert (tmp_path / "demo-data" / "track1-test" / "pred.zip").exists()
    assert "http://127.0.0.1:8000" in output and str(tmp_path / "demo-data" / "track1-test" / "pred.zip") in output

    # Track 3 test is past its deadline: frozen official board of the pre-deadline entries, the top 3
    # asked for their code, Alpha's uploaded; Gamma's late entry leads the post-challenge board only.
    closed = Phase.objects.get(track__number=3, split="test")
    assert closed.is_frozen and FrozenEntry.objects.filter(phase=closed).count() == 3
    official = [r["team"]["name"] for r in leaderboard_rows(phase=closed, board="official")]
    post = leaderboard_rows(phase=closed, board="post")
    assert official[0] == "Alpha Vision" and sorted(official) == ["Alpha Vision", "Beta Labs", "Gamma Group"]
    assert (post[0]["team"]["name"], post[0]["method_name"]) == ("Gamma Group", "Gamma Group late method")
    assert sorted(VerificationRequest.objects.filter(phase=closed).values_list("team__name", "state")) == [
        ("Alpha Vision", "code_uploaded"), ("Beta Labs", "requested"), ("Gamma Group", "requested"),
    ]  # fmt: skip
    assert "Track 3 test is past its deadline" in output
    deadline = closed.ends_at

    # Run again: nothing new is made, the organizer's password is kept, the closed phase stays closed.
    again = run(tmp_path / "demo-data")
    assert Submission.objects.count() == 31
    closed.refresh_from_db()
    assert closed.is_frozen and closed.ends_at == deadline
    assert "existing account kept" in again
    assert User.objects.get(username="organizer").check_password(password)
    assert Phase.objects.filter(image_count=6).count() == 6

    # A store loaded before its image ids were recorded (an older demo database) is loaded again.
    GroundTruthNames.objects.filter(phase__track__number=1).delete()
    run(tmp_path / "demo-data")
    assert GroundTruthNames.objects.filter(phase__track__number=1).count() == 2
