"""Uploading through the real HTTP API and scoring in-process, for the hostile-archive tests."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from challenges.models import GroundTruthNames
from tests.security_tests import hostile
from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory

URL = "/api/challenges/lid2020/tracks/{track}/{split}/submissions/"


def evaluation_or_skip() -> Any:
    try:
        import evaluation

        evaluation.pack_ground_truth  # noqa: B018 - the interface the server scores with
        evaluation.score_archive  # noqa: B018
    except (ImportError, AttributeError) as error:
        pytest.skip(f"the scoring core (evaluation/) is not complete yet: {error}")
    return evaluation


def pack(evaluation: Any, track: int, gt: dict[str, np.ndarray], work: Path, store: Path) -> Any:
    source = work / f"gt_source_{track}"
    source.mkdir(parents=True, exist_ok=True)
    for name, labels in gt.items():
        Image.fromarray(labels).save(source / f"{name}.png")
    return evaluation.pack_ground_truth(track, source, store)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its SHA-256 (symlinks recorded as such, never followed)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                found[os.path.relpath(path, root)] = "symlink->" + os.readlink(path)
            else:
                found[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


@dataclass
class UploadWorld:
    phase: Any
    team: Any
    user: Any
    client: APIClient
    sample: hostile.Sample
    gt: dict[str, np.ndarray]
    url: str

    def upload(self, data: bytes, filename: str = "predictions.zip", **fields: Any) -> Any:
        cache.clear()  # the per-user upload throttle is not what these tests are about
        payload = {
            "archive": SimpleUploadedFile(filename, data, content_type="application/zip"),
            "method_name": fields.get("method_name", "Hostile"),
            "method_description": fields.get("method_description", ""),
            "declared_parameters": fields.get("declared_parameters", 1000),
        }
        return self.client.post(self.url, payload, format="multipart")

    def quota(self) -> dict[str, Any]:
        return self.client.get(self.url.replace("submissions/", "")).json()["quota"]


def make_upload_world(
    settings: Any,
    tmp_path: Path,
    *,
    track: int = 1,
    max_submissions: int | None = 5,
    count: int = 4,
    shape: tuple[int, int] = (24, 32),
) -> UploadWorld:
    evaluation = evaluation_or_skip()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    gt, sample = hostile.make_sample(track, count=count, shape=shape)
    store_rel = f"lid2020/track{track}-test"
    info = pack(evaluation, track, gt, tmp_path, settings.GROUND_TRUTH_ROOT / store_rel)
    challenge = ChallengeFactory()
    phase = PhaseFactory(
        track=TrackFactory(challenge=challenge, number=track),
        split="test",
        image_count=len(gt),
        max_submissions=max_submissions,
        max_rejected_per_day=10_000,
        ground_truth_path=store_rel,
        ground_truth_checksum=getattr(info, "checksum", ""),
    )
    # What load_ground_truth records besides the store: the ids the web process checks uploads against.
    GroundTruthNames.objects.create(phase=phase, names=sorted(gt))
    user = UserFactory(username=f"uploader{track}")
    team = TeamFactory(challenge=challenge, name=f"Uploaders {track}", captain=user)
    client = APIClient()
    client.force_authenticate(user)
    return UploadWorld(phase, team, user, client, sample, gt, URL.format(track=track, split="test"))


def run_queued_scoring(submission_id: int) -> None:
    """What the worker does with the message, run here (the integration tests use a real worker)."""
    from submissions.tasks import score_submission

    score_submission.run(submission_id=submission_id)
