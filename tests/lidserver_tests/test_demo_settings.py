"""``make demo`` runs with DEBUG off: its settings serve /static/ (whitenoise), the favicon and the
site's own 404 and 403 pages, never Django's debug pages. The server here is started with exactly
the Makefile's DEMO_ENV variables."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


def demo_env_from_makefile() -> dict[str, str]:
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("DEMO_ENV :="))
    return dict(item.split("=", 1) for item in shlex.split(line.split(":=", 1)[1]))


def test_the_demo_env_keeps_production_defaults_untouched_and_switches_debug_off() -> None:
    env = demo_env_from_makefile()
    assert env["DEBUG"] == "0" and env["SECRET_KEY"].startswith("demo-only-key")
    assert (env["SECURE_SSL_REDIRECT"], env["SESSION_COOKIE_SECURE"], env["CSRF_COOKIE_SECURE"]) == ("0", "0", "0")


def _get(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    env.update(demo_env_from_makefile())
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'demo.sqlite3'}", STATIC_ROOT=str(tmp / "static"))
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):  # as `make demo` does
        subprocess.run(
            [sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=300
        )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(
                        server.stderr.read().decode() if server.poll() is not None else "no server"
                    ) from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_static_files_and_the_favicon_are_served(demo_server) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = _get(demo_server, "/static/css/site.css")
    assert status == 200 and headers["content-type"].startswith("text/css") and b"--accent" in body
    status, headers, body = _get(demo_server, "/favicon.ico")
    assert status == 200 and headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    status, _, body = _get(demo_server, "/static/favicon.svg")
    assert status == 200 and body.startswith(b"<svg")


def test_a_missing_page_is_the_sites_404_not_the_debug_page(demo_server) -> None:  # type: ignore[no-untyped-def]
    status, _, body = _get(demo_server, "/no-such-page/")
    text = body.decode()
    assert status == 404
    assert "<h1>Not found</h1>" in text and "<title>Not found · LID challenge</title>" in text
    assert "DEBUG = True" not in text and "Django" not in text and "URLconf" not in text


def test_a_refused_form_is_the_sites_403(demo_server) -> None:  # type: ignore[no-untyped-def]
    status, _, body = _get(demo_server, "/accounts/login/", method="POST")  # no CSRF token
    text = body.decode()
    assert status == 403
    assert "<h1>Not allowed</h1>" in text and "security token was missing or has expired" in text
    assert "CSRF verification failed" not in text and "DEBUG" not in text
    assert re.search(r'<link rel="icon" href="[^"]*favicon[^"]*"', text)  # the site's own page: its header, its icon
