"""Production settings pass Django's deployment checks, and the public URLs are where the contract says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_manage_py_check_deploy_is_clean_with_production_settings():
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
