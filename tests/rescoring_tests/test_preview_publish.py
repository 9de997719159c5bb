"""Re-scoring: the preview shows who would move without publishing; publishing applies it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditLogEntry
from leaderboard.models import LeaderboardEntry
from organizer import rescoring
from organizer.models import RescoreRun
from submissions.evaluate import Evaluation
from submissions.models import Submission
from tests.support.staff import board_with_teams, closed_test_phase, organizer_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
# The "fixed scorer" swaps the order: A 0.90 -> 0.70, B 0.80 -> 0.85.
NEW_SCORES = {"Team A": 0.70, "Team B": 0.85}


@pytest.fixture
def phase():  # type: ignore[no-untyped-def]
    phase = closed_test_phase()
    type(phase).objects.filter(pk=phase.pk).update(ground_truth_path="x/track1/test", ground_truth_checksum="new-gt")
    phase.refresh_from_db()
    board_with_teams(phase, [0.9, 0.8])
    return phase


@pytest.fixture(autouse=True)
def fixed_scorer(monkeypatch):  # type: ignore[no-untyped-def]
    def score(*, submission, stats_name):  # type: ignore[no-untyped-def]
        new = NEW_SCORES[submission.team.name]
        return Evaluation(
            score=new, metrics={"mean_iou": new}, per_class=None, curve=None, ci_low=new - 0.01,
            ci_high=new + 0.01, per_image_stats=stats_name, scorer_version="1.1", ground_truth_checksum="new-gt",
        )  # fmt: skip

    monkeypatch.setattr(rescoring, "submission_evaluate", score)


@pytest.fixture
def eager_celery(monkeypatch):  # type: ignore[no-untyped-def]
    """The task runs in the test's process when sent (the Celery app read its configuration already)."""
    from organizer.tasks import compute_rescore_run

    monkeypatch.setattr(compute_rescore_run, "delay", lambda **kwargs: compute_rescore_run.apply(kwargs=kwargs))


def official(phase):  # type: ignore[no-untyped-def]
    rows = LeaderboardEntry.objects.filter(phase=phase, board="official").order_by("rank")
    return [(e.rank, e.team.name, e.score) for e in rows]


def test_preview_in_the_admin_then_publish(client, phase, eager_celery, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    organizer_user()
    client.login(username="olga", password=PASSWORD)
    ids = list(Submission.objects.filter(phase=phase).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:submissions_submission_changelist"), {"action": "rescore_preview", "_selected_action": ids}
        )
    run = RescoreRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:organizer_rescorerun_change", args=[run.pk]
    )
    assert run.state == "ready"

    # Nothing is published yet: scores and the board are as before.
    assert official(phase) == [(1, "Team A", 0.9), (2, "Team B", 0.8)]
    assert sorted(Submission.objects.values_list("score", "scorer_version")) == [(0.8, "1.0"), (0.9, "1.0")]
    rows = run.rank_changes[str(phase.pk)]["boards"]["official"]
    assert [(r["team"], r["old_rank"], r["old_score"], r["new_rank"], r["new_score"], r["changed"]) for r in rows] == [
        ("Team B", 2, 0.8, 1, 0.85, True),
        ("Team A", 1, 0.9, 2, 0.7, True),
    ]
    page = client.get(reverse("admin:organizer_rescorerun_change", args=[run.pk])).content.decode()
    assert "<td>Team B</td><td>2</td><td>80.00</td>\n            <td>1</td><td>85.00</td>" in page

    response = client.post(
        reverse("admin:organizer_rescorerun_changelist"), {"action": "publish", "_selected_action": [run.pk]}
    )
    assert response.status_code == 302
    assert official(phase) == [(1, "Team B", 0.85), (2, "Team A", 0.7)]
    assert sorted(Submission.objects.values_list("score", "scorer_version", "ground_truth_checksum", "ci_low")) == [
        (0.7, "1.1", "new-gt", pytest.approx(0.69)),
        (0.85, "1.1", "new-gt", pytest.approx(0.84)),
    ]
    entry = AuditLogEntry.objects.get(action="rescore")
    assert entry.actor.username == "olga"
    assert sorted((c["old_score"], c["new_score"]) for c in entry.detail["changes"]) == [(0.8, 0.85), (0.9, 0.7)]
    # Publishing twice is refused.
    again = client.post(
        reverse("admin:organizer_rescorerun_changelist"),
        {"action": "publish", "_selected_action": [run.pk]},
        follow=True,
    )
    assert f"Re-score run {run.pk} is published; only a ready preview can be published." in again.content.decode()


def test_command_preview_publishes_nothing_then_publish(phase):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("rescore", phase=phase.pk, preview=True, stdout=out)
    text = out.getvalue()
    assert " * Team B: rank 2 -> 1, 80.00 -> 85.00" in text and " * Team A: rank 1 -> 2, 90.00 -> 70.00" in text
    assert official(phase) == [(1, "Team A", 0.9), (2, "Team B", 0.8)]
    assert not AuditLogEntry.objects.filter(action="rescore").exists()

    call_command("rescore", phase=phase.pk, stdout=io.StringIO())
    assert official(phase) == [(1, "Team B", 0.85), (2, "Team A", 0.7)]
    assert AuditLogEntry.objects.filter(action="rescore").count() == 1


def test_stale_preview_is_refused(phase):  # type: ignore[no-untyped-def]
    call_command("rescore", phase=phase.pk, preview=True, stdout=io.StringIO())
    type(phase).objects.filter(pk=phase.pk).update(ground_truth_checksum="newer-gt")
    from django.core.management.base import CommandError  # noqa: F401

    run = RescoreRun.objects.get()
    from lidserver.errors import ApplicationError

    with pytest.raises(ApplicationError, match="changed after this preview; preview again, then publish"):
        rescoring.rescore_run_publish(run=run, actor=None)
    assert official(phase) == [(1, "Team A", 0.9), (2, "Team B", 0.8)]


def test_one_submission_and_nothing_scored(phase):  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    sub = Submission.objects.get(team__name="Team B")
    call_command("rescore", submission=sub.pk, stdout=io.StringIO())
    assert official(phase) == [(1, "Team A", 0.9), (2, "Team B", 0.85)]
    Submission.objects.filter(pk=sub.pk).update(status="failed", score=None)
    with pytest.raises(CommandError, match="only scored ones are re-scored"):
        call_command("rescore", submission=sub.pk, stdout=io.StringIO())


def test_deleting_an_unpublished_preview_removes_its_files(client, phase, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    call_command("rescore", phase=phase.pk, preview=True, stdout=io.StringIO())
    run = RescoreRun.objects.get()
    names = [item.new_per_image_stats for item in run.items.all()]
    for name in names:
        default_storage.save(name, ContentFile(b"stats"))
    organizer_user()
    client.login(username="olga", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:organizer_rescorerun_delete", args=[run.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not RescoreRun.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
