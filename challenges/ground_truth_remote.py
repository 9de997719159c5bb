"""Ground truth in object storage: published by ``load_ground_truth``, fetched by workers.

Used only when object storage is configured (``S3_BUCKET``: the ``ground_truth`` storage of
``settings.STORAGES``, a private bucket/prefix apart from the uploads). Without it the stores stay
in GROUND_TRUTH_ROOT, which the workers read directly.

A store is published under ``<challenge>/track<N>/<split>/<checksum>/``: its files, then
``manifest.json`` (each file's size and SHA-256) last, so a store is complete once its manifest is
there. A worker fetches it into ``GROUND_TRUTH_CACHE/<checksum>/``, checks every file against the
manifest and the store's own checksum against the phase's, and moves it into place only then. A
cached store is checked in full once per process (and again whenever a file's size or time
changes); one that fails the check is fetched again. The web process never calls this module.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from lidserver.errors import ApplicationError
from lidserver.object_storage import GROUND_TRUTH_STORAGE

MANIFEST = "manifest.json"
CHUNK = 1 << 20
# checksum -> the (name, size, mtime_ns) of the cached files when this process last verified them
_verified_here: dict[str, list[tuple[str, int, int]]] = {}


class GroundTruthNotPublished(Exception):
    """The store of the phase's checksum is not in object storage (load the ground truth again)."""


class GroundTruthCorrupt(Exception):
    """A fetched file does not match the manifest (a transfer error: fetching again may help)."""


def remote_enabled() -> bool:
    return GROUND_TRUTH_STORAGE in settings.STORAGES


def remote_storage() -> Storage:
    return storages[GROUND_TRUTH_STORAGE]


def remote_prefix(relative: str, checksum: str) -> str:
    return f"{relative.strip('/')}/{checksum}"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ground_truth_publish(*, store: Path, relative: str, checksum: str) -> str:
    """Upload the packed ``store`` to the ground-truth storage; the manifest goes last. Returns the prefix."""
    storage = remote_storage()
    prefix = remote_prefix(relative, checksum)
    files = {}
    try:
        for path in sorted(p for p in store.iterdir() if p.is_file()):
            files[path.name] = {"size": path.stat().st_size, "sha256": _digest(path)}
            _replace(storage, f"{prefix}/{path.name}", path)
        manifest = store.parent / f".{store.name}-{MANIFEST}"
        manifest.write_text(json.dumps({"checksum": checksum, "files": files}, indent=1, sort_keys=True))
        try:
            _replace(storage, f"{prefix}/{MANIFEST}", manifest)
        finally:
            manifest.unlink()
    except Exception as error:
        raise ApplicationError(
            "ground_truth_publish_failed",
            f"The ground truth was packed but could not be copied to object storage ({error}); nothing was "
            "recorded. Check the S3_* settings and that the bucket exists, then load it again.",
        ) from error
    return prefix


def _replace(storage: Storage, name: str, path: Path) -> None:
    storage.delete(name)
    with open(path, "rb") as handle:
        saved = storage.save(name, File(handle, name=path.name))
    if saved != name:
        raise RuntimeError(f"the storage kept {name} as {saved}")


def folder_outside_media(setting: str) -> Path:
    """The folder named by ``setting`` (GROUND_TRUTH_ROOT, GROUND_TRUTH_CACHE), refused when it sits
    inside MEDIA_ROOT, where uploads are kept: the one rule for every place ground truth lies on disk."""
    root = Path(getattr(settings, setting)).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if root == media or root.is_relative_to(media):
        raise ApplicationError(
            "ground_truth_under_media_root",
            f"{setting} ({root}) is inside MEDIA_ROOT ({media}); ground truth must never sit with uploaded "
            f"files. Set {setting} to a folder outside MEDIA_ROOT and try again.",
        )
    return root


def cache_root() -> Path:
    """GROUND_TRUTH_CACHE, refused when it sits inside MEDIA_ROOT."""
    return folder_outside_media("GROUND_TRUTH_CACHE")


def ground_truth_cached(*, relative: str, checksum: str) -> Path:
    """The local, verified copy of the store ``checksum`` (fetched from object storage when needed)."""
    if not checksum:
        raise GroundTruthNotPublished(f"The ground truth {relative} has no checksum recorded; load it again.")
    folder = cache_root() / checksum
    if cache_verified(folder, checksum):
        return folder
    return _fetch(relative, checksum, folder)


def _stamp(folder: Path, names: Any) -> list[tuple[str, int, int]]:
    stats = [(name, (folder / name).stat()) for name in sorted(names)]
    return [(name, st.st_size, st.st_mtime_ns) for name, st in stats]


def cache_verified(folder: Path, checksum: str) -> bool:
    """Whether ``folder`` holds exactly the store ``checksum``: every file's SHA-256 and the store's checksum."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
        stamp = _stamp(folder, [*files, MANIFEST])
        if _verified_here.get(checksum) == stamp:
            return True
        if manifest["checksum"] != checksum:
            return False
        for name, expected in files.items():
            if (folder / name).stat().st_size != expected["size"] or _digest(folder / name) != expected["sha256"]:
                return False
        if _store_checksum(folder) != checksum:
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    _verified_here[checksum] = stamp
    return True


def _store_checksum(folder: Path) -> str:
    import evaluation

    store = evaluation.open_ground_truth(folder)
    try:
        return str(store.checksum)
    finally:
        store.close()


def _fetch(relative: str, checksum: str, folder: Path) -> Path:
    storage = remote_storage()
    prefix = remote_prefix(relative, checksum)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{checksum[:16]}-fetch-"))
    try:
        try:
            with storage.open(f"{prefix}/{MANIFEST}", "rb") as handle:
                raw = handle.read()
        except (FileNotFoundError, OSError) as error:
            raise GroundTruthNotPublished(
                f"The ground truth {prefix} is not in object storage ({error}); load it again with load_ground_truth."
            ) from error
        manifest = json.loads(raw)
        for name, expected in manifest["files"].items():
            if "/" in name or name.startswith(".") or name == MANIFEST:
                raise GroundTruthCorrupt(f"the manifest of {prefix} names an unexpected file {name!r}")
            digest = hashlib.sha256()
            with storage.open(f"{prefix}/{name}", "rb") as source, open(work / name, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected["sha256"]:
                raise GroundTruthCorrupt(f"{prefix}/{name} arrived with a different SHA-256 than its manifest says")
        (work / MANIFEST).write_bytes(raw)
        if not cache_verified(work, checksum):
            raise GroundTruthCorrupt(f"the store fetched from {prefix} does not have the checksum {checksum}")
        _verified_here.pop(checksum, None)  # the stamp recorded was the work folder's
        _move_into_place(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not cache_verified(folder, checksum):
        raise GroundTruthCorrupt(f"the cached store {folder} changed while it was being put in place")
    return folder


def _move_into_place(work: Path, folder: Path) -> None:
    """Swap the verified ``work`` in; a process still reading the old copy keeps its open file."""
    old = folder.with_name(f".{folder.name}-old-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        try:
            folder.rename(old)
        except FileNotFoundError:
            pass  # another process moved it away first
    try:
        work.rename(folder)
    except OSError:
        pass  # another process put its verified copy there first: that one is checked by the caller
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
