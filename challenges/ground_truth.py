"""Loading a phase's ground truth: check it, pack it with the scoring core, record where it is.

Ground truth lives under ``settings.GROUND_TRUTH_ROOT`` only (never under MEDIA_ROOT, which holds
what teams upload), packed by :func:`evaluation.pack_ground_truth` into
``<challenge slug>/track<N>/<split>/``; with object storage configured it is also published to the
private ground-truth bucket/prefix, from where the workers fetch it (``challenges.ground_truth_remote``).
A new store is packed next to the old one and swapped in
only once it is complete, so a failed load leaves the previous ground truth untouched.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.ground_truth_remote import folder_outside_media, ground_truth_publish, remote_enabled
from challenges.models import GroundTruthNames, Phase
from lidserver.errors import ApplicationError


@dataclass(frozen=True)
class GroundTruthLoad:
    phase: Phase
    image_count: int
    checksum: str
    replaced: bool
    names_changed: int  # image names that differ from the store this load replaced (0 when none)


def ground_truth_relative_path(phase: Phase) -> str:
    return f"{phase.track.challenge.slug}/track{phase.track.number}/{phase.split}"


def ground_truth_root() -> Path:
    """GROUND_TRUTH_ROOT, refused when it sits inside MEDIA_ROOT (where uploads are kept)."""
    return folder_outside_media("GROUND_TRUTH_ROOT")


def ground_truth_load(*, phase: Phase, source: Path, actor: Any = None) -> GroundTruthLoad:
    """Pack the PNGs in ``source`` (a folder or a zip of them) as the ground truth of ``phase``.

    The scoring core reads the zip itself (with its archive safety checks) and refuses bad PNGs;
    the store is built beside the current one and swapped in only when its image count is right.
    """
    import evaluation  # the scoring core; imported here so Django starts without it
    from evaluation.manifest import manifest_of

    root = ground_truth_root()
    source = Path(source)
    if not source.exists():
        raise ApplicationError("ground_truth_missing", f"{source} does not exist; give a folder of PNGs or a zip.")
    relative = ground_truth_relative_path(phase)
    final = root / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=f".{phase.split}-load-") as work:
        staging = Path(work) / "store"
        try:
            info = evaluation.pack_ground_truth(phase.track.number, source, staging)
        except evaluation.GroundTruthError as exc:
            raise ApplicationError("ground_truth_invalid", f"The ground truth was refused: {exc}.") from exc
        names = [str(n) for n in info.names]
        old_names = _store_names(final)
        if info.image_count != phase.image_count:
            raise ApplicationError("ground_truth_count", _count_message(phase, info.image_count, names, old_names))
        manifest = manifest_of(evaluation.open_ground_truth(staging))  # ids and sizes: the public manifest
        if remote_enabled():  # object storage: the workers fetch it from there (challenges.ground_truth_remote)
            ground_truth_publish(store=staging, relative=relative, checksum=info.checksum)
        _swap_in(staging, final)
    changed = len(set(names) ^ set(old_names)) if old_names is not None else 0
    return _record(phase, relative, info, manifest, actor, replaced=old_names is not None, names_changed=changed)


def _record(
    phase: Phase, relative: str, info: Any, manifest: Any, actor: Any, *, replaced: bool, names_changed: int
) -> GroundTruthLoad:
    with transaction.atomic():
        phase = Phase.objects.select_for_update().select_related("track__challenge").get(pk=phase.pk)
        previous = phase.ground_truth_checksum
        phase.ground_truth_path = relative
        phase.ground_truth_checksum = info.checksum
        phase.ground_truth_loaded_at = timezone.now()
        phase.save(update_fields=["ground_truth_path", "ground_truth_checksum", "ground_truth_loaded_at"])
        GroundTruthNames.objects.update_or_create(
            phase=phase,
            defaults={
                "names": sorted(str(n).removesuffix(".png") for n in info.names),
                "sizes": [list(manifest.sizes[name]) for name in manifest.names],
            },
        )
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.GROUND_TRUTH_LOADED,
            summary=f"Loaded the ground truth of {phase}: {info.image_count} images, checksum {info.checksum[:12]}.",
            target=phase,
            image_count=info.image_count,
            checksum=info.checksum,
            previous_checksum=previous,
            names_changed=names_changed,
        )
    return GroundTruthLoad(phase, info.image_count, info.checksum, replaced, names_changed)


def _count_message(phase: Phase, count: int, names: list[str], old_names: list[str] | None) -> str:
    message = (
        f"The ground truth has {count} images but {phase} expects {phase.image_count}; "
        "load the complete split (or correct the phase's image count first)."
    )
    if old_names is not None:
        differ = len(set(names) ^ set(old_names))
        if differ:
            message += f" {differ} image names differ from the ground truth loaded now."
    return message


def _store_names(store: Path) -> list[str] | None:
    """Image ids of the store now in place, or None when there is none (or it cannot be read)."""
    import evaluation

    if not store.exists():
        return None
    try:
        names = evaluation.open_ground_truth(store).names
    except Exception:  # an unreadable old store is replaced, not a reason to refuse the new one
        return None
    return [str(n).removesuffix(".png") for n in names]


def _swap_in(staging: Path, final: Path) -> None:
    """Move the finished store into place; the old one is removed only after the new one is there."""
    old = final.with_name(f".{final.name}-old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
