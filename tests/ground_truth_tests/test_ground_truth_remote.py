"""Ground truth through a ``ground_truth`` storage (object storage in production; a folder here).

load_ground_truth publishes the packed store; a worker's ``ground_truth_store`` fetches it into
GROUND_TRUTH_CACHE, verified by checksum, and fetches it again when the cached copy is damaged.
The same path over a real S3 server: tests/integration/test_object_storage.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import evaluation
from challenges import ground_truth_remote
from evaluation.synth import make_synthetic
from submissions.evaluate import GroundTruthMissing, ground_truth_store
from tests.support.factories import PhaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote(settings, tmp_path: Path) -> Path:
    """A ``ground_truth`` storage in a folder of its own (what S3 is in production)."""
    bucket = tmp_path / "bucket"
    settings.STORAGES = {
        **settings.STORAGES,
        "ground_truth": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": bucket}},
    }
    ground_truth_remote._verified_here.clear()
    return bucket


def load(tmp_path: Path) -> tuple[object, str]:
    make_synthetic(1, 4, tmp_path / "synth", prediction=False)
    phase = PhaseFactory(image_count=4)
    call_command(
        "load_ground_truth", "--challenge", "lid2020", "--track", "1", "--split", "test",
        str(tmp_path / "synth" / "gt"), stdout=io.StringIO(),
    )  # fmt: skip
    phase.refresh_from_db()
    return phase, phase.ground_truth_checksum


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_publishes_the_store_with_its_manifest(remote: Path, tmp_path: Path, settings) -> None:
    phase, checksum = load(tmp_path)
    published = remote / "lid2020" / "track1" / "test" / checksum
    local = settings.GROUND_TRUTH_ROOT / "lid2020" / "track1" / "test"
    names = sorted(p.name for p in local.iterdir())
    assert sorted(p.name for p in published.iterdir()) == sorted([*names, "manifest.json"])
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest == {
        "checksum": checksum,
        "files": {n: {"size": (local / n).stat().st_size, "sha256": sha256(local / n)} for n in names},
    }
    assert not any(Path(settings.MEDIA_ROOT).rglob("*"))


def test_a_worker_fetches_verifies_and_refetches_a_damaged_copy(remote: Path, tmp_path: Path, settings) -> None:
    phase, checksum = load(tmp_path)
    path = ground_truth_store(phase)
    assert path == Path(settings.GROUND_TRUTH_CACHE).resolve() / checksum
    assert evaluation.open_ground_truth(path).checksum == checksum
    labels = path / "labels.bin"
    good = labels.read_bytes()

    # Damaged in place (same size): detected, fetched again, the same bytes as published.
    labels.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    assert ground_truth_store(phase) == path
    assert labels.read_bytes() == good

    # A new process (nothing remembered) checks every file in full, even when times were kept.
    stat = labels.stat()
    labels.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    os.utime(labels, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    ground_truth_remote._verified_here.clear()
    assert ground_truth_store(phase) == path
    assert labels.read_bytes() == good

    # A missing file too.
    (path / "histograms.npy").unlink()
    assert ground_truth_store(phase) == path
    assert sorted(p.name for p in path.iterdir()) == sorted(
        p.name for p in (remote / phase.ground_truth_path / checksum).iterdir()
    )
    assert [p.name for p in path.parent.iterdir()] == [checksum]  # no work or old folders left behind


def test_a_corrupt_object_in_storage_is_refused_not_cached(remote: Path, tmp_path: Path, settings) -> None:
    phase, checksum = load(tmp_path)
    published = remote / phase.ground_truth_path / checksum / "labels.bin"
    good = published.read_bytes()
    published.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    with pytest.raises(ground_truth_remote.GroundTruthCorrupt, match="different SHA-256"):
        ground_truth_store(phase)
    assert not any(Path(settings.GROUND_TRUTH_CACHE).iterdir())  # nothing half-fetched stays


def test_a_store_never_published_is_missing_ground_truth(remote: Path, tmp_path: Path) -> None:
    phase = PhaseFactory(image_count=4, ground_truth_path="lid2020/track1/test", ground_truth_checksum="ab" * 32)
    with pytest.raises(GroundTruthMissing, match="not in object storage.*load_ground_truth"):
        ground_truth_store(phase)


def test_a_cache_inside_media_root_is_refused(remote: Path, tmp_path: Path, settings) -> None:
    phase, _ = load(tmp_path)
    settings.GROUND_TRUTH_CACHE = Path(settings.MEDIA_ROOT) / "cache"
    with pytest.raises(Exception, match=r"GROUND_TRUTH_CACHE .* is inside MEDIA_ROOT"):
        ground_truth_store(phase)
    assert not any(Path(settings.MEDIA_ROOT).rglob("*"))


def test_a_failed_publication_records_nothing(settings, tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    bucket.write_text("not a folder")  # every save into it fails
    settings.STORAGES = {
        **settings.STORAGES,
        "ground_truth": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": bucket}},
    }
    with pytest.raises(CommandError, match="could not be copied to object storage.*load it again"):
        load(tmp_path)
