"""``lid login``, ``lid logout``, ``lid whoami``, ``lid team``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from lid_client import output
from lid_client.api import Api, ClientError
from lid_client.config import forget_config, load_config, resolve_settings, save_config


def api_for(args: argparse.Namespace) -> Api:
    settings = resolve_settings(getattr(args, "server", None))
    return Api(settings.server, settings.token)


def cmd_login(args: argparse.Namespace) -> int:
    settings = resolve_settings(args.server)
    username = args.username or input("Username: ").strip()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {username} on {settings.server}: ")
    if not username or not password:
        raise ClientError("Give a username and a password (the ones of your account on the challenge site).")
    api = Api(settings.server)
    body = api.post("auth/token/", auth=False, json={"username": username, "password": password})
    token = body.get("token") if isinstance(body, dict) else None
    if not token:
        raise ClientError(f"The server at {settings.server} did not send a token; is it the LID server?")
    path = save_config({"server": settings.server, "token": str(token), "username": username})
    print(f"Logged in to {settings.server} as {username}; the token is stored in {path}.")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    settings = resolve_settings(args.server)
    stored = load_config()
    if settings.token:
        try:
            Api(settings.server, settings.token).delete("auth/token/")
        except ClientError as exc:
            # The token is forgotten locally either way; say why the server did not revoke it.
            forget_config()
            print(f"Forgot the stored token, but the server did not revoke it: {exc}", file=sys.stderr)
            return 1
    forget_config()
    if settings.token or stored:
        print(f"Logged out of {settings.server}; the token is revoked and forgotten.")
    else:
        print("You were not logged in.")
    return 0


def cmd_whoami(args: argparse.Namespace) -> int:
    api = api_for(args)
    me = api.get("me/")
    if args.json:
        print(output.as_json(me))
        return 0
    print(f"{me['username']} <{me.get('email', '')}> on {api.server}")
    for team in me.get("teams", []):
        print(f"  team {team['name']} (id {team['id']}) in {team['challenge']}")
    if not me.get("teams"):
        print("  not in a team yet; create or join one on the challenge's Team page.")
    return 0


def my_team_id(api: Api, challenge: str) -> int:
    me = api.get("me/")
    for team in me.get("teams", []):
        if team.get("challenge") == challenge:
            return int(team["id"])
    raise ClientError(
        f"You are not in a team in {challenge}; create or join one on {api.server}/c/{challenge}/team/ first."
    )


def cmd_team(args: argparse.Namespace) -> int:
    api = api_for(args)
    team = api.get(f"teams/{my_team_id(api, args.challenge)}/")
    if args.json:
        print(output.as_json(team))
        return 0
    print(_team_text(team))
    return 0


def _team_text(team: dict[str, Any]) -> str:
    lines = [f"{team['name']}" + (f" ({team['affiliation']})" if team.get("affiliation") else "")]
    lines.append(f"  challenge    {team.get('challenge', '')}")
    captain = team.get("captain") or {}
    lines.append(f"  captain      {captain.get('username', '-')}")
    members = ", ".join(m["username"] for m in team.get("members", []))
    lines.append(f"  members      {members}")
    if team.get("invite_url"):
        lines.append(f"  invite link  {team['invite_url']}")
    return "\n".join(lines)
