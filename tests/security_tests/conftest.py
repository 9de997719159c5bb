"""A small world with every role, hostile text in every user-controlled field and a canary ground truth."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User
from challenges.models import GroundTruthNames
from submissions.models import Status, Submission, TeamPhase
from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory

# User text an attacker controls; a page that shows any of these raw has an XSS hole.
XSS_TEAM_A = '<script>alert("team-a")</script>Alpha'
XSS_TEAM_B = "<img src=x onerror=alert('team-b')>Beta"
XSS_METHOD = "<svg onload=alert('method')>Net"
XSS_DESCRIPTION = "<iframe src=javascript:alert('desc')></iframe>description"
XSS_FILE = "<b onmouseover=alert('file')>preds</b>.zip"
XSS_AFFILIATION = "<script>alert('affiliation')</script>Uni"
RAW_MARKERS = ["<script>alert(", "<img src=x onerror", "<svg onload", "<iframe src=javascript", "<b onmouseover"]

# Canaries of the hidden ground truth: none may ever appear in a response.
GT_STORE = "lid2020/track1-test-gtstore-c4n4ry"
GT_INTERNAL_FILES = ["labels-c4n4ry-7f3a.bin", "index-c4n4ry-7f3a.json"]
GT_VALUE_PATTERN = [173, 4, 199, 61, 88, 13, 142, 7]  # the first row of the canary label map


@dataclass
class World:
    challenge: Any
    track: Any
    phase: Any
    val_phase: Any
    team_a: Any
    team_b: Any
    users: dict[str, Any]
    sub_a: Any
    sub_b: Any
    verification_a: Any
    gt_root: Any

    def client(self, role: str, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        if role != "anonymous":
            client.force_login(self.users[role])
        return client

    def token(self, role: str) -> str:
        return Token.objects.get_or_create(user=self.users[role])[0].key


def _archive(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(f"{name}.png", b"not scored here")
    return buf.getvalue()


def _scored(team: Any, user: Any, phase: Any, score: float) -> Submission:
    now = timezone.now()
    sub = Submission(
        phase=phase,
        team=team,
        uploaded_by=user,
        archive_name=XSS_FILE,
        sha256=f"{int(score * 1000):064d}",
        size=100,
        method_name=XSS_METHOD,
        method_description=XSS_DESCRIPTION,
        declared_parameters=25_557_032,
        status=Status.SCORED,
        queued_at=now,
        started_at=now,
        finished_at=now,
        scoring_seconds=1.5,
        scorer_version="test",
        score=score,
        metrics={"mean_iou": score, "mean_accuracy": score, "pixel_accuracy": score},
        per_class={"iou": [score] * 201, "accuracy": [score] * 201},
        ci_low=score - 0.01,
        ci_high=score + 0.01,
    )
    sub.archive.save("a.zip", ContentFile(_archive(["lid_0000"])), save=False)
    sub.save()
    TeamPhase.objects.get_or_create(team=team, phase=phase)
    return sub


def write_canary_ground_truth(root: Any) -> None:
    store = root / GT_STORE
    store.mkdir(parents=True)
    labels = np.zeros((4, 8), dtype=np.uint8)
    labels[0] = GT_VALUE_PATTERN
    (store / GT_INTERNAL_FILES[0]).write_bytes(labels.tobytes())
    (store / GT_INTERNAL_FILES[1]).write_text('{"names": ["lid_0000"]}')


@pytest.fixture
def world(db, settings) -> World:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
    cache.clear()  # the upload throttle and the leaderboard cache live in the local-memory cache
    challenge = ChallengeFactory()
    track = TrackFactory(challenge=challenge, number=1)
    phase = PhaseFactory(track=track, split="test", ground_truth_path=GT_STORE, ground_truth_checksum="0" * 64)
    val_phase = PhaseFactory(track=track, split="val", max_submissions=None)
    users = {
        "member_a": UserFactory(username="alice"),
        "member_a2": UserFactory(username="alfred"),
        "member_b": UserFactory(username="bob"),
        "organizer": UserFactory(username="olga", is_staff=True, is_superuser=True),
        "verifier": UserFactory(username="victor"),
        "outsider": UserFactory(username="oscar"),
    }
    users["verifier"].groups.add(Group.objects.get_or_create(name="verifiers")[0])
    team_a = TeamFactory(
        challenge=challenge,
        name=XSS_TEAM_A,
        affiliation=XSS_AFFILIATION,
        captain=users["member_a"],
        members=[users["member_a2"]],
    )
    team_b = TeamFactory(challenge=challenge, name=XSS_TEAM_B, captain=users["member_b"])
    write_canary_ground_truth(settings.GROUND_TRUTH_ROOT)
    GroundTruthNames.objects.create(phase=phase, names=["lid_0000"], sizes=[[4, 8]])  # the public manifest
    sub_a = _scored(team_a, users["member_a"], phase, 0.61)
    sub_b = _scored(team_b, users["member_b"], phase, 0.52)
    from leaderboard.services import leaderboard_refresh
    from verification.models import VerificationRequest

    leaderboard_refresh(phase=phase)
    verification_a = VerificationRequest(
        phase=phase,
        team=team_a,
        submission=sub_a,
        rank_when_requested=1,
        state=VerificationRequest.State.CODE_UPLOADED,
        code_archive_name=XSS_FILE,
        declared_parameters=1000,
    )
    verification_a.code_archive.save("code.zip", ContentFile(_archive(["train"])), save=False)
    verification_a.save()
    return World(
        challenge,
        track,
        phase,
        val_phase,
        team_a,
        team_b,
        users,
        sub_a,
        sub_b,
        verification_a,
        settings.GROUND_TRUTH_ROOT,
    )


def make_user(username: str) -> User:
    return UserFactory(username=username)


from tests.support.workers import private_broker, start_worker  # noqa: E402, F401 - fixtures
