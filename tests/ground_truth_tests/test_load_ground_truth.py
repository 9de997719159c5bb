"""``manage.py load_ground_truth``: folder or zip, packed outside MEDIA_ROOT, counted, recorded, audited."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

import evaluation
from audit.models import AuditLogEntry
from evaluation.synth import make_synthetic
from tests.support.factories import PhaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Four track 1 ground-truth PNGs (ILSVRC2013_lid_00000001..4), and a zip of them in a folder."""
    out = tmp_path_factory.mktemp("synth")
    make_synthetic(1, 4, out, prediction=False)
    with zipfile.ZipFile(out / "gt.zip", "w") as archive:
        for png in sorted((out / "gt").glob("*.png")):
            archive.write(png, f"gt/{png.name}")
    return out


def load(path: Path) -> str:
    out = io.StringIO()
    call_command(
        "load_ground_truth", "--challenge", "lid2020", "--track", "1", "--split", "test", str(path), stdout=out
    )
    return out.getvalue()


def test_folder_is_packed_and_recorded(synthetic):  # type: ignore[no-untyped-def]
    phase = PhaseFactory(image_count=4)
    output = load(synthetic / "gt")
    phase.refresh_from_db()
    store = settings.GROUND_TRUTH_ROOT / "lid2020" / "track1" / "test"
    checksum = evaluation.open_ground_truth(store).checksum
    assert (phase.ground_truth_path, phase.ground_truth_checksum) == ("lid2020/track1/test", checksum)
    assert len(checksum) == 64 and phase.ground_truth_loaded_at is not None
    assert f"Loaded the ground truth of LID 2020 track 1 test: 4 images, checksum {checksum}." in output
    assert not any(settings.MEDIA_ROOT.rglob("*"))  # nothing was written with the uploads
    assert sorted(p.name for p in store.parent.iterdir()) == ["test"]  # no temporary folder left behind
    entry = AuditLogEntry.objects.get(action="ground_truth_loaded")
    assert (entry.target_id, entry.detail["image_count"], entry.detail["checksum"]) == (str(phase.pk), 4, checksum)


def test_zip_gives_the_same_store_as_the_folder(synthetic):  # type: ignore[no-untyped-def]
    phase = PhaseFactory(image_count=4)
    load(synthetic / "gt")
    phase.refresh_from_db()
    from_folder = phase.ground_truth_checksum
    output = load(synthetic / "gt.zip")
    phase.refresh_from_db()
    assert phase.ground_truth_checksum == from_folder
    assert "It replaced earlier ground truth" in output
    assert AuditLogEntry.objects.filter(action="ground_truth_loaded").count() == 2


def test_wrong_count_is_refused_with_both_numbers(synthetic):  # type: ignore[no-untyped-def]
    phase = PhaseFactory(image_count=5, ground_truth_path="")  # none loaded yet
    with pytest.raises(CommandError, match=r"The ground truth has 4 images but LID 2020 track 1 test expects 5;"):
        load(synthetic / "gt")
    phase.refresh_from_db()
    assert (phase.ground_truth_path, phase.ground_truth_checksum, phase.ground_truth_loaded_at) == ("", "", None)
    assert not (settings.GROUND_TRUTH_ROOT / "lid2020" / "track1" / "test").exists()
    assert not AuditLogEntry.objects.exists()


def test_wrong_count_says_how_many_names_differ_from_the_store_in_place(synthetic, tmp_path):  # type: ignore[no-untyped-def]
    phase = PhaseFactory(image_count=4)
    load(synthetic / "gt")
    phase.refresh_from_db()
    before = phase.ground_truth_checksum
    three = tmp_path / "three"
    shutil.copytree(synthetic / "gt", three)
    (three / "ILSVRC2013_lid_00000004.png").unlink()
    shutil.copy(three / "ILSVRC2013_lid_00000003.png", three / "other_image.png")
    (three / "ILSVRC2013_lid_00000003.png").unlink()
    # New: 1, 2, other_image; in place: 1, 2, 3, 4 -> 3 names differ (3, 4 gone; other_image new).
    with pytest.raises(CommandError) as refused:
        load(three)
    assert str(refused.value) == (
        "The ground truth has 3 images but LID 2020 track 1 test expects 4; load the complete split "
        "(or correct the phase's image count first). 3 image names differ from the ground truth loaded now."
    )
    phase.refresh_from_db()
    assert phase.ground_truth_checksum == before
    assert evaluation.open_ground_truth(settings.GROUND_TRUTH_ROOT / phase.ground_truth_path).checksum == before


def test_ground_truth_root_inside_media_root_is_refused(synthetic, settings):  # type: ignore[no-untyped-def]
    PhaseFactory(image_count=4)
    settings.GROUND_TRUTH_ROOT = settings.MEDIA_ROOT / "gt"
    with pytest.raises(CommandError, match=r"is inside MEDIA_ROOT .*; ground truth must never sit with uploaded files"):
        load(synthetic / "gt")
    assert not any(settings.MEDIA_ROOT.rglob("*"))


def test_core_refusal_becomes_a_command_error(tmp_path):  # type: ignore[no-untyped-def]
    PhaseFactory(image_count=1)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(CommandError, match="The ground truth was refused: "):
        load(tmp_path)
    assert not AuditLogEntry.objects.exists()


def test_unknown_phase(tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No phase test of track 1 in challenge 'lid2020'; load the challenge first"):
        load(tmp_path)


def test_challenge_may_be_left_out_when_there_is_only_one(synthetic):  # type: ignore[no-untyped-def]
    phase = PhaseFactory(image_count=4)
    out = io.StringIO()
    call_command("load_ground_truth", "--track", "1", "--split", "test", str(synthetic / "gt"), stdout=out)
    phase.refresh_from_db()
    assert phase.ground_truth_path == "lid2020/track1/test"


def test_challenge_must_be_named_when_there_are_several(synthetic):  # type: ignore[no-untyped-def]
    PhaseFactory(image_count=4)
    PhaseFactory(image_count=4, track__challenge__slug="other", track__challenge__short_title="Other")
    with pytest.raises(CommandError, match=r"^Say which challenge with --challenge SLUG: there are several"):
        call_command("load_ground_truth", "--track", "1", "--split", "test", str(synthetic / "gt"))


def test_image_ids_are_stored_for_the_upload_check(synthetic):  # type: ignore[no-untyped-def]
    """The web process checks names against these, so it never opens the store itself."""
    from challenges.models import GroundTruthNames

    phase = PhaseFactory(image_count=4)
    load(synthetic / "gt")
    assert GroundTruthNames.objects.get(phase=phase).names == [f"ILSVRC2013_lid_0000000{i}" for i in range(1, 5)]
