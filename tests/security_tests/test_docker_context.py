"""The image holds no secret and no hidden ground truth, and compose builds it once (issue 13, finding 8).

What this proves: the build context ``docker build`` would send under the project's .dockerignore,
computed with docker-py's ``exclude_paths`` (the Python Docker SDK's implementation of the
.dockerignore rules, the same Go ``filepath.Match`` + ``**`` semantics as the Docker CLI), leaves
out every file planted below. It does not run a Docker daemon: a rule the CLI read differently
from docker-py would go unnoticed here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
docker_build = pytest.importorskip("docker.utils.build", reason="docker-py (requirements-dev.txt) is missing")

NEVER_IN_IMAGE = [
    ".env",
    ".env.production",
    "deploy/.env",
    "import/lid2020/track1/test/gt.zip",
    "import/secret.png",
    "var/ground_truth/lid2020/track1/test/store.npz",
    "var/media/submissions/a.zip",
    "var/demo-data/track1-test/gt/img0.png",
    "var/demo.sqlite3",
    "demo-data/x.png",
    "bench-data/y.png",
    "db.sqlite3",
    ".git/config",
    ".venv/bin/python",
    "evaluation/__pycache__/archive.cpython-311.pyc",
    ".pytest_cache/v/cache/lastfailed",
    ".mypy_cache/3.11/x.json",
    ".ruff_cache/0.12/x",
    "tests/browser/artifacts/shot.png",
    "staticfiles/css/site.css",
]
NEEDED_IN_IMAGE = [
    ".env.example",
    "Dockerfile",
    "requirements.txt",
    "manage.py",
    "bin/web",
    "bin/worker",
    "evaluation/archive.py",
    "lidserver/settings.py",
    "templates/base.html",
    "static/css/site.css",
]


def context(root: Path) -> set[str]:
    patterns = [
        line.strip()
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return set(docker_build.exclude_paths(str(root), patterns))


def test_the_build_context_leaves_out_secrets_ground_truth_data_and_caches(tmp_path):
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    for name in NEVER_IN_IMAGE + NEEDED_IN_IMAGE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    sent = context(tmp_path)

    assert sorted(set(NEVER_IN_IMAGE) & sent) == []
    assert sorted(set(NEEDED_IN_IMAGE) - sent) == []


# It walks the repository, client/build/ too, which pip fills and empties while it builds ./client.
@pytest.mark.xdist_group("client_build")
def test_the_real_tree_sends_its_code_and_no_secret():
    sent = context(ROOT)
    assert {"manage.py", "requirements.txt", "bin/web", "evaluation/__init__.py", "lidserver/settings.py"} <= sent
    leaks = [p for p in sent if p.split("/")[0] in {".env", "import", "var", ".git", ".venv"} or "__pycache__" in p]
    assert leaks == []


def test_compose_builds_the_image_once():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]
    image = services["migrate"]["image"]
    app_services = [name for name, service in services.items() if service.get("image") == image]
    assert sorted(app_services) == ["beat", "manage", "migrate", "web", "worker", "worker-staff"]
