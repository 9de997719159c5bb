"""The client installed as the README says, in a fresh virtualenv outside the repository, used from
another folder: ``lid validate`` (without ground truth, with a manifest, with ground truth) and
``lid submit`` against a live server. Nothing of the repository is on the path there.

The packages come from pip's usual sources (its cache makes the second run quick).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from submissions.models import Submission
from tests.client_tests.conftest import REPO, Synthetic
from tests.client_tests.test_manifest import hand_made_manifest

# pip builds ./client in the folder itself (client/build/): one at a time with test_packaging.py and the
# docker context test, which walks that folder (the xdist group "client_build").
pytestmark = [pytest.mark.slow, pytest.mark.longest, pytest.mark.xdist_group("client_build")]


def venv_python_version() -> list[str]:
    return ["python3.11"] if sys.version_info[:2] != (3, 11) else [sys.executable]


def test_the_client_installed_in_a_fresh_virtualenv_checks_before_it_submits(
    live_server: Any,
    token: str,
    eager: None,
    ground_truth: Any,
    synthetic: Synthetic,
    expected_metrics: dict[str, Any],
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([*venv_python_version(), "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-compile", "./client"],  # the README's line
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    away = tmp_path / "elsewhere"  # not the repository: only what pip installed is importable
    away.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "LID_SERVER": live_server.url,
        "LID_TOKEN": token,
    }

    def lid(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "lid"), *args], cwd=away, env=env, capture_output=True, text=True, timeout=120
        )

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import evaluation, lid_client; print(evaluation.__file__)"],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.startswith(str(venv)), where  # the installed core, not the repository's folder

    plain = lid("validate", "--track", "1", str(synthetic.pred))
    assert (plain.returncode, plain.stderr) == (0, "")
    assert plain.stdout.startswith("pred.zip passes the checks for track 1: 3 PNG files, all readable label maps.")

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(hand_made_manifest(synthetic.gt_dir)))
    checked = lid("validate", "--track", "1", "--manifest", str(manifest), "--json", str(synthetic.pred))
    assert (checked.returncode, checked.stderr) == (0, "")
    assert json.loads(checked.stdout) == {"valid": True, "images": 3, "manifest": str(manifest)}

    served = lid("validate", "--track", "1", "--split", "test", str(synthetic.pred))
    assert (served.returncode, served.stderr) == (0, "")
    assert served.stdout.startswith("pred.zip passes the server's checks for track 1 test: 3 PNG files")

    scored = lid("validate", "--track", "1", "--gt", str(synthetic.gt_dir), "--json", str(synthetic.pred))
    assert (scored.returncode, scored.stderr) == (0, "")
    metrics = json.loads(scored.stdout)["metrics"]
    assert metrics["mean_iou"] == pytest.approx(expected_metrics["mean_iou"], abs=1e-12)

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    refused = lid("submit", "--track", "1", "--split", "test", "--method", "M", "--params", "1", str(bad))
    assert refused.returncode == 2 and refused.stderr.startswith("lid: ") and "[not_a_zip]" in refused.stderr
    assert not Submission.objects.exists()  # it never left the machine

    submitted = lid("submit", "--track", "1", "--split", "test", "--method", "M", "--params", "1", str(synthetic.pred))
    assert submitted.returncode == 0, submitted.stderr
    assert "Traceback" not in submitted.stderr
    assert Submission.objects.get().status == "scored"
    assert os.path.basename(str(synthetic.pred)) in submitted.stdout
