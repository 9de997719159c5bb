"""The API matches its schema: schemathesis against a real gunicorn, and plain checks of what it leaves out.

``test_the_api_matches_its_schema`` seeds a challenge, two teams, scored submissions and a
verification request, starts ``bin/web`` (docker-compose's web command) on the test database, and
runs the ``st`` CLI with a team member's token: every check (``--checks all``), the examples,
coverage, fuzzing and stateful phases, with the seed and number of examples of
``schemathesis.toml``. It passes only with 0 failures; the failures are printed as schemathesis
reports them (each with a curl line to reproduce it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard.services import leaderboard_refresh
from tests.integration.conftest import database_url
from tests.leaderboard_tests.factories import scored_submission
from tests.support import harness
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory
from verification.models import VerificationRequest

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).parent / "st"
RUN_TIMEOUT = 600


def _seed() -> str:
    """What the run can reach: a member's team with scored submissions, a rival, a verification request."""
    test = PhaseFactory(track__number=1, split="test")
    PhaseFactory(track=test.track, split="val")
    PhaseFactory(track__number=3, split="test")
    member, teammate = UserFactory(username="schemathesis"), UserFactory(username="teammate")
    team = TeamFactory(challenge=test.track.challenge, name="Fuzzers", captain=member, members=[teammate])
    rival = TeamFactory(challenge=test.track.challenge, name="Rivals")
    mine = scored_submission(phase=test, team=team, score=0.5, ci=(0.45, 0.55), method_name="Ours")
    scored_submission(phase=test, team=team, score=0.4)
    scored_submission(phase=test, team=rival, score=0.6, method_name="Theirs")
    leaderboard_refresh(phase=test)
    VerificationRequest.objects.create(phase=test, team=team, submission=mine, rank_when_requested=2)
    return Token.objects.create(user=member).key


def _start_web(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = harness.free_port()
    env = {**os.environ, **env, "GUNICORN": str(harness.VENV_BIN / "gunicorn"), "BIND": f"127.0.0.1:{port}",
           "WEB_WORKERS": "2", "WEB_THREADS": "2", "WEB_TIMEOUT": "60"}  # fmt: skip
    with log.open("ab") as out:
        web = subprocess.Popen([str(harness.ROOT / "bin" / "web")], cwd=harness.ROOT, env=env, stdout=out, stderr=out)
    harness.wait_until(lambda: harness._port_open(port), timeout=30, what="gunicorn to listen")
    return web, f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.longest
@pytest.mark.timeout(RUN_TIMEOUT + 120)
@pytest.mark.django_db(transaction=True)
def test_the_api_matches_its_schema(settings: Any, tmp_path: Path, private_broker: Any) -> None:
    token = _seed()
    env = {
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "GROUND_TRUTH_ROOT": str(settings.GROUND_TRUTH_ROOT),
        # Uploads queue scoring on the test's own redis-server, where no worker of another test listens.
        "CELERY_BROKER_URL": private_broker.url(),
        # The fuzzer uploads hundreds of times: let it reach the checks behind the rate limit (429
        # is declared and tested in tests/submissions_tests).
        "UPLOAD_THROTTLE_RATE": "100000/hour",
    }
    web, base = _start_web(env, tmp_path / "gunicorn.log")
    try:
        command = [str(ST), "--no-color", "--config-file", str(CONFIG), "run", f"{base}/api/schema/", "--checks", "all"]
        run = subprocess.run(
            command,
            cwd=tmp_path,
            env={**os.environ, "LID_SCHEMATHESIS_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    finally:
        web.terminate()
        web.wait(30)
    report = run.stdout + run.stderr
    print(report[-4000:])  # the summary, shown with -s or -rP
    assert run.returncode == 0, f"schemathesis found failures (exit {run.returncode}):\n{report}"
    server_errors = [line for line in (tmp_path / "gunicorn.log").read_text().splitlines() if '" 50' in line]
    assert server_errors == []


# The two operations the run leaves out (they end its own session), checked against the schema here.


def _declared(schema: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The answer's status and content type are declared for the operation, and its body fits the schema."""
    responses = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, method, response.status_code, sorted(responses))
    declared = responses[str(response.status_code)].get("content")
    if declared is None:
        assert response.content == b""
        return
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in declared
    body_schema = {**declared[media_type]["schema"], "components": schema["components"]}
    jsonschema.validate(response.json(), body_schema)


@pytest.mark.django_db
def test_session_enders_answer_what_the_schema_declares() -> None:
    phase = PhaseFactory(track__number=1, split="test")
    member = UserFactory(username="leaver")
    team = TeamFactory(challenge=phase.track.challenge, captain=member)
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")

    leave, token = "/api/teams/{team_id}/leave/", "/api/auth/token/"
    for path, method, url, expected in (
        (leave, "post", f"/api/teams/{team.pk + 1000}/leave/", 404),
        (leave, "post", f"/api/teams/{team.pk}/leave/", 204),
        (leave, "post", f"/api/teams/{team.pk}/leave/", 404),  # left already
        (token, "delete", token, 204),
        (token, "delete", token, 401),  # revoked already
        (leave, "post", f"/api/teams/{team.pk}/leave/", 401),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == expected, (url, response.content)
        _declared(schema, path, method, response)
