"""Entry point of the ``lid`` command: parse, run one command, print one clear line on failure.

Exit status: 0 success (a submission scored), 2 a bad archive or a rejected submission (and usage
errors), 1 anything else (server errors, a failed submission, a refused token, no connection).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from lid_client import __version__
from lid_client.account import cmd_login, cmd_logout, cmd_team, cmd_whoami
from lid_client.api import ClientError
from lid_client.board import cmd_leaderboard
from lid_client.local_check import cmd_validate
from lid_client.submissions import cmd_status, cmd_submit

DEFAULT_CHALLENGE = "lid2020"
Command = Callable[[argparse.Namespace], int]


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command name (``lid --debug submit`` or ``lid submit --debug``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", default=argparse.SUPPRESS, help="server URL (default: LID_SERVER, then the login)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return common


def _positive_track(value: str) -> int:
    if value not in {"1", "2", "3"}:
        raise argparse.ArgumentTypeError("the track is 1, 2 or 3")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="lid", parents=[common], description="Validate, submit and follow LID challenge submissions."
    )
    parser.add_argument("--version", action="version", version=f"lid-client {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def challenge_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--challenge", default=DEFAULT_CHALLENGE, help="challenge slug (default: %(default)s)")

    p = command("login", cmd_login, "Log in and store an API token for this server.")
    p.add_argument("--username", "-u")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    command("logout", cmd_logout, "Revoke the stored token on the server and forget it.")

    p = command("whoami", cmd_whoami, "Show who the token belongs to and the user's teams.")
    p.add_argument("--json", action="store_true")

    p = command("team", cmd_team, "Show my team in a challenge: members, captain, invite link.")
    challenge_option(p)
    p.add_argument("--json", action="store_true")

    p = command("validate", cmd_validate, "Check a predictions zip offline, and score it with --gt.")
    challenge_option(p)
    p.add_argument("--track", type=_positive_track, required=True)
    p.add_argument("--gt", help="public val ground truth: a folder of PNGs or a packed store; prints the scores")
    p.add_argument(
        "--manifest", metavar="FILE", help="the split's manifest file (image ids and sizes) to check against"
    )
    p.add_argument(
        "--split", choices=["val", "test"], help="check against this split's manifest, fetched from the server"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("archive", metavar="PRED.zip")

    p = command("submit", cmd_submit, "Upload a predictions zip and follow it until it is scored.")
    challenge_option(p)
    p.add_argument("--track", type=_positive_track, required=True)
    p.add_argument("--split", choices=["val", "test"], required=True)
    p.add_argument("--method", required=True, help="method name shown on the leaderboard")
    p.add_argument("--description", default="", help="a few sentences about the method")
    p.add_argument(
        "--params",
        type=int,
        required=True,
        help="the model's parameter count (below the server's limit, 150,000,000 in LID 2020)",
    )
    p.add_argument("--no-wait", action="store_true", help="print the submission id and return after the upload")
    p.add_argument("--skip-check", action="store_true", help="do not run the local archive check first")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or status lines")
    p.add_argument("--json", action="store_true", help="print the final submission as JSON")
    p.add_argument("archive", metavar="PRED.zip")

    p = command("status", cmd_status, "Show one submission, or the team's submissions.")
    challenge_option(p)
    p.add_argument("id", nargs="?", type=int, metavar="ID")
    p.add_argument("--track", type=_positive_track)
    p.add_argument("--split", choices=["val", "test"])
    p.add_argument("--json", action="store_true")

    p = command("leaderboard", cmd_leaderboard, "Print a leaderboard.")
    challenge_option(p)
    p.add_argument("--track", type=_positive_track, required=True)
    p.add_argument("--split", choices=["val", "test"], required=True)
    p.add_argument("--board", choices=["official", "post"], default="official")
    p.add_argument("--format", choices=["table", "json", "csv", "md", "tex"], default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors end here, with argparse's status
        return int(exit_.code or 0)
    args.server = getattr(args, "server", None)
    debug = bool(getattr(args, "debug", False))
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except BrokenPipeError:
        return _reader_went_away()
    except ClientError as exc:
        if debug:
            traceback.print_exc()
        print(f"lid: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lid: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the user; --debug shows it
        if debug:
            traceback.print_exc()
        print(
            f"lid: unexpected error ({exc.__class__.__name__}: {exc}); run again with --debug and "
            "send the output to the organizers.",
            file=sys.stderr,
        )
        return 1


def _reader_went_away() -> int:
    """``lid leaderboard | head``: the reader stopped reading. Say nothing; exit as a program killed by
    SIGPIPE does (128 + 13), and point stdout at /dev/null so Python's exit does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
