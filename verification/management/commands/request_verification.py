"""``manage.py request_verification --phase ID [--top 3]``: ask the top teams for their code."""

from django.core.management.base import BaseCommand, CommandError

from challenges.models import Phase
from lidserver.errors import ApplicationError
from verification.services import verification_request_top_teams


class Command(BaseCommand):
    help = "Ask the top teams of a test phase's official board (after its deadline) to upload their code."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--phase", type=int, required=True, help="The phase's id (see the admin).")
        parser.add_argument("--top", type=int, default=None, help="How many ranks to ask (default 3).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        phase = Phase.objects.select_related("track__challenge").filter(pk=options["phase"]).first()
        if phase is None:
            raise CommandError(f"No phase with id {options['phase']}.")
        if options["top"] is not None and options["top"] < 1:
            raise CommandError("--top must be at least 1.")
        try:
            created = verification_request_top_teams(phase=phase, top=options["top"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for request in created:
            self.stdout.write(f"Asked {request.team} (rank {request.rank_when_requested}); request {request.pk}.")
        if not created:
            self.stdout.write("Every team in the top ranks was asked already; nobody new was asked.")
