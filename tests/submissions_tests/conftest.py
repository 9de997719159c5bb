"""Fixtures of the submissions tests: an open phase, a team, zips of PNGs, a recorded task queue."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PhaseFactory, TeamFactory, UserFactory


def png_bytes(array: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(images: dict[str, Any]) -> bytes:
    """A zip holding one PNG per name (``{"a": 2-D array}`` -> ``a.png``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in images.items():
            archive.writestr(f"{name}.png", png_bytes(array))
    return buffer.getvalue()


def distinct_zip(seed: int) -> bytes:
    """A small valid-looking prediction zip whose bytes differ for every seed."""
    rng = np.random.default_rng(seed)
    return zip_of({"img0": rng.integers(0, 3, (8, 8)), "img1": rng.integers(0, 3, (8, 8))})


def upload(content: bytes, name: str = "preds.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


@pytest.fixture
def phase(db: Any) -> Any:
    return PhaseFactory(track__number=1, split="test", max_submissions=5)


@pytest.fixture
def member(phase: Any) -> Any:
    return UserFactory(username="alice")


@pytest.fixture
def team(phase: Any, member: Any) -> Any:
    return TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=member)


@pytest.fixture
def client(member: Any, team: Any) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=member)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[dict[str, Any]]:
    """Scoring tasks sent to the broker, recorded instead (what ``apply_async`` received)."""
    from submissions.tasks import score_submission

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        score_submission,
        "apply_async",
        lambda kwargs=None, countdown=None, **kw: sent.append({**kwargs, "countdown": countdown}),
    )
    return sent


def form(seed: int = 0, **overrides: Any) -> dict[str, Any]:
    data = {
        "archive": upload(distinct_zip(seed)),
        "method_name": "DeepLab v3+",
        "method_description": "ResNet-101 backbone, CRF post-processing.",
        "declared_parameters": 59_000_000,
    }
    data.update(overrides)
    return data


def phase_url(phase: Any) -> str:
    return f"/api/challenges/{phase.track.challenge.slug}/tracks/{phase.track.number}/{phase.split}/submissions/"
