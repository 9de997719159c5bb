"""A full disk during an upload: a clear error, no row, no slot, no half-written file."""

from __future__ import annotations

import errno
import os

import pytest

from submissions.models import Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world
from tests.support import harness

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def big_valid_archive(sample: hostile.Sample) -> bytes:
    """A valid archive of about 3 MiB: the predictions plus an ignored, incompressible Thumbs.db."""
    import numpy as np

    members = {**sample.pngs(), "Thumbs.db": np.random.default_rng(1).bytes(3 * 2**20)}
    return hostile.zip_bytes(members)


def assert_refused_cleanly(up, response, media_root) -> None:
    body = response.json()
    assert response.status_code == 507, body
    assert body["code"] == "storage_full"
    assert "disk is full" in body["message"] and "no submission was used" in body["message"]
    assert Submission.objects.count() == 0
    assert up.quota()["used"] == 0
    leftovers = [os.path.join(d, f) for d, _, files in os.walk(media_root) for f in files]
    assert leftovers == []


def test_disk_full_on_a_real_small_tmpfs(settings, tmp_path):
    up = make_upload_world(settings, tmp_path)
    with harness.tmpfs(tmp_path / "small_media", size="2m") as media:
        settings.MEDIA_ROOT = media
        response = up.upload(big_valid_archive(up.sample))
        assert_refused_cleanly(up, response, media)
        # Space again: the same upload now succeeds (the error was the disk's, not the archive's).
        settings.MEDIA_ROOT = tmp_path / "media"
        assert up.upload(big_valid_archive(up.sample)).status_code == 201


def test_disk_full_reported_by_the_storage_write(settings, tmp_path, monkeypatch):
    """The same through a patched write, for machines where mounting a tmpfs is not permitted."""
    from django.core.files.storage import FileSystemStorage

    def full(self, name, content):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    up = make_upload_world(settings, tmp_path)
    monkeypatch.setattr(FileSystemStorage, "_save", full)
    response = up.upload(hostile.zip_bytes(up.sample.pngs()))
    assert_refused_cleanly(up, response, settings.MEDIA_ROOT / "submissions")
