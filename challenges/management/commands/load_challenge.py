from pathlib import Path

from django.core.management.base import BaseCommand

from challenges.services import LID2020_DATA, challenge_load


class Command(BaseCommand):
    help = "Load (or update) a challenge with its tracks and phases; default: LID 2020."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("path", nargs="?", default=str(LID2020_DATA), help="A challenge data file (JSON).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        challenge = challenge_load(path=Path(options["path"]))
        phases = sum(track.phases.count() for track in challenge.tracks.all())
        self.stdout.write(f"Loaded {challenge.title}: {challenge.tracks.count()} tracks, {phases} phases.")
