"""PostgreSQL or the broker down under the real web server (bin/web): /healthz says which, the API
answers a JSON 503, pages the site's 503 page, and an upload stores nothing (issue 13, finding 5).

The database is a private PostgreSQL 15 cluster and the broker a private redis-server, never the
machine's shared ones (harness.PrivatePostgres, harness.PrivateRedis).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.support import harness

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BOUNDARY = "dbdown0"


def request(port: int, method: str, path: str, *, token: str = "", body: bytes = b"", content_type: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if content_type:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type", ""), response.read()


def healthz(port: int) -> tuple[int, bytes]:
    time.sleep(harness_cache_seconds())
    status, _, body = request(port, "GET", "/healthz")
    return status, body


def harness_cache_seconds() -> float:
    from lidserver.health import CACHE_SECONDS

    return CACHE_SECONDS + 0.2


def upload_body() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.png", b"\x89PNG not really")
    fields = [("method_name", b"Down"), ("declared_parameters", b"10")]
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode() + v + b"\r\n" for n, v in fields
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="archive"; filename="p.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n".encode()
        + archive.getvalue()
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def files_under(path: Path) -> list[str]:
    return sorted(str(p) for p in path.rglob("*") if p.is_file())


def test_database_or_broker_down_is_said_and_nothing_is_stored(cluster, tmp_path):
    with harness.private_redis() as broker:
        port = harness.free_port()
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": cluster.url("lid"),
            "CELERY_BROKER_URL": broker.url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "GROUND_TRUTH_ROOT": str(tmp_path / "gt"),
            "FILE_UPLOAD_TEMP_DIR": str(tmp_path / "upload-tmp"),
            "BIND": f"127.0.0.1:{port}",
            "WEB_WORKERS": "1",
            "GUNICORN": str(harness.VENV_BIN / "gunicorn"),
        }
        (tmp_path / "upload-tmp").mkdir()
        made = subprocess.run(
            [sys.executable, "-m", "tests.fault_tests.pg_scenario", "web_world"],
            cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr[-3000:]
        token = json.loads(made.stdout.strip().splitlines()[-1])["token"]
        with open(tmp_path / "web.log", "wb") as log:
            web = subprocess.Popen([str(harness.ROOT / "bin" / "web")], cwd=harness.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            harness.wait_until(lambda: harness._port_open(port), timeout=30, what="gunicorn")
            assert healthz(port) == (200, b"ok")

            broker.stop()
            assert healthz(port) == (503, b"unavailable: broker unreachable\n")
            broker.start()
            assert healthz(port) == (200, b"ok")

            cluster.stop()
            assert healthz(port) == (503, b"unavailable: database unreachable\n")
            message = "The server cannot reach its database just now; nothing was stored. Try again in a few minutes."
            status, content_type, body = request(port, "GET", "/api/me/", token=token)
            assert (status, content_type) == (503, "application/json")
            assert json.loads(body) == {"code": "service_unavailable", "message": message, "detail": None}
            status, content_type, body = request(
                port, "POST", "/api/challenges/lid2020/tracks/1/test/submissions/", token=token,
                body=upload_body(), content_type=f"multipart/form-data; boundary={BOUNDARY}",
            )  # fmt: skip
            assert (status, json.loads(body)["code"]) == (503, "service_unavailable")
            status, content_type, body = request(port, "GET", "/c/lid2020/")
            assert (status, content_type.split(";")[0]) == (503, "text/html")
            assert b"<h1>Temporarily unavailable</h1>" in body
            assert files_under(tmp_path / "media") == [] and files_under(tmp_path / "upload-tmp") == []

            cluster.start()
            assert healthz(port) == (200, b"ok")
            assert request(port, "GET", "/api/me/", token=token)[0] == 200
        finally:
            web.terminate()
            web.wait(timeout=30)
    log_text = (tmp_path / "web.log").read_text(errors="replace")
    assert "Internal Server Error" not in log_text, log_text[-3000:]
