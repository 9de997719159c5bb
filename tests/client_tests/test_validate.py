"""``lid validate``: the server's archive checks offline, exit codes and the team-facing messages."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lid_client.cli import main

from tests.client_tests.conftest import Synthetic, write_zip


def core_message(path: Path) -> tuple[str, str]:
    """The (code, message) the scoring core itself gives for a bad archive."""
    import evaluation

    with pytest.raises(evaluation.SubmissionFormatError) as caught:
        evaluation.check_archive(path, expected_names=None)
    return caught.value.code, caught.value.message


def test_a_good_archive_passes(synthetic: Synthetic, capsys: Any) -> None:
    assert main(["validate", "--track", "1", str(synthetic.pred)]) == 0
    out = capsys.readouterr().out
    assert out == (
        "pred.zip passes the checks for track 1: 3 PNG files, all readable label maps. "
        "The server also checks the names and image sizes against the ground truth "
        "(give --split val|test to check them against the server's manifest, or --manifest FILE).\n"
    )


def test_a_good_archive_passes_as_json(synthetic: Synthetic, capsys: Any) -> None:
    assert main(["validate", "--track", "1", "--json", str(synthetic.pred)]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "images": 3, "manifest": None}


@pytest.mark.parametrize(
    "members",
    [
        pytest.param({"notes.txt": b"hello"}, id="not-a-png"),
        pytest.param({}, id="empty"),
        pytest.param({"a/x.png": b"\x89PNG", "b/y.png": b"\x89PNG"}, id="two-top-folders"),
    ],
)
def test_a_bad_archive_exits_2_with_the_servers_message(members: dict[str, bytes], tmp_path: Path, capsys: Any) -> None:
    bad = write_zip(tmp_path / "bad.zip", members)
    code, message = core_message(bad)
    assert main(["validate", "--track", "1", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"lid: {message} [{code}]\n"


def test_a_bad_archive_as_json(tmp_path: Path, capsys: Any) -> None:
    bad = write_zip(tmp_path / "bad.zip", {"notes.txt": b"hello"})
    code, message = core_message(bad)
    assert main(["validate", "--track", "1", "--json", str(bad)]) == 2
    assert json.loads(capsys.readouterr().out) == {"valid": False, "code": code, "message": message}


def test_a_file_that_is_not_a_zip(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "pred.zip"
    bad.write_bytes(b"this is not a zip archive")
    code, message = core_message(bad)
    assert main(["validate", "--track", "1", str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {message} [{code}]\n"


def test_a_missing_file(tmp_path: Path, capsys: Any) -> None:
    assert main(["validate", "--track", "1", str(tmp_path / "nope.zip")]) == 2
    assert (
        capsys.readouterr().err
        == f"lid: There is no file {tmp_path / 'nope.zip'}; give the path of your predictions zip.\n"
    )


def test_with_ground_truth_prints_the_reports_scores(
    synthetic: Synthetic, expected_metrics: dict[str, Any], capsys: Any
) -> None:
    assert main(["validate", "--track", "1", "--gt", str(synthetic.gt_dir), str(synthetic.pred)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"pred.zip is valid for track 1; scores on {synthetic.gt_dir}:"
    assert lines[1].split() == ["track", "mean", "IoU", "mean", "accuracy", "pixel", "accuracy"]
    assert lines[3].split() == [
        "1",
        f"{expected_metrics['mean_iou'] * 100:.2f}",
        f"{expected_metrics['mean_accuracy'] * 100:.2f}",
        f"{expected_metrics['pixel_accuracy'] * 100:.2f}",
    ]


def test_with_a_packed_store_as_json_gives_the_cores_metrics(
    synthetic: Synthetic, expected_metrics: dict[str, Any], capsys: Any
) -> None:
    assert main(["validate", "--track", "1", "--gt", str(synthetic.store), "--json", str(synthetic.pred)]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    for key in ("mean_iou", "mean_accuracy", "pixel_accuracy"):
        assert metrics[key] == pytest.approx(expected_metrics[key], abs=1e-12)


def scoring_error(gt: Path, archive: Path) -> tuple[str, str]:
    """The (code, message) the worker stores when it scores this archive."""
    import evaluation

    with pytest.raises(evaluation.SubmissionFormatError) as caught:
        evaluation.score_archive(1, evaluation.open_ground_truth(gt, 1), archive)
    return caught.value.code, caught.value.message


def rewritten(synthetic: Synthetic, out: Path, convert: Any) -> Path:
    """The synthetic predictions with every PNG passed through ``convert(PIL image)``."""
    from PIL import Image

    members = {}
    with zipfile.ZipFile(synthetic.pred) as archive:
        for name in archive.namelist():
            image = convert(Image.open(io.BytesIO(archive.read(name))))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            members[name] = buffer.getvalue()
    return write_zip(out, members)


@pytest.mark.parametrize(
    ("convert", "code"),
    [
        pytest.param(lambda im: im.convert("RGB"), "unsupported_png_mode", id="rgb"),
        pytest.param(lambda im: im.point(lambda v: 250), "labels_out_of_range", id="label-250"),
    ],
)
def test_decoding_problems_are_found_offline_with_the_workers_message(
    synthetic: Synthetic, tmp_path: Path, capsys: Any, convert: Any, code: str
) -> None:
    bad = rewritten(synthetic, tmp_path / "pred.zip", convert)
    expected = scoring_error(synthetic.gt_dir, bad)
    assert expected[0] == code
    assert main(["validate", "--track", "1", str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {expected[1]} [{code}]\n"


def test_a_png_member_that_is_not_a_png(tmp_path: Path, capsys: Any) -> None:
    bad = write_zip(tmp_path / "pred.zip", {"a.png": b"GIF89a not a png"})
    assert main(["validate", "--track", "1", str(bad)]) == 2
    assert capsys.readouterr().err.endswith("[not_png]\n")


def test_with_ground_truth_a_wrong_name_is_rejected(synthetic: Synthetic, tmp_path: Path, capsys: Any) -> None:
    first = sorted(synthetic.gt_dir.iterdir())[0]
    bad = write_zip(tmp_path / "pred.zip", {"not-an-image-id.png": first.read_bytes()})
    code, message = scoring_error(synthetic.gt_dir, bad)
    assert main(["validate", "--track", "1", "--gt", str(synthetic.gt_dir), str(bad)]) == 2
    assert capsys.readouterr().err == f"lid: {message} [{code}]\n"


def test_usage_error_exits_2(capsys: Any) -> None:
    assert main(["validate", "--track", "4", "x.zip"]) == 2
    assert "the track is 1, 2 or 3" in capsys.readouterr().err
