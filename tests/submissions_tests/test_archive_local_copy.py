"""A worker's local copy of a stored archive: streamed from storage, bounded, removed afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from submissions.models import Submission
from submissions.storage import StoredArchiveTooLarge, archive_local_copy


def stored(content: bytes) -> Submission:
    name = default_storage.save("submissions/test/archive.zip", ContentFile(content))
    sub = Submission()
    sub.archive.name = name
    return sub


def test_the_copy_has_the_stored_bytes_and_is_removed_afterwards(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    sub = stored(b"PK\x05\x06" + bytes(18) + b"x" * 3_000_000)
    with archive_local_copy(sub.archive) as local:
        assert Path(local).parent == tmp_path / "tmp"
        assert Path(local).read_bytes() == (Path(settings.MEDIA_ROOT) / sub.archive.name).read_bytes()
    assert not Path(local).exists()
    assert os.listdir(tmp_path / "tmp") == []


def test_a_stored_file_over_the_upload_limit_is_refused_and_the_copy_removed(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    settings.MAX_UPLOAD_BYTES = 1000
    sub = stored(b"x" * 1001)
    with pytest.raises(StoredArchiveTooLarge, match="larger than MAX_UPLOAD_BYTES"):
        with archive_local_copy(sub.archive):
            pass
    assert os.listdir(tmp_path / "tmp") == []
