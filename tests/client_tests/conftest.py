"""A live test server that scores in-process, a team with a token, and real synthetic archives.

The server runs in a thread of the test process (pytest-django's ``live_server``), so the settings
fixture reaches it: Celery tasks run eagerly inside the upload request and the ground truth is a
store packed into this test's GROUND_TRUTH_ROOT.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory's password
SYNTH_COUNT = 3


@dataclass(frozen=True)
class Synthetic:
    gt_dir: Path
    store: Path
    pred: Path


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Synthetic:
    """Track 1 synthetic ground truth (as PNGs and packed) and a matching predictions zip, made once."""
    import evaluation
    from evaluation.synth import make_synthetic

    out = tmp_path_factory.mktemp("synth")
    make_synthetic(1, SYNTH_COUNT, out, seed=0)
    store = out / "track1-test.store"
    evaluation.pack_ground_truth(1, out / "gt", store)
    return Synthetic(gt_dir=out / "gt", store=store, pred=out / "pred.zip")


@pytest.fixture(scope="session")
def expected_metrics(synthetic: Synthetic) -> dict[str, Any]:
    """What the scoring core's own command line says, the reference every path must agree with."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation",
            "score",
            "--track",
            "1",
            "--gt",
            str(synthetic.store),
            "--pred",
            str(synthetic.pred),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def eager(settings: Any) -> None:
    """Scoring runs inside the upload request (on commit), so the live server scores by itself."""
    from lidserver.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the Celery app read its settings once already
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def phase(transactional_db: Any) -> Any:
    """LID 2020 track 1 test, open (the deadline a week away), no ground truth yet."""
    return PhaseFactory(track__number=1, split="test", image_count=SYNTH_COUNT)


@pytest.fixture
def ground_truth(phase: Any, settings: Any, synthetic: Synthetic) -> Any:
    """The synthetic ground truth loaded into the phase the way organizers do (load_ground_truth)."""
    from challenges.ground_truth import ground_truth_load

    ground_truth_load(phase=phase, source=synthetic.gt_dir)
    phase.refresh_from_db()
    return phase


@pytest.fixture
def member(phase: Any) -> Any:
    user = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=user)
    return user


@pytest.fixture
def token(member: Any) -> str:
    return Token.objects.get_or_create(user=member)[0].key


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No stored login and no LID_* variables from the developer's own shell; returns the config dir."""
    config_home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    for name in ("LID_SERVER", "LID_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return config_home


@pytest.fixture
def logged_in(cli_env: Path, monkeypatch: pytest.MonkeyPatch, live_server: Any, token: str, eager: None) -> str:
    monkeypatch.setenv("LID_SERVER", live_server.url)
    monkeypatch.setenv("LID_TOKEN", token)
    return live_server.url


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
