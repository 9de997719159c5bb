"""Over-limit uploads against the real web server (bin/web, gunicorn): refused before the body is
read, and nothing left in FILE_UPLOAD_TEMP_DIR (issue 13, finding 4)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from submissions.models import Submission
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory
from tests.support.harness import ROOT, VENV_BIN, free_port, wait_until
from tests.support.workers import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.integration]

LIMIT = 3 * 2**20
URL = "/api/challenges/lid2020/tracks/1/test/submissions/"
BOUNDARY = "lidboundary7"


class Server:
    def __init__(self, port: int, temp: Path, log: Path) -> None:
        self.port, self.temp, self.log = port, temp, log

    def temp_files(self) -> list[str]:
        return sorted(str(p) for p in self.temp.rglob("*"))


@pytest.fixture
def server(tmp_path: Path, private_broker) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    port, temp = free_port(), tmp_path / "upload-tmp"
    temp.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": private_broker.url(),  # the test's own redis-server
        "MEDIA_ROOT": str(tmp_path / "media"),
        "GROUND_TRUTH_ROOT": str(tmp_path / "gt"),
        "FILE_UPLOAD_TEMP_DIR": str(temp),
        "MAX_UPLOAD_BYTES": str(LIMIT),
        "VERIFICATION_MAX_CODE_BYTES": str(LIMIT),
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "GUNICORN": str(VENV_BIN / "gunicorn"),
    }
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen([str(ROOT / "bin" / "web")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _get(port, "/healthz") is not None, timeout=30, what="gunicorn to answer")
        yield Server(port, temp, log)
    finally:
        web.terminate()
        web.wait(timeout=30)


def _get(port: int, path: str) -> bytes | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(1000)
    except OSError:
        return None


@pytest.fixture
def token() -> str:
    phase = PhaseFactory(track__number=1, split="test")
    user = UserFactory(username="big")
    TeamFactory(challenge=phase.track.challenge, name="Big", captain=user)
    return Token.objects.create(user=user).key


def _head(token: str, length_header: str) -> bytes:
    return (
        f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length_header}\r\n"
    ).encode()


def _fields_then_file_header() -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("method_name", "Big"), ("declared_parameters", "10"))
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="archive"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    )
    return "".join(parts).encode()


def _response(sock: socket.socket) -> tuple[int, dict]:
    """Read one response by its own framing (Content-Length or chunked): the server need not close."""
    data = b""
    sock.settimeout(90)  # a loaded CI machine; an unanswered request would hang far longer
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            headers = head.lower()
            if b"transfer-encoding: chunked" in headers and body.endswith(b"0\r\n\r\n"):
                body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]  # one chunk: size, JSON
                break
            length = [
                int(line.split(b":")[1]) for line in headers.split(b"\r\n") if line.startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return int(head.split()[1]), json.loads(body)


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server: Server, token: str) -> None:
    declared = 64 * 2**20
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(token, f"Content-Length: {declared}\r\n") + _fields_then_file_header())
        started = time.monotonic()
        status, body = _response(sock)  # answered although 64 MiB were announced and none of it sent
        assert time.monotonic() - started < 10
    assert status == 413
    assert body == {
        "code": "upload_too_large",
        "message": f"The upload is {declared:,} bytes; the largest accepted archive is {LIMIT:,} bytes. Save the "
        "PNGs with compression (or leave out what is not needed) and upload again.",
        "detail": {"size": declared, "limit": LIMIT},
    }
    assert server.temp_files() == [] and not Submission.objects.exists()


def test_a_file_passing_the_limit_within_the_allowance_is_stopped_and_leaves_nothing(
    server: Server, token: str
) -> None:
    archive = b"\0" * (LIMIT + 1)  # 1 byte over: the body is within the form allowance
    body = _fields_then_file_header() + archive + f"\r\n--{BOUNDARY}--\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(token, f"Content-Length: {len(body)}\r\n"))
        sock.sendall(body)
        status, answer = _response(sock)
    assert status == 413
    # The upload handler's sentence (it stopped the file at LIMIT + 1 bytes), not the service's, which
    # would name the archive's size after storing it whole.
    assert answer == {
        "code": "upload_too_large",
        "message": f"The upload is larger than the limit; the largest accepted archive is {LIMIT:,} bytes. Save "
        "the PNGs with compression (or leave out what is not needed) and upload again.",
        "detail": None,
    }
    assert server.temp_files() == [] and not Submission.objects.exists()


def test_a_chunked_upload_is_refused_at_once(server: Server, token: str) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(token, "Transfer-Encoding: chunked\r\n"))
        first = _fields_then_file_header() + b"\0" * 65536
        sock.sendall(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        status, body = _response(sock)
    assert status == 411
    assert body == {
        "code": "length_required",
        "message": "Send the upload with a Content-Length header; a chunked request body is not accepted "
        "(the `lid` client and browsers send the length).",
        "detail": None,
    }
    assert server.temp_files() == [] and not Submission.objects.exists()
