"""``lid login / whoami / team / logout`` and the one-line errors, against a live server."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from lid_client.cli import main
from rest_framework.authtoken.models import Token

from tests.client_tests.conftest import PASSWORD


def login(url: str, monkeypatch: pytest.MonkeyPatch, password: str = PASSWORD) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["login", "--server", url, "--username", "alice", "--password-stdin"])


def test_login_stores_the_token_privately_then_logout_revokes_it(
    cli_env: Path, live_server: Any, member: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert login(live_server.url, monkeypatch) == 0
    config = cli_env / "lid" / "config.json"
    key = Token.objects.get(user=member).key
    assert json.loads(config.read_text()) == {"server": live_server.url, "token": key, "username": "alice"}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert capsys.readouterr().out == f"Logged in to {live_server.url} as alice; the token is stored in {config}.\n"

    # No --server now: the stored login is used.
    assert main(["whoami"]) == 0
    team_id = member.memberships.get().team_id
    assert capsys.readouterr().out == (
        f"alice <alice@example.org> on {live_server.url}\n  team Alpha (id {team_id}) in lid2020\n"
    )

    assert main(["logout"]) == 0
    assert capsys.readouterr().out == f"Logged out of {live_server.url}; the token is revoked and forgotten.\n"
    assert not config.exists()
    assert not Token.objects.filter(user=member).exists()

    assert main(["whoami"]) == 1
    assert capsys.readouterr().err == "lid: You are not logged in; run `lid login` (or set LID_TOKEN) first.\n"


def test_login_with_a_wrong_password(
    cli_env: Path, live_server: Any, member: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert login(live_server.url, monkeypatch, password="wrong") == 1
    assert capsys.readouterr().err == "lid: The username or password is not correct. [invalid_credentials]\n"
    assert not (cli_env / "lid" / "config.json").exists()


def test_a_revoked_token_is_refused_with_one_line(
    cli_env: Path, live_server: Any, token: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("LID_SERVER", live_server.url)
    monkeypatch.setenv("LID_TOKEN", token)
    Token.objects.filter(key=token).delete()
    assert main(["whoami"]) == 1
    assert capsys.readouterr().err == "lid: Your token was not accepted; run `lid login` again.\n"


def test_no_token_at_all(cli_env: Path, live_server: Any, transactional_db: Any, capsys: Any) -> None:
    assert main(["team", "--server", live_server.url]) == 1
    assert capsys.readouterr().err == "lid: You are not logged in; run `lid login` (or set LID_TOKEN) first.\n"


def test_an_unknown_token_from_the_environment(
    cli_env: Path, live_server: Any, transactional_db: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("LID_TOKEN", "0" * 40)
    assert main(["--server", live_server.url, "whoami"]) == 1
    assert capsys.readouterr().err == "lid: Your token was not accepted; run `lid login` again.\n"


def test_an_unreachable_server(cli_env: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("LID_TOKEN", "0" * 40)
    monkeypatch.setenv("LID_SERVER", f"http://127.0.0.1:{closed_port}")
    assert main(["whoami"]) == 1
    assert capsys.readouterr().err == (
        f"lid: Could not reach the server at http://127.0.0.1:{closed_port}: connection refused; "
        "check --server or LID_SERVER.\n"
    )


def test_debug_shows_the_traceback(
    cli_env: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("LID_TOKEN", "0" * 40)
    assert main(["whoami", "--debug", "--server", f"127.0.0.1:{closed_port}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("check --server or LID_SERVER.\n")


def test_a_stored_token_is_not_sent_to_another_server(
    cli_env: Path, live_server: Any, member: Any, monkeypatch: pytest.MonkeyPatch, closed_port: int, capsys: Any
) -> None:
    assert login(live_server.url, monkeypatch) == 0
    capsys.readouterr()
    assert main(["whoami", "--server", f"http://127.0.0.1:{closed_port}"]) == 1
    assert capsys.readouterr().err == "lid: You are not logged in; run `lid login` (or set LID_TOKEN) first.\n"


def test_team_shows_members_and_the_invite_link(logged_in: str, member: Any, capsys: Any) -> None:
    team = member.memberships.get().team
    assert main(["team"]) == 0
    assert capsys.readouterr().out == (
        "Alpha (Example University)\n"
        "  challenge    lid2020\n"
        "  captain      alice\n"
        "  members      alice\n"
        f"  invite link  {logged_in}/c/lid2020/join/{team.invite_code}/\n"
    )


def test_team_without_a_team(logged_in: str, member: Any, capsys: Any) -> None:
    member.memberships.all().delete()
    assert main(["team"]) == 1
    assert capsys.readouterr().err == (
        f"lid: You are not in a team in lid2020; create or join one on {logged_in}/c/lid2020/team/ first.\n"
    )
