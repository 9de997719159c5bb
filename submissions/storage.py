"""Files of submissions: staging an upload on disk, storing it, fetching it back, removing it.

An upload is never read whole into memory: Django streams anything over 2 MiB to a temporary
file, and smaller uploads are copied to one here, in chunks, while the SHA-256 is computed.
Archives are kept in the default storage (MEDIA_ROOT, or a private S3 bucket: see
``lidserver.object_storage``); nothing else reads a stored file's ``.path``: a worker streams the
archive to a local temporary file (:func:`archive_local_copy`) and removes it afterwards. The
exceptions are :func:`archive_kept_copy` (the copy the pool processes of a machine share for the
shards of a large submission), which hard-links the stored file when the storage is a local folder
on the same filesystem instead of copying 700 MB, and streams it otherwise, and
:func:`stored_file_local` (the shards' partial results the merge reads), which reads a local
folder's file in place and fetches it from object storage.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile

from lidserver.errors import ApplicationError
from submissions.models import Submission, submission_archive_path

CHUNK = 1 << 20


@dataclass(frozen=True)
class StagedUpload:
    upload: UploadedFile
    path: str  # a local file the cheap checks and the store read
    sha256: str
    size: int


def disk_full_error() -> ApplicationError:
    return ApplicationError(
        "storage_full",
        "The server could not store your file because its disk is full; nothing was recorded and no "
        "submission was used. Please try again later.",
        http_status=507,
    )


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a full disk into the sentence above (other OS errors are the platform's: they propagate)."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full_error() from error
        raise


@contextmanager
def stage_upload(upload: UploadedFile) -> Iterator[StagedUpload]:
    """A local path holding the upload and its SHA-256; a spool file made here is removed afterwards."""
    digest, size = hashlib.sha256(), 0
    temporary_path = getattr(upload, "temporary_file_path", None)
    spool_path = None
    with storage_errors():
        if temporary_path is not None:
            path = temporary_path()
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        else:
            upload.seek(0)
            fd, spool_path = tempfile.mkstemp(suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR)
            path = spool_path
            with os.fdopen(fd, "wb") as out:
                for chunk in upload.chunks(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
    try:
        yield StagedUpload(upload=upload, path=path, sha256=digest.hexdigest(), size=size)
    finally:
        if spool_path is not None and os.path.exists(spool_path):
            os.unlink(spool_path)


def archive_store(staged: StagedUpload, instance: Submission) -> str:
    """Store the archive in the default storage at a path that never contains the team's file name."""
    name = submission_archive_path(instance, staged.upload.name or "archive.zip")
    stored = None
    try:
        with storage_errors(), open(staged.path, "rb") as handle:
            stored = default_storage.save(name, File(handle, name=os.path.basename(name)))
    except BaseException:
        archive_delete(stored or name)  # a half-written file must not stay behind
        raise
    return stored


class StoredArchiveTooLarge(Exception):
    """A stored archive is larger than MAX_UPLOAD_BYTES (it cannot have come through the upload)."""


@contextmanager
def archive_local_copy(field: FieldFile) -> Iterator[str]:
    """A local temporary copy of a stored file, streamed in chunks and at most MAX_UPLOAD_BYTES.

    The copy lives in FILE_UPLOAD_TEMP_DIR (or the system's temporary folder) and is removed on
    leaving, whatever happens.
    """
    fd, local = tempfile.mkstemp(suffix=".zip", prefix="lid-archive-", dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        with os.fdopen(fd, "wb") as out:
            _download(field, out)
        yield local
    finally:
        os.unlink(local)


@contextmanager
def stored_file_local(name: str) -> Iterator[str]:
    """A file of the default storage as a local path to read: the file itself when the storage is a
    local folder, otherwise a temporary copy (in FILE_UPLOAD_TEMP_DIR) removed on leaving."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # object storage
        path = None
    if path is not None:
        yield path
        return
    fd, local = tempfile.mkstemp(
        suffix=os.path.splitext(name)[1], prefix="lid-stored-", dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(name, "rb") as source:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        yield local
    finally:
        os.unlink(local)


def _download(field: FieldFile, out: BinaryIO) -> None:
    """Stream a stored file into ``out``, refusing more than MAX_UPLOAD_BYTES."""
    limit = settings.MAX_UPLOAD_BYTES
    too_large = StoredArchiveTooLarge(
        f"The stored archive {field.name} is larger than MAX_UPLOAD_BYTES ({limit} bytes)."
    )
    with field.storage.open(str(field.name), "rb") as source:
        if source.size is not None and source.size > limit:  # known before any byte is fetched
            raise too_large
        s3_object = getattr(source, "obj", None)  # django-storages' S3File: straight to our file
        if s3_object is not None:
            s3_object.download_fileobj(out)
            if out.tell() > limit:
                raise too_large
        else:
            size = 0
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large
                out.write(chunk)


# The archive this pool process holds (a shared lock on its kept copy) while it scores shards of
# one submission: {sha256: file descriptor}.
_held: dict[str, int] = {}


def _kept_folder() -> str:
    return os.path.join(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir(), "lid-shard-archives")


def archive_kept_copy(field: FieldFile, sha256: str) -> str:
    """A local copy of a stored archive, shared by the pool processes of this machine that score
    shards of the same submission: fetched once per machine, not once per shard or process.

    The copy is ``<temporary folder>/lid-shard-archives/<sha256>.zip``. With local storage on the
    same filesystem it is a hard link to the stored file (no byte copied); otherwise it is streamed
    from storage like :func:`archive_local_copy`. This process holds a shared lock (``flock``) on it
    until :func:`archive_kept_release` (or until it asks for another archive, or dies); a copy that
    no process holds is removed by the next release on the machine. So a machine keeps at most one
    archive per pool process.
    """
    if sha256 in _held:
        return os.path.join(_kept_folder(), f"{sha256}.zip")
    archive_kept_release()
    folder = _kept_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{sha256}.zip")
    for _ in range(5):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            _fetch(field, path)
            continue
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:  # not removed by a release between the open and the lock
            _held[sha256] = fd
            return path
        os.close(fd)
    raise OSError(f"could not keep a local copy of {field.name} in {folder}")


def _fetch(field: FieldFile, path: str) -> None:
    partial = f"{path}.{os.getpid()}.part"
    try:
        try:
            os.link(field.storage.path(str(field.name)), partial)
        except (NotImplementedError, OSError):  # object storage, another filesystem: stream it
            with open(partial, "wb") as out:
                _download(field, out)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def archive_kept_release() -> None:
    """Let go of the archive this process holds, and remove the kept copies no process holds."""
    for fd in _held.values():
        os.close(fd)
    _held.clear()
    folder = _kept_folder()
    if not os.path.isdir(folder):
        return
    for entry in os.scandir(folder):
        if entry.name.endswith(".part"):
            _remove_orphan_part(entry.path)
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(entry.path).st_ino == os.fstat(fd).st_ino:
                os.unlink(entry.path)
        except (BlockingIOError, FileNotFoundError):  # held by a process scoring with it, or gone
            pass
        finally:
            os.close(fd)


def _remove_orphan_part(path: str) -> None:
    """A partial copy whose fetching process died (SIGKILL) is removed."""
    pid = path.rsplit(".", 2)[-2]
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    except PermissionError:  # another user's live process
        pass


def archive_delete(name: str | None) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:
            pass
