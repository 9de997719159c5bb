"""End to end on the real stack: upload through the API, a real Celery worker process scores it.

The numbers are compared with what ``python -m evaluation score --json`` prints for the same files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import evaluation
from evaluation.synth import make_synthetic
from leaderboard.models import LeaderboardEntry
from submissions.models import Status, Submission
from submissions.scoring import submissions_requeue_stuck
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
FINAL = (Status.SCORED, Status.REJECTED, Status.FAILED)


def replicate(data: Path, copies: int) -> None:
    """Make the synthetic set ``copies`` times larger by copying each image under new ids (cheap)."""
    gt = data / "gt"
    originals = sorted(gt.glob("*.png"))
    for copy in range(1, copies):
        for path in originals:
            shutil.copyfile(path, gt / f"{path.stem}_{copy}.png")
    with zipfile.ZipFile(data / "pred.zip") as source:
        members = [(info.filename, source.read(info)) for info in source.infolist() if not info.is_dir()]
    with zipfile.ZipFile(data / "pred.zip", "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            stem = name[: -len(".png")]
            for copy in range(copies):
                target.writestr(f"{stem}_{copy}.png" if copy else name, content)


def prepare(
    track: int, count: int, tmp_path: Path, copies: int = 1, **phase_fields: Any
) -> tuple[Any, APIClient, Path, Path]:
    """A phase with packed synthetic ground truth, a team member's API client, the store and pred.zip."""
    data = tmp_path / "synthetic"
    make_synthetic(track, count, data, seed=0)
    if copies > 1:
        replicate(data, copies)
    store_name = f"t{track}-test"
    store = Path(settings.GROUND_TRUTH_ROOT) / store_name
    info = evaluation.pack_ground_truth(track, data / "gt", store)
    phase = PhaseFactory(
        track__number=track, split="test", image_count=count, ground_truth_path=store_name,
        ground_truth_checksum=info.checksum, **phase_fields,
    )  # fmt: skip
    alice = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    return phase, api, store, data / "pred.zip"


def post_archive(api: APIClient, phase: Any, pred: Path) -> Any:
    url = f"/api/challenges/{phase.track.challenge.slug}/tracks/{phase.track.number}/test/submissions/"
    with open(pred, "rb") as archive:
        form = {"archive": archive, "method_name": "Synthetic", "declared_parameters": 1000}
        return api.post(url, form, format="multipart")


def wait_for(predicate: Any, timeout: float, what: str, worker: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    from lidserver.celery import app

    log = worker.log() if worker is not None else ""
    broker = app.conf.broker_write_url or app.conf.broker_url
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (tasks sent to {broker})\n{log}")


def wait_finished(api: APIClient, sub_id: int, worker: Any, timeout: float = 120) -> dict[str, Any]:
    """The submission's API body once it is scored, rejected or failed."""

    def finished() -> Any:
        body = api.get(f"/api/submissions/{sub_id}/").json()
        return body if body["status"] in FINAL else None

    return wait_for(finished, timeout, f"submission {sub_id} to be scored", worker)


def cli_metrics(track: int, store: Path, pred: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "evaluation", "score", "--track", str(track), "--gt", str(store),
               "--pred", str(pred), "--json"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("track", [1, 3])
def test_upload_is_scored_by_a_worker_like_the_command_line(
    track: int, celery_worker_process: Any, tmp_path: Path
) -> None:
    phase, api, store, pred = prepare(track, 6, tmp_path)
    response = post_archive(api, phase, pred)
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    # Committed, sent to the broker and marked queued before the answer was built (the worker may
    # even have claimed it already).
    assert response.json()["status"] in ("queued", "running", "scored")
    body = wait_finished(api, sub_id, celery_worker_process)
    assert body["status"] == "scored", body
    expected = cli_metrics(track, store, pred)
    key = "mean_iou" if track in (1, 2) else "peak_iou"
    assert body["score"] == pytest.approx(expected[key], abs=1e-12)
    for name in ("mean_iou", "mean_accuracy", "pixel_accuracy", "peak_iou", "peak_threshold"):
        if name in expected:
            assert body["metrics"][name] == pytest.approx(expected[name], abs=1e-12), name
    if track == 3:
        assert body["curve"]["mean"] == pytest.approx(expected["curve"], abs=1e-12)
    else:
        iou = [None if v is None or v != v else v for v in expected["per_class_iou"]]
        assert [v is None for v in body["per_class"]["iou"]] == [v is None for v in iou]
        assert [v for v in body["per_class"]["iou"] if v is not None] == pytest.approx(
            [v for v in iou if v is not None]
        )
    assert body["scorer_version"] == evaluation.SCORER_VERSION
    assert body["ci"][0] <= body["ci"][1]
    assert LeaderboardEntry.objects.filter(phase=phase, submission_id=sub_id).count() == 2
    # The worker sent the uploader's notice (console backend: it is in the worker's output).
    wait_for(lambda: f"Submission {sub_id} scored" in celery_worker_process.log(), 10, "the e-mail")


def test_a_worker_killed_mid_scoring_is_rescued_and_scores_once(
    celery_worker_factory: Any, tmp_path: Path, settings: Any
) -> None:
    # Enough images (50 synthetic ones, each under 30 ids) that scoring takes seconds: time to kill it.
    phase, api, store, pred = prepare(3, 50, tmp_path, copies=30)
    worker = celery_worker_factory()
    response = post_archive(api, phase, pred)
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    wait_for(
        lambda: Submission.objects.filter(pk=sub_id, status=Status.RUNNING).exists(), 60, "scoring to start", worker
    )
    worker.kill()
    sub = Submission.objects.get(pk=sub_id)
    assert (sub.status, sub.attempts) == (Status.RUNNING, 1), "scoring finished before the kill: use more images"

    # Beat's job, run once the dead worker's lease has expired; a fresh worker picks the re-queued task up.
    assert submissions_requeue_stuck() == {"requeued": 0, "failed": 0}
    assert submissions_requeue_stuck(now=timezone.now() + settings.SCORING_LEASE) == {"requeued": 1, "failed": 0}
    worker = celery_worker_factory()
    wait_for(
        lambda: Submission.objects.filter(pk=sub_id, status__in=FINAL).exists(), 180, "the rescued scoring", worker
    )
    sub = Submission.objects.get(pk=sub_id)
    assert (sub.status, sub.attempts) == (Status.SCORED, 2)
    assert sub.score == pytest.approx(cli_metrics(3, store, pred)["peak_iou"], abs=1e-12)
    assert LeaderboardEntry.objects.filter(phase=phase).count() == 2
    assert worker.log().count(f"Submission {sub_id} scored") == 1
