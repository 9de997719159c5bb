"""Production settings pass Django's deployment checks, and the public URLs are where the contract says."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.support.harness import VENV_BIN, free_port

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    """This environment with production settings: DEBUG off, a real key, only the public host."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_")) and key not in ("DEBUG", "SECRET_KEY")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="k" * 20 + "production-secret-key-that-is-long-and-random-9f8e7d6c5b4a3f2e1d0c",
        ALLOWED_HOSTS="lid.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    )
    env.update(overrides)
    return env


def test_manage_py_check_deploy_is_clean_with_production_settings():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("accounts:login", {}, "/accounts/login/"),
        ("accounts:logout", {}, "/accounts/logout/"),
        ("accounts:signup", {}, "/accounts/signup/"),
        ("accounts:tokens", {}, "/accounts/tokens/"),
        ("accounts:team", {"slug": "lid2020"}, "/c/lid2020/team/"),
        ("accounts:join", {"slug": "lid2020", "invite_code": "abc"}, "/c/lid2020/join/abc/"),
    ],
)
def test_account_urls_are_where_the_contract_says(name, kwargs, path):
    """docs/CONTRACT.md fixes these paths; links in e-mails and the CLI's messages depend on them."""
    assert reverse(name, kwargs=kwargs) == path


@pytest.mark.integration
def test_compose_health_check_passes_against_bin_web_with_production_settings(tmp_path):
    """docker-compose's web service runs bin/web and checks it with bin/healthcheck: so does this test,
    with production settings (HTTPS redirect on, only the public host allowed)."""
    port = free_port()
    env = production_env(
        ALLOWED_HOSTS="lid.example.org,.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        GUNICORN=str(VENV_BIN / "gunicorn"),
    )
    health = [sys.executable, str(ROOT / "bin" / "healthcheck")]
    with open(tmp_path / "web.log", "wb") as log:
        web = subprocess.Popen([str(ROOT / "bin" / "web")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, result = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            result = subprocess.run(health, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
            if result.returncode == 0:
                break
            time.sleep(0.3)
        assert result is not None and result.returncode == 0, result and result.stderr
        # Any other page is still redirected to HTTPS, and an unknown host is still refused.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": "lid.example.org"})
        assert conn.getresponse().status == 301
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz", headers={"Host": "evil.test"})
        assert conn.getresponse().status == 400
    finally:
        web.terminate()
        web.wait(timeout=30)
