"""The command line, the pure-library guarantee and the determinism of synthetic data."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import SCORER_VERSION, make_synthetic
from evaluation.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_import_evaluation_loads_no_django() -> None:
    code = "import sys, evaluation, evaluation.__main__; bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'rest_framework', 'lidserver')); print(bad); sys.exit(bool(bad))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli")
    assert run("synth", "--track", "3", "--count", "5", str(out)).returncode == 0
    assert run("pack", "--track", "3", str(out / "gt"), str(out / "store")).returncode == 0
    return out


def test_importing_evaluation_does_not_load_numba() -> None:
    # the web server imports evaluation to check archives; numba loads only when a PNG is decoded
    code = "import sys, evaluation; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_warm_up_command_fills_the_cache_folder(tmp_path: Path) -> None:
    # as the Dockerfile runs it: NUMBA_CACHE_DIR set to a folder of the image's user
    cache = tmp_path / "numba-cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "warm-up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Accelerators: ") and "numba " in lines[0]
    assert lines[1:4] == [f"track {t}: scored with compiled loops" for t in (1, 2, 3)]
    built = next(cache.glob("lid_kernels_*"))
    assert lines[4:] == [f"ahead-of-time kernels: {built}"]
    cached = {path.name.split("-")[0] for path in cache.rglob("*.nbi")}
    assert {
        "jit.score_label_image",
        "jit.score_map_image",
        "jit.unfilter_rows_into",
        "jit.count_localization",
    } <= cached


def test_score_json(made: Path) -> None:
    done = run(
        "score",
        "--track",
        "3",
        "--gt",
        str(made / "store"),
        "--pred",
        str(made / "pred.zip"),
        "--json",
        "--workers",
        "2",
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["track"] == 3 and payload["images"] == 5 and payload["scorer_version"] == SCORER_VERSION
    assert len(payload["curve"]) == 256 == len(payload["curve_pixel"])
    assert 0 <= payload["peak_iou"] <= 1 and 0 <= payload["peak_threshold"] <= 255


def test_score_table(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--track", "3", "--gt", str(made / "gt"), "--pred", str(made / "pred.zip"), "--ci"]) == 0
    out = capsys.readouterr().out
    assert "Peak-IoU" in out and "95% bootstrap interval" in out


def test_a_bad_archive_exits_2_with_the_team_message(made: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    done = run("score", "--track", "3", "--gt", str(made / "store"), "--pred", str(bad), "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {"code": "not_a_zip", "message": done.stderr.strip()}
    assert "not a zip archive" in done.stderr


def test_check_command(made: Path) -> None:
    done = run("check", "--pred", str(made / "pred.zip"), "--gt", str(made / "store"), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["images"] == 5


def test_segmentation_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_synthetic(2, 3, tmp_path)
    assert main(["score", "--track", "2", "--gt", made.gt_dir, "--pred", str(made.pred_zip)]) == 0
    out = capsys.readouterr().out
    assert "Mean IoU" in out and "  1 wall" in out and "unlabeled" not in out


def digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sha.update(path.name.encode() + path.read_bytes())
    return sha.hexdigest()


@pytest.mark.parametrize("track", [1, 2, 3])
def test_synthetic_data_is_deterministic(tmp_path: Path, track: int) -> None:
    make_synthetic(track, 4, tmp_path / "a", seed=3)
    make_synthetic(track, 4, tmp_path / "b", seed=3, workers=2)
    make_synthetic(track, 4, tmp_path / "c", seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


# --- robustness: what a user sees for odd input ----------------------------------------------------


def test_score_json_with_ci_on_a_split_whose_ground_truth_is_all_ignored(tmp_path: Path) -> None:
    import zipfile

    import numpy as np
    from PIL import Image

    gt = tmp_path / "gt"
    gt.mkdir()
    Image.fromarray(np.full((4, 5), 255, np.uint8)).save(gt / "a.png")
    buffer_path = tmp_path / "pred.zip"
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "a.png")
    with zipfile.ZipFile(buffer_path, "w") as archive:
        archive.write(tmp_path / "a.png", "a.png")
    done = run("score", "--track", "1", "--gt", str(gt), "--pred", str(buffer_path), "--json", "--ci")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert (payload["mean_iou"], payload["mean_accuracy"], payload["pixel_accuracy"]) == (None, None, None)
    assert payload["ci"] == [None, None]
    assert payload["per_class_iou"] == [None] * 201


@pytest.mark.parametrize("command", ["check", "score"])
def test_a_missing_archive_is_one_line_not_a_traceback(made: Path, command: str) -> None:
    extra = ["--track", "3", "--gt", str(made / "store")] if command == "score" else []
    done = run(command, "--pred", "/missing.zip", *extra)
    assert done.returncode == 1
    assert done.stderr == "Cannot read '/missing.zip': No such file or directory.\n"


def test_check_says_one_file_in_the_singular(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("preds/a.png", b"x")
    done = run("check", "--pred", str(path))
    assert (done.returncode, done.stdout) == (0, "OK: 1 PNG file in 'preds/'.\n")


@pytest.mark.parametrize(
    ("value", "numba_on"), [("0", True), ("false", True), ("", True), ("1", False), ("yes", False)]
)
def test_lid_scoring_no_jit_is_a_boolean(value: str, numba_on: bool) -> None:
    code = "from evaluation import accelerators; print(accelerators.jit() is not None, 'numba' in accelerators.available())"
    env = {**os.environ, "LID_SCORING_NO_JIT": value}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == [str(numba_on), str(numba_on)], done.stderr


def test_json_piped_into_head_ends_quietly(made: Path) -> None:
    command = (
        f"{sys.executable} -m evaluation score --track 3 --gt {made / 'store'} --pred {made / 'pred.zip'} --json"
        " | head -c 20"
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.stdout == '{"track": 3, "images'
    assert done.stderr == ""
