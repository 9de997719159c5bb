"""python manage.py freeze_phase lid2020 1 test: freeze a phase's official board now (past its deadline).

Beat freezes every closed phase within a minute of its deadline; this is the organizer's way to do
it by hand (no beat running, or to check the result at once). Moving a deadline later re-opens the
phase (see docs/organizers.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditLogEntry
from leaderboard.selectors import phase_for_board
from leaderboard.services import leaderboard_freeze
from lidserver.errors import ApplicationError


class Command(BaseCommand):
    help = "Freeze the official leaderboard of a phase whose deadline has passed."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("challenge", help="The challenge slug, e.g. lid2020.")
        parser.add_argument("track", type=int, help="The track number: 1, 2 or 3.")
        parser.add_argument("split", choices=["val", "test"])

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            phase = phase_for_board(slug=options["challenge"], number=options["track"], split=options["split"])
            frozen = leaderboard_freeze(phase=phase)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        phase.refresh_from_db()
        if not frozen:
            self.stdout.write(f"{phase} is frozen already (since {phase.frozen_at:%Y-%m-%d %H:%M:%S} UTC).")
            return
        entry = AuditLogEntry.objects.filter(action=AuditLogEntry.Action.FREEZE, target_id=str(phase.pk)).first()
        self.stdout.write(entry.summary if entry else f"Froze {phase}.")
