"""Prediction archives for tests (real PNGs in real zips, built in memory) and the upload form around them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from submissions.models import Submission
from submissions.services import submission_create


def png_bytes(array: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(images: dict[str, Any]) -> bytes:
    """A zip holding one PNG per name (``{"a": 2-D array}`` -> ``a.png``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in images.items():
            # A fixed timestamp: writestr(name) stamps the current time, so the same images zipped
            # on either side of a two-second tick would give different bytes (and SHA-256).
            info = zipfile.ZipInfo(f"{name}.png", date_time=(2020, 3, 22, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, png_bytes(array))
    return buffer.getvalue()


def distinct_zip(seed: int) -> bytes:
    """A small valid-looking prediction zip whose bytes differ for every seed."""
    rng = np.random.default_rng(seed)
    return zip_of({"img0": rng.integers(0, 3, (8, 8)), "img1": rng.integers(0, 3, (8, 8))})


def upload(content: bytes, name: str = "preds.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


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


def submit(phase: Any, team: Any, user: Any, predictions: dict[str, Any], name: str = "p.zip") -> Submission:
    return submission_create(
        phase=phase, team=team, user=user, uploaded_file=upload(zip_of(predictions), name),
        method_name="CAM + CRF", method_description="", declared_parameters=1000,
    )  # fmt: skip
