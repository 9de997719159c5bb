"""Every task of the project is of one of the two kinds (lidserver.tasks) and carries its options."""

from __future__ import annotations

from django.conf import settings

from lidserver.tasks import task_named


def test_every_project_task_has_its_kinds_options() -> None:
    from lidserver.celery import app

    task_named("submissions.tasks.score_submission")  # discovers every app's tasks
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert sorted(ours) == [
        "leaderboard.tasks.freeze_closed_phases",
        "organizer.tasks.compute_rescore_run",
        "organizer.tasks.requeue_stuck_rescore_runs",
        "submissions.tasks.merge_submission_shards",
        "submissions.tasks.requeue_stuck_submissions",
        "submissions.tasks.score_submission",
        "submissions.tasks.score_submission_shard",
        "verification.tasks.request_verification_for_closed_phases",
    ]
    scoring = {
        "submissions.tasks.score_submission",
        "submissions.tasks.score_submission_shard",
        "submissions.tasks.merge_submission_shards",
        "submissions.tasks.requeue_stuck_submissions",
    }
    kinds = {name: "scoring" if name in scoring else "staff" for name in ours}
    for name, task in ours.items():
        spec = settings.TASK_KINDS[kinds[name]]
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True), name
        assert (task.queue, task.soft_time_limit, task.time_limit) == (
            spec["queue"], spec["soft_time_limit"], spec["time_limit"],
        ), name  # fmt: skip
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(ours)


def test_the_worker_command_and_compose_consume_every_queue_a_task_goes_to() -> None:
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    queues = {spec["queue"] for spec in settings.TASK_KINDS.values()}
    assert queues == {"scoring", "staff"}
    default = re.search(r'--queues="\$\{WORKER_QUEUES:-([^}]*)\}"', (root / "bin" / "worker").read_text())
    assert default is not None and default.group(1).split(",") == ["scoring", "staff"]  # make worker, the tests
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    consumed = [
        svc["environment"]["WORKER_QUEUES"] for svc in services.values() if svc.get("command") == ["bin/worker"]
    ]
    assert sorted(consumed) == ["scoring", "staff"]  # one worker per queue in production
