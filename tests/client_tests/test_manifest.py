"""A split's public manifest (image ids and sizes): served by the API, written for organizers by the
scoring core's command line, and what ``lid validate --manifest/--split`` and ``lid submit`` check."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from lid_client.cli import main
from PIL import Image

from submissions.models import Submission
from tests.client_tests.conftest import REPO, Synthetic, write_zip
from tests.client_tests.test_submit import SUBMIT

URL = "/api/challenges/lid2020/tracks/1/test/manifest/"


def hand_made_manifest(gt_dir: Path) -> dict[str, Any]:
    """The manifest from the ground-truth PNGs themselves, read with Pillow."""
    images = []
    for png in sorted(gt_dir.glob("*.png")):
        with Image.open(png) as image:
            images.append({"id": png.stem, "height": image.height, "width": image.width})
    return {
        "format": "lid-manifest",
        "version": 1,
        "challenge": "lid2020",
        "track": 1,
        "split": "test",
        "image_count": len(images),
        "images": images,
    }


def scoring_error(gt: Path, archive: Path) -> tuple[str, str]:
    from tests.client_tests.test_validate import scoring_error as worker_error

    return worker_error(gt, archive)


def with_member(synthetic: Synthetic, out: Path, change: Any) -> Path:
    """The synthetic predictions, with ``change(members)`` applied to the {name: bytes} dict."""
    with zipfile.ZipFile(synthetic.pred) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    return write_zip(out, members)


def shrink_first(members: dict[str, bytes]) -> None:
    name = sorted(members)[0]
    image = Image.open(io.BytesIO(members[name]))
    buffer = io.BytesIO()
    image.crop((0, 0, image.width - 1, image.height)).save(buffer, format="PNG")
    members[name] = buffer.getvalue()


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_serves_the_ids_and_sizes_once_the_ground_truth_is_loaded(
    phase: Any, settings: Any, synthetic: Synthetic
) -> None:
    from challenges.ground_truth import ground_truth_load

    before = Client().get(URL)
    assert (before.status_code, before.json()) == (
        404,
        {
            "code": "manifest_unavailable",
            "message": "The image list of track 1 test is not published yet; check the archive without it, "
            "or ask the organizers for the manifest file.",
            "detail": None,
        },
    )
    ground_truth_load(phase=phase, source=synthetic.gt_dir)
    response = Client().get(URL)  # anonymous: the ids and sizes are public, like the test images
    assert response.status_code == 200
    assert response.json() == hand_made_manifest(synthetic.gt_dir)


def test_the_organizers_file_is_the_apis_document(phase: Any, synthetic: Synthetic, tmp_path: Path) -> None:
    from challenges.ground_truth import ground_truth_load

    ground_truth_load(phase=phase, source=synthetic.gt_dir)
    out = tmp_path / "manifest.json"
    result = subprocess.run(
        [sys.executable, "-m", "evaluation.manifest", "--track", "1", "--challenge", "lid2020", "--split", "test"]
        + [str(synthetic.store), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"Wrote the manifest of 3 track 1 images to {out}.\n"
    assert json.loads(out.read_text()) == Client().get(URL).json() == hand_made_manifest(synthetic.gt_dir)


def test_the_organizers_command_refuses_a_missing_ground_truth(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evaluation.manifest", "--track", "1", str(tmp_path / "nope"), str(tmp_path / "m.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"Ground truth problem: {tmp_path / 'nope'} is not a folder of ground-truth PNGs or a ground-truth store\n"
    )
    assert not (tmp_path / "m.json").exists()


# --- lid validate --manifest FILE ------------------------------------------------------------------


@pytest.fixture
def manifest_file(synthetic: Synthetic, tmp_path: Path) -> Path:
    path = tmp_path / "track1-test.json"
    path.write_text(json.dumps(hand_made_manifest(synthetic.gt_dir)))
    return path


def test_a_good_archive_passes_the_manifest(synthetic: Synthetic, manifest_file: Path, capsys: Any) -> None:
    assert main(["validate", "--track", "1", "--manifest", str(manifest_file), str(synthetic.pred)]) == 0
    assert capsys.readouterr().out == (
        f"pred.zip passes the server's checks for track 1 test: 3 PNG files, exactly the image ids of the manifest "
        f"{manifest_file}, each with its width and height, all readable label maps.\n"
    )
    assert main(["validate", "--track", "1", "--json", "--manifest", str(manifest_file), str(synthetic.pred)]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "images": 3, "manifest": str(manifest_file)}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.pop(sorted(m)[0]), id="a-missing-image"),
        pytest.param(lambda m: m.__setitem__("not-an-id.png", m[sorted(m)[0]]), id="an-extra-image"),
        pytest.param(shrink_first, id="one-pixel-narrower"),
    ],
)
def test_what_the_server_would_refuse_is_refused_with_its_message(
    synthetic: Synthetic, manifest_file: Path, tmp_path: Path, capsys: Any, change: Any
) -> None:
    bad = with_member(synthetic, tmp_path / "pred.zip", change)
    code, message = scoring_error(synthetic.gt_dir, bad)  # the server's check, then the worker's
    assert main(["validate", "--track", "1", "--manifest", str(manifest_file), str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {message} [{code}]\n"
    # Without the manifest the names and sizes cannot be checked: a narrower image passes.
    if code == "size_mismatch":
        assert main(["validate", "--track", "1", str(bad)]) == 0


def test_a_manifest_of_another_track_is_refused(synthetic: Synthetic, manifest_file: Path, capsys: Any) -> None:
    assert main(["validate", "--track", "2", "--manifest", str(manifest_file), str(synthetic.pred)]) == 2
    assert capsys.readouterr().err == (
        f"lid: {manifest_file} lists the images of track 1, not track 2; give the manifest of track 2 or --track 1.\n"
    )


def test_a_file_that_is_not_a_manifest(synthetic: Synthetic, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"images": []}')
    assert main(["validate", "--track", "1", "--manifest", str(path), str(synthetic.pred)]) == 2
    assert capsys.readouterr().err == (
        f'lid: The manifest {path} cannot be used: it is not a LID manifest (no "format": "lid-manifest"). '
        "[bad_manifest]\n"
    )


# --- lid validate --split (the server's manifest) and lid submit ---------------------------------------


def test_validate_against_the_servers_manifest(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, tmp_path: Path, capsys: Any
) -> None:
    assert main(["validate", "--track", "1", "--split", "test", str(synthetic.pred)]) == 0
    assert capsys.readouterr().out == (
        f"pred.zip passes the server's checks for track 1 test: 3 PNG files, exactly the image ids of the manifest "
        f"{logged_in}{URL}, each with its width and height, all readable label maps.\n"
    )
    bad = with_member(synthetic, tmp_path / "narrow.zip", shrink_first)
    code, message = scoring_error(synthetic.gt_dir, bad)
    assert main(["validate", "--track", "1", "--split", "test", str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {message} [{code}]\n"


def test_validate_before_the_ground_truth_is_loaded(
    logged_in: str, phase: Any, synthetic: Synthetic, capsys: Any
) -> None:
    assert main(["validate", "--track", "1", "--split", "test", str(synthetic.pred)]) == 0
    assert capsys.readouterr().out == (
        "pred.zip passes the checks for track 1: 3 PNG files, all readable label maps. The server also checks "
        "the names and image sizes against the ground truth; it has not published them for this split yet.\n"
    )


def test_submit_refuses_locally_what_the_worker_would_reject(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, tmp_path: Path, capsys: Any
) -> None:
    """A one-pixel-narrower PNG passes the upload's cheap checks but not the worker: it never leaves."""
    bad = with_member(synthetic, tmp_path / "narrow.zip", shrink_first)
    code, message = scoring_error(synthetic.gt_dir, bad)
    assert code == "size_mismatch"
    assert main([*SUBMIT, "--quiet", str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {message} [{code}]\n"
    assert not Submission.objects.exists()


def test_submit_without_the_scoring_core_uploads_nothing(
    logged_in: str, ground_truth: Any, synthetic: Synthetic, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from lid_client.local_check import MISSING_CORE

    for name in [m for m in sys.modules if m == "evaluation" or m.startswith("evaluation.")]:
        monkeypatch.setitem(sys.modules, name, None)  # `import evaluation` now fails, as in a venv without it
    assert main([*SUBMIT, "--quiet", str(synthetic.pred)]) == 1
    assert capsys.readouterr().err == f"lid: {MISSING_CORE} [no_scoring_core]\n"
    assert not Submission.objects.exists()


def test_validate_with_server_and_no_login_reads_the_public_manifest(
    cli_env: Path, live_server: Any, ground_truth: Any, synthetic: Synthetic, capsys: Any
) -> None:
    argv = ["validate", "--server", live_server.url, "--track", "1", "--split", "test", "--json", str(synthetic.pred)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "images": 3, "manifest": f"{live_server.url}{URL}"}
