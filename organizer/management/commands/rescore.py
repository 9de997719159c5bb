"""``manage.py rescore --phase ID | --submission ID | --all [--preview]``: score again, inline."""

from django.core.management.base import BaseCommand, CommandError

from challenges.models import Phase
from lidserver.errors import ApplicationError
from lidserver.formatting import percent
from organizer.models import RescoreRun
from organizer.rescoring import rescore_run_compute, rescore_run_create, rescore_run_publish, rescore_submissions
from submissions.models import Submission


class Command(BaseCommand):
    help = "Re-score scored submissions with the current scorer and ground truth; --preview shows rank changes only."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--phase", type=int, help="Every scored submission of this phase (id).")
        scope.add_argument("--submission", type=int, help="One submission (id).")
        scope.add_argument("--all", action="store_true", help="Every scored submission of every phase.")
        parser.add_argument("--preview", action="store_true", help="Compute and show the changes; publish nothing.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        subs, scope = self._scope(options)
        try:
            run = rescore_run_create(submissions=subs, actor=None, scope=scope)
            run = rescore_run_compute(run_id=run.pk)
            if run is None or run.state != RescoreRun.State.READY:
                raise CommandError(f"Re-score run {run and run.pk} failed:\n{run and run.error}")
            self._show(run)
            if options["preview"]:
                self.stdout.write(f"Preview only: publish it in the admin (re-score run {run.pk}).")
                return
            rescore_run_publish(run=run, actor=None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Published re-score run {run.pk}; the leaderboards are updated.")

    def _scope(self, options):  # type: ignore[no-untyped-def]
        if options["phase"] is not None:
            phase = Phase.objects.filter(pk=options["phase"]).first()
            if phase is None:
                raise CommandError(f"No phase with id {options['phase']}.")
            return rescore_submissions(phase=phase), f"phase {phase}"
        if options["submission"] is not None:
            sub = Submission.objects.filter(pk=options["submission"]).first()
            if sub is None:
                raise CommandError(f"No submission with id {options['submission']}.")
            return rescore_submissions(submission=sub), f"submission {sub.pk}"
        return rescore_submissions(), "every phase"

    def _show(self, run: RescoreRun) -> None:
        for item in run.items.order_by("submission_id"):
            if item.error:
                self.stdout.write(f"submission {item.submission_id}: not re-scored: {item.error}")
            else:
                self.stdout.write(
                    f"submission {item.submission_id}: {percent(item.old_score)} -> {percent(item.new_score)}"
                )
        for phase in run.rank_changes.values():
            for board, rows in phase["boards"].items():
                self.stdout.write(f"{phase['phase']} ({board}):")
                for row in rows:
                    mark = "*" if row["changed"] else " "
                    self.stdout.write(
                        f" {mark} {row['team']}: rank {row['old_rank'] or '-'} -> {row['new_rank'] or '-'}, "
                        f"{percent(row['old_score'])} -> {percent(row['new_score'])}"
                    )
