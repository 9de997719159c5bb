"""``manage.py load_ground_truth [--challenge lid2020] --track 1 --split test PATH``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from challenges.ground_truth import ground_truth_load
from challenges.models import Challenge, Phase
from lidserver.errors import ApplicationError


class Command(BaseCommand):
    help = "Pack a folder (or zip) of ground-truth PNGs as a phase's ground truth, outside MEDIA_ROOT."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--challenge", help="The challenge's slug, e.g. lid2020 (may be left out when there is only one challenge)."
        )
        parser.add_argument("--track", required=True, type=int, choices=[1, 2, 3])
        parser.add_argument("--split", required=True, choices=[c.value for c in Phase.Split])
        parser.add_argument("path", help="A folder of <image id>.png files or a zip of them.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not options["challenge"]:
            slugs = list(Challenge.objects.values_list("slug", flat=True)[:2])
            if len(slugs) != 1:
                raise CommandError(
                    "Say which challenge with --challenge SLUG: "
                    + (
                        f"there are several ({', '.join(slugs)}...)."
                        if slugs
                        else "none is loaded yet (manage.py load_challenge)."
                    )
                )
            options["challenge"] = slugs[0]
        phase = (
            Phase.objects.select_related("track__challenge")
            .filter(track__challenge__slug=options["challenge"], track__number=options["track"], split=options["split"])
            .first()
        )
        if phase is None:
            raise CommandError(
                f"No phase {options['split']} of track {options['track']} in challenge {options['challenge']!r}; "
                "load the challenge first (manage.py load_challenge)."
            )
        try:
            loaded = ground_truth_load(phase=phase, source=Path(options["path"]))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Loaded the ground truth of {phase}: {loaded.image_count} images, checksum {loaded.checksum}."
        )
        if loaded.names_changed:
            self.stdout.write(
                f"{loaded.names_changed} image names differ from the ground truth it replaced; "
                f"re-score the phase's submissions (manage.py rescore --phase {phase.pk} --preview)."
            )
        elif loaded.replaced:
            self.stdout.write(
                f"It replaced earlier ground truth; consider manage.py rescore --phase {phase.pk} --preview."
            )
