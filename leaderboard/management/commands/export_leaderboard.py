"""python manage.py export_leaderboard --challenge lid2020 --track 1 --split test --board official --format md"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leaderboard.exports import FORMATS, leaderboard_export
from leaderboard.selectors import board_choice, phase_for_board
from lidserver.errors import ApplicationError


class Command(BaseCommand):
    help = "Write a stored leaderboard as CSV, JSON, Markdown or LaTeX (the report's table shape)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--challenge", required=True, help="The challenge slug, e.g. lid2020.")
        parser.add_argument("--track", type=int, required=True, choices=[1, 2, 3])
        parser.add_argument("--split", required=True, choices=["val", "test"])
        parser.add_argument("--board", default="official", choices=["official", "post"])
        parser.add_argument("--format", default="md", choices=list(FORMATS))
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            phase = phase_for_board(slug=options["challenge"], number=options["track"], split=options["split"])
            export = leaderboard_export(phase=phase, board=board_choice(options["board"]), fmt=options["format"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["output"]:
            Path(options["output"]).write_text(export.content, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            self.stdout.write(export.content, ending="")
