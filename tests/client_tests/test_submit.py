"""``lid submit``, ``lid status`` and ``lid leaderboard`` against a live server that scores in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lid_client.cli import main

from submissions.models import Submission
from tests.client_tests.conftest import Synthetic, write_zip

SUBMIT = ["submit", "--track", "1", "--split", "test", "--method", "CAM+CRF", "--params", "25600000"]


def pct(value: float) -> str:
    return f"{value * 100:.2f}"


def test_submit_is_scored_with_the_cores_metrics(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, expected_metrics: dict[str, Any], capsys: Any
) -> None:
    code = main([*SUBMIT, "--description", "ResNet-50 CAM", "--json", str(synthetic.pred)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    body = json.loads(captured.out)
    submission = Submission.objects.get()
    assert body["id"] == submission.pk
    assert body["status"] == "scored"
    assert (body["method_name"], body["method_description"], body["declared_parameters"]) == (
        "CAM+CRF",
        "ResNet-50 CAM",
        25_600_000,
    )
    assert body["archive_name"] == "pred.zip"
    assert body["size"] == synthetic.pred.stat().st_size
    for key in ("mean_iou", "mean_accuracy", "pixel_accuracy"):
        assert body["metrics"][key] == pytest.approx(expected_metrics[key], abs=1e-12)
    assert body["score"] == pytest.approx(expected_metrics["mean_iou"], abs=1e-12)
    # The progress bar (one line off a terminal) and the status lines go to stderr, not stdout.
    size_mb = f"{synthetic.pred.stat().st_size / 2**20:.1f}"
    assert f"Uploaded pred.zip: {size_mb} MB in " in captured.err
    assert f"Submission {submission.pk} uploaded (" in captured.err
    assert captured.err.rstrip().endswith("scored")


def test_submit_prints_the_metrics_in_percent(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, expected_metrics: dict[str, Any], capsys: Any
) -> None:
    assert main([*SUBMIT, "--quiet", str(synthetic.pred)]) == 0
    captured = capsys.readouterr()
    submission = Submission.objects.get()
    lines = captured.out.splitlines()
    assert lines[0] == f"Submission {submission.pk}  lid2020 track 1 test  scored"
    assert lines[1] == "  method       CAM+CRF  (25,600,000 parameters)"
    assert f"  mean IoU        {pct(expected_metrics['mean_iou'])} %" in captured.out
    assert f"  mean accuracy   {pct(expected_metrics['mean_accuracy'])} %" in captured.out
    assert f"  pixel accuracy  {pct(expected_metrics['pixel_accuracy'])} %" in captured.out


def test_a_bad_archive_never_leaves_the_machine(logged_in: str, ground_truth: Any, tmp_path: Path, capsys: Any) -> None:
    bad = write_zip(tmp_path / "bad.zip", {"notes.txt": b"hello"})
    assert main([*SUBMIT, str(bad)]) == 2
    assert capsys.readouterr().err.startswith("lid: ")
    assert not Submission.objects.exists()


def test_skip_check_lets_the_server_refuse_it(
    logged_in: str, ground_truth: Any, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    import evaluation

    bad = write_zip(tmp_path / "bad.zip", {"notes.txt": b"hello"})
    store = evaluation.open_ground_truth(Path(settings.GROUND_TRUTH_ROOT) / ground_truth.ground_truth_path)
    with pytest.raises(evaluation.SubmissionFormatError) as caught:  # the server checks against the names
        evaluation.check_archive(bad, expected_names=store.names)
    assert main([*SUBMIT, "--skip-check", "--quiet", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"lid: {caught.value.message} [{caught.value.code}]\n"
    assert not Submission.objects.filter(status__in=["uploaded", "queued", "running", "scored"]).exists()


def test_limit_reached_is_one_line(
    logged_in: str, ground_truth: Any, member: Any, synthetic: Synthetic, capsys: Any
) -> None:
    ground_truth.max_submissions = 1
    ground_truth.save()
    Submission.objects.create(
        phase=ground_truth,
        team=member.memberships.get().team,
        uploaded_by=member,
        archive="old.zip",
        archive_name="old.zip",
        sha256="0" * 64,
        size=1,
        method_name="old",
        declared_parameters=1,
        status="scored",
        score=0.5,
    )
    assert main([*SUBMIT, "--quiet", str(synthetic.pred)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lid: ") and err.endswith(" [limit_reached]\n")
    assert err.count("\n") == 1
    assert Submission.objects.count() == 1


def test_parameters_over_the_rule_are_refused_before_uploading(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, capsys: Any
) -> None:
    args = ["submit", "--track", "1", "--split", "test", "--method", "big", "--params", "150000000"]
    assert main([*args, str(synthetic.pred)]) == 1
    assert capsys.readouterr().err == (
        "lid: --params must be a parameter count from 0 to 149,999,999; the rules allow models with fewer than "
        "150,000,000 parameters. [too_many_parameters]\n"
    )
    assert not Submission.objects.exists()


def test_the_parameter_limit_is_the_servers(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, capsys: Any, settings: Any
) -> None:
    settings.MAX_DECLARED_PARAMETERS = 20_000_000  # the phase JSON says so; the client follows it
    assert main([*SUBMIT, str(synthetic.pred)]) == 1  # --params 25600000
    assert capsys.readouterr().err == (
        "lid: --params must be a parameter count from 0 to 19,999,999; the rules allow models with fewer than "
        "20,000,000 parameters. [too_many_parameters]\n"
    )
    assert not Submission.objects.exists()


def test_no_wait_then_status(logged_in: str, ground_truth: Any, synthetic: Synthetic, capsys: Any) -> None:
    assert main([*SUBMIT, "--no-wait", "--quiet", str(synthetic.pred)]) == 0
    submission_id = int(capsys.readouterr().out)
    assert Submission.objects.get().pk == submission_id

    assert main(["status", str(submission_id), "--json"]) == 0  # eager: scored inside the upload request
    assert json.loads(capsys.readouterr().out)["status"] == "scored"

    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "track", "split", "status", "score", "%", "method", "uploaded", "(UTC)"]
    assert lines[2].split()[:5] == [str(submission_id), "1", "test", "scored", pct(Submission.objects.get().score)]
    # The time as the web pages print it (templates: ``created_at|date:"Y-m-d H:i"``, TIME_ZONE UTC).
    from django.template import Context, Template

    web = Template('{{ t|date:"Y-m-d H:i" }}').render(Context({"t": Submission.objects.get().created_at}))
    assert lines[2].endswith(f"  {web}")

    assert main(["status", str(submission_id)]) == 0
    web = Template('{{ t|date:"Y-m-d H:i:s" }}').render(Context({"t": Submission.objects.get().created_at}))
    assert f"  uploaded     {web} UTC by alice" in capsys.readouterr().out.splitlines()


def test_status_of_another_teams_submission_is_not_found(logged_in: str, ground_truth: Any, capsys: Any) -> None:
    from tests.support.factories import TeamFactory

    other = TeamFactory(challenge=ground_truth.track.challenge, name="Beta")
    theirs = Submission.objects.create(
        phase=ground_truth,
        team=other,
        uploaded_by=other.captain,
        archive="x.zip",
        archive_name="x.zip",
        sha256="1" * 64,
        size=1,
        method_name="theirs",
        declared_parameters=1,
        status="scored",
        score=0.9,
    )
    assert main(["status", str(theirs.pk)]) == 1
    first = capsys.readouterr().err
    assert main(["status", str(theirs.pk + 1000)]) == 1
    assert capsys.readouterr().err == first
    assert first.endswith("[not_found]\n")


def test_leaderboard_formats(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, expected_metrics: dict[str, Any], capsys: Any
) -> None:
    board = ["leaderboard", "--track", "1", "--split", "test"]
    assert main(board) == 0
    assert capsys.readouterr().out == "No entries on the official board of track 1 test yet.\n"

    assert main([*SUBMIT, "--quiet", str(synthetic.pred)]) == 0
    capsys.readouterr()

    assert main(board) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["rank", "team", "method"]
    row = lines[2].split()
    assert row[:3] == ["1", "Alpha", "CAM+CRF"]
    assert row[3:6] == [pct(expected_metrics[k]) for k in ("mean_iou", "mean_accuracy", "pixel_accuracy")]

    assert main([*board, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["board"], [r["team"]["name"] for r in data["rows"]]) == ("official", ["Alpha"])

    assert main([*board, "--format", "csv"]) == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0].startswith("rank,team,")
    assert csv_lines[1].startswith("1,Alpha,")

    assert main([*board, "--format", "md"]) == 0
    assert "| Alpha" in capsys.readouterr().out

    # LaTeX: the server's own export (leaderboard.exports), as the README promises.
    from challenges.models import Phase
    from leaderboard.exports import leaderboard_export

    export = leaderboard_export(phase=Phase.objects.get(), board="official", fmt="tex")
    assert main([*board, "--format", "tex"]) == 0
    tex = capsys.readouterr().out
    assert tex == export.content.rstrip("\n") + "\n"
    assert "\\begin{tabular}" in tex and "Alpha" in tex

    assert main([*board, "--board", "nope"]) == 2  # argparse refuses it before any request


def test_the_console_script_end_to_end(
    live_server: Any,
    token: str,
    eager: None,
    ground_truth: Any,
    synthetic: Synthetic,
    expected_metrics: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The installed `lid` script, as a team runs it: a separate process, settings from the environment."""
    lid = Path(sys.executable).parent / "lid"
    env = {**os.environ, "LID_SERVER": live_server.url, "LID_TOKEN": token, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [str(lid), *SUBMIT, str(synthetic.pred)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipping the local check" not in result.stderr  # the script found the repository's `evaluation`
    assert f"  mean IoU        {pct(expected_metrics['mean_iou'])} %" in result.stdout
    assert Submission.objects.get().status == "scored"


def test_rejected_by_the_worker_exits_2_with_its_message(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, tmp_path: Path, capsys: Any
) -> None:
    """RGB PNGs pass the upload's cheap checks (names, zip) and are refused when the worker decodes them.

    (The client's own check finds them before uploading; --skip-check sends them to the worker.)"""
    from tests.client_tests.test_validate import rewritten, scoring_error

    bad = rewritten(synthetic, tmp_path / "rgb.zip", lambda im: im.convert("RGB"))
    code, message = scoring_error(synthetic.gt_dir, bad)
    assert main([*SUBMIT, "--quiet", "--skip-check", str(bad)]) == 2
    submission = Submission.objects.get()
    assert (submission.status, submission.error_code) == ("rejected", code)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Submission {submission.pk}  lid2020 track 1 test  rejected"
    assert out[-2:] == [f"  {message} [{code}]", "  A rejected submission does not use one of your slots."]


def test_a_reader_that_stops_early_gets_no_traceback(
    live_server: Any, ground_truth: Any, synthetic: Synthetic, token: str, eager: None, tmp_path: Path
) -> None:
    """``lid leaderboard | head``: the pipe is closed before lid writes; lid says nothing and exits 141."""
    env = {**os.environ, "LID_SERVER": live_server.url, "LID_TOKEN": token, "XDG_CONFIG_HOME": str(tmp_path)}
    lid = [sys.executable, "-m", "lid_client.cli"]
    subprocess.run(
        [*lid, *SUBMIT, "--quiet", str(synthetic.pred)], env=env, capture_output=True, timeout=120, check=True
    )
    for fmt in ("table", "csv", "tex"):
        process = subprocess.Popen(
            [*lid, "leaderboard", "--track", "1", "--split", "test", "--format", fmt],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader is gone before anything is written
        err = process.stderr.read().decode()
        assert (process.wait(timeout=60), err) == (141, "")


def test_status_of_a_queued_submission_shows_its_place_in_the_queue(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, capsys: Any
) -> None:
    from django.utils import timezone

    assert main([*SUBMIT, "--no-wait", "--quiet", str(synthetic.pred)]) == 0
    submission_id = int(capsys.readouterr().out)
    # As if it were still waiting in the broker, first in line (eager mode scored it at once).
    Submission.objects.filter(pk=submission_id).update(status="queued", queued_at=timezone.now(), score=None)
    assert main(["status", str(submission_id)]) == 0
    assert "  queue        number 1 in the scoring queue" in capsys.readouterr().out.splitlines()
    # Claimed and scored in shards by several pool processes: how many are done.
    Submission.objects.filter(pk=submission_id).update(status="running", shards_total=22, shards_done=5)
    assert main(["status", str(submission_id)]) == 0
    assert "  progress     5 of 22 shards scored" in capsys.readouterr().out.splitlines()
