"""``manage.py demo_setup``: the LID 2020 challenge with small synthetic splits, accounts and scores.

Idempotent: run it again and it keeps what is there (accounts, teams, ground truth of the right
size, submissions already made) and only adds what is missing. ``make demo`` runs it with
``CELERY_TASK_ALWAYS_EAGER=1`` on SQLite, so each upload is scored in-process when it commits;
a submission still waiting afterwards (no eager mode, no worker) is scored here directly.

One track's test phase (the last of ``--tracks``, track 3 by default) is shown after its deadline:
its demo submissions are dated before the deadline, the official board is frozen, the top 3 are
asked for their code and the leading team has uploaded it, and one late submission sits on the
post-challenge board only. So the verifier's pages and the post-challenge board have something
to show.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from accounts.models import Membership, Team, User
from accounts.roles import VERIFIERS_GROUP
from accounts.services import team_create, team_join
from challenges.ground_truth import ground_truth_load
from challenges.models import GroundTruthNames, Phase
from challenges.services import challenge_load
from lidserver.errors import ApplicationError
from submissions.evaluate import GroundTruthMissing, ground_truth_store
from submissions.models import PENDING_STATUSES, Status, Submission

DEMO_PASSWORD = "lid-demo-password"


@dataclass(frozen=True)
class DemoTeam:
    name: str
    affiliation: str
    members: tuple[str, ...]
    # One submission per entry: the share of pixels degraded from the synthetic predictions.
    strengths: tuple[float, ...]


DEMO_TEAMS = (
    DemoTeam("Alpha Vision", "University of Example", ("alice", "amir"), (0.05, 0.2)),
    DemoTeam("Beta Labs", "Beta Research", ("bob",), (0.3,)),
    DemoTeam("Gamma Group", "Gamma Institute", ("carol", "chen"), (0.5, 0.4)),
)
NO_TEAM_USER = "dana"


class Command(BaseCommand):
    help = "Set up the demo: LID 2020 with small synthetic splits, an organizer, a verifier, teams and scores."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--images", type=int, default=40, help="Images per split of tracks 1 and 2.")
        parser.add_argument("--images-track3", type=int, default=60, help="Images per split of track 3.")
        parser.add_argument(
            "--data-dir",
            default=str(Path(settings.BASE_DIR) / "var" / "demo-data"),
            help="Where the synthetic data go.",
        )
        parser.add_argument("--tracks", default="1,2,3", help="Which tracks get data and submissions, e.g. 3.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        tracks = sorted({int(n) for n in options["tracks"].split(",") if n.strip()})
        if not set(tracks) <= {1, 2, 3}:
            raise CommandError("--tracks takes numbers from 1, 2, 3, e.g. --tracks 1,3.")
        data_dir = Path(options["data_dir"]).resolve()
        counts = {1: options["images"], 2: options["images"], 3: options["images_track3"]}
        if min(counts.values()) < 1:
            raise CommandError("--images and --images-track3 must be at least 1.")

        # Eager tasks log each run at INFO to the console; those lines would sit between the ones
        # this command prints (and bury the account list). Warnings and errors still show.
        logging.disable(logging.INFO)
        try:
            self._setup(tracks, counts, data_dir)
        finally:
            logging.disable(logging.NOTSET)

    def _setup(self, tracks: list[int], counts: dict[int, int], data_dir: Path) -> None:
        closed_track = tracks[-1]
        kept_dates = self._closed_dates(closed_track)
        challenge = self._challenge()
        if kept_dates:  # a second run keeps the closed phase closed, frozen at the same deadline
            Phase.objects.filter(track__challenge=challenge, track__number=closed_track, split="test").update(
                **kept_dates
            )
        organizer_note = self._organizer()
        users = self._people()
        teams = self._teams(challenge, users)
        phases = Phase.objects.filter(track__challenge=challenge, track__number__in=tracks).select_related(
            "track__challenge"
        )
        # The sample submissions' "scored" e-mails would bury the account list printed at the end.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for phase in phases.order_by("track__number", "split"):
                folder = self._ground_truth(phase, counts[phase.track.number], data_dir)
                phase.refresh_from_db()  # loading the ground truth saved its path on another instance
                self._submissions(phase, folder, teams, users)
                if phase.track.number == closed_track and phase.split == "test":
                    self._close(phase, folder, teams, users)
        self._report(challenge, organizer_note, data_dir, tracks)

    # The challenge and its phases ------------------------------------------------------------

    def _challenge(self) -> Any:
        now = timezone.now().replace(microsecond=0)
        # Every phase open for a month either side, so the demo has a live (not frozen) board.
        return challenge_load(
            overrides={"starts_at": now - dt.timedelta(days=30), "ends_at": now + dt.timedelta(days=30)}
        )

    def _closed_dates(self, track: int) -> dict[str, Any]:
        phase = Phase.objects.filter(track__challenge__slug="lid2020", track__number=track, split="test").first()
        if phase is None or not phase.is_frozen:
            return {}
        return {"starts_at": phase.starts_at, "ends_at": phase.ends_at}

    def _close(self, phase: Phase, folder: Path, teams: dict[str, Team], users: dict[str, User]) -> None:
        """The phase after its deadline: frozen, the top 3 asked, Alpha's code uploaded, one late entry."""
        from leaderboard.services import leaderboard_freeze, leaderboard_refresh
        from submissions.services import submission_create
        from verification.models import VerificationRequest
        from verification.services import verification_request_top_teams, verification_upload_code

        if not phase.is_frozen:
            now = timezone.now().replace(microsecond=0)
            deadline = now - dt.timedelta(days=1)
            Phase.objects.filter(pk=phase.pk).update(starts_at=now - dt.timedelta(days=60), ends_at=deadline)
            # The demo's submissions were made "before the deadline", a few hours apart.
            for index, sub in enumerate(Submission.objects.filter(phase=phase).order_by("pk")):
                Submission.objects.filter(pk=sub.pk).update(created_at=deadline - dt.timedelta(hours=2 * (index + 1)))
            phase.refresh_from_db()
            leaderboard_refresh(phase=phase)
            leaderboard_freeze(phase=phase)
            self.stdout.write(f"{phase}: deadline passed yesterday; the official board is frozen.")
        verification_request_top_teams(phase=phase)
        leader = teams[DEMO_TEAMS[0].name]
        request = VerificationRequest.objects.filter(phase=phase, team=leader).first()
        if request is not None and request.state == VerificationRequest.State.REQUESTED:
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as archive:
                archive.writestr("infer.py", "# Alpha Vision demo inference code\nprint('predicting')\n")
                archive.writestr("README.md", "python infer.py --images test/ --out pred/\n")
            verification_upload_code(
                request=request,
                user=users[DEMO_TEAMS[0].members[0]],
                archive=SimpleUploadedFile("alpha-vision-code.zip", code.getvalue(), "application/zip"),
                declared_parameters=25_557_032,
                instructions="pip install -r requirements.txt\npython infer.py --images test/ --out pred/",
            )
        late_method = f"{DEMO_TEAMS[2].name} late method"
        if not Submission.objects.filter(phase=phase, method_name=late_method).exists():
            spec = DEMO_TEAMS[2]
            sub = submission_create(
                phase=phase,
                team=teams[spec.name],
                user=users[spec.members[0]],
                uploaded_file=SimpleUploadedFile(
                    "gamma-late.zip", degraded_archive(phase.track.number, folder / "pred.zip", 0.01, seed=9)
                ),
                method_name=late_method,
                method_description="Made after the deadline: on the post-challenge board only.",
                declared_parameters=30_000_000,
            )
            self._score_now(sub)

    def _ground_truth(self, phase: Phase, count: int, data_dir: Path) -> Path:
        """Synthetic data in data_dir/track<N>-<split>/ (gt/*.png, pred.zip), loaded as the phase's truth."""
        from evaluation.synth import make_synthetic

        folder = data_dir / f"track{phase.track.number}-{phase.split}"
        fresh = len(list((folder / "gt").glob("*.png"))) != count or not (folder / "pred.zip").exists()
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            seed = phase.track.number * 10 + (1 if phase.split == "test" else 0)
            make_synthetic(phase.track.number, count, folder, seed=seed)
        if phase.image_count != count:  # challenge_load puts the full LID 2020 counts back on every run
            phase.image_count = count
            phase.save(update_fields=["image_count"])
        try:
            store_ready = ground_truth_store(phase).exists()
        except GroundTruthMissing:
            store_ready = False
        ids_recorded = GroundTruthNames.objects.filter(phase=phase).exists()  # what uploads are checked against
        if not fresh and store_ready and phase.ground_truth_checksum and ids_recorded:
            return folder
        try:
            ground_truth_load(phase=phase, source=folder / "gt")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Loaded {count} synthetic ground-truth images into {phase}.")
        return folder

    # Accounts --------------------------------------------------------------------------------

    def _organizer(self) -> str:
        existing = User.objects.filter(username="organizer").first()
        if existing is not None:
            return (
                "organizer   (existing account kept; its password is unchanged: `manage.py changepassword organizer`)"
            )
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username="organizer", email="organizer@example.org", password=password)
        return f"organizer   password {password}   (superuser, staff: /admin/; shown only now)"

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, email=f"{username}@example.org", password=DEMO_PASSWORD, affiliation="Demo"
            )
        return user

    def _people(self) -> dict[str, User]:
        users = {name: self._user(name) for team in DEMO_TEAMS for name in team.members}
        users[NO_TEAM_USER] = self._user(NO_TEAM_USER)
        verifier = self._user("verifier")
        verifier.groups.add(Group.objects.get_or_create(name=VERIFIERS_GROUP)[0])
        users["verifier"] = verifier
        return users

    def _teams(self, challenge: Any, users: dict[str, User]) -> dict[str, Team]:
        teams = {}
        for spec in DEMO_TEAMS:
            captain = users[spec.members[0]]
            team = Team.objects.filter(challenge=challenge, name=spec.name).first()
            if team is None:
                team = team_create(user=captain, challenge=challenge, name=spec.name, affiliation=spec.affiliation)
            for name in spec.members[1:]:
                if not Membership.objects.filter(user=users[name], challenge=challenge).exists():
                    team_join(user=users[name], invite_code=team.invite_code, challenge=challenge)
            teams[spec.name] = team
        return teams

    # Submissions -----------------------------------------------------------------------------

    def _submissions(self, phase: Phase, folder: Path, teams: dict[str, Team], users: dict[str, User]) -> None:
        from submissions.services import submission_create

        for spec in DEMO_TEAMS:
            team = teams[spec.name]
            for index, strength in enumerate(spec.strengths):
                method = f"{spec.name} demo method {index + 1}"
                sub = Submission.objects.filter(team=team, phase=phase, method_name=method).first()
                if sub is None:
                    archive = degraded_archive(phase.track.number, folder / "pred.zip", strength, seed=index)
                    sub = submission_create(
                        phase=phase,
                        team=team,
                        user=users[spec.members[index % len(spec.members)]],
                        uploaded_file=SimpleUploadedFile(
                            f"{_slug(spec.name)}-{index + 1}.zip", archive, "application/zip"
                        ),
                        method_name=method,
                        method_description=f"Synthetic predictions with {strength:.0%} of the pixels degraded.",
                        declared_parameters=25_557_032 + 1_000_000 * index,
                    )
                self._score_now(sub)

    def _score_now(self, sub: Submission) -> None:
        from submissions.scoring import submission_score

        sub.refresh_from_db()
        if sub.status in PENDING_STATUSES:
            # No eager task and no worker ran it (or it ran inside a test's transaction): score now.
            submission_score(submission_id=sub.pk)
            sub.refresh_from_db()
        if sub.status != Status.SCORED:
            raise CommandError(f"{sub} ended {sub.status}: {sub.error_message or sub.staff_log}")
        self.stdout.write(f"{sub.phase}: {sub.team.name} submission {sub.pk} scored {sub.score:.4f}.")

    def _report(self, challenge: Any, organizer_note: str, data_dir: Path, tracks: list[int]) -> None:
        site = "http://127.0.0.1:8000"
        lines = [
            "",
            f"The demo is ready: {site}",
            "",
            "Accounts:",
            f"  {organizer_note}",
            f"  verifier    password {DEMO_PASSWORD}   (verification queue: {site}/verification/)",
        ]
        for spec in DEMO_TEAMS:
            lines.append(f"  {', '.join(spec.members):<11} password {DEMO_PASSWORD}   (team {spec.name})")
        lines.append(f"  {NO_TEAM_USER:<11} password {DEMO_PASSWORD}   (no team yet: create or join one)")
        track, closed = tracks[0], tracks[-1]
        lines += [
            "",
            "Upload one yourself: log in as alice, open",
            f"  {site}/c/{challenge.slug}/track/{track}/test/submit/",
            f"and upload {data_dir / f'track{track}-test' / 'pred.zip'}",
            f"Leaderboard: {site}/c/{challenge.slug}/track/{track}/test/leaderboard/",
            "",
            f"Track {closed} test is past its deadline: frozen official board, top 3 asked for their code",
            "(Alpha Vision has uploaded it: log in as verifier), and a late entry on the post-challenge board:",
            f"  {site}/c/{challenge.slug}/track/{closed}/test/leaderboard/",
            f"  {site}/c/{challenge.slug}/track/{closed}/test/leaderboard/?board=post",
        ]
        self.stdout.write("\n".join(lines))


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def degraded_archive(track: int, pred_zip: Path, strength: float, *, seed: int) -> bytes:
    """The synthetic predictions with a share ``strength`` of each image's pixels spoiled (deterministic).

    Tracks 1-2: those pixels are set to label 0 (wrong on every object pixel, and never right on
    track 2). Track 3: the map is blended towards uniform noise, which flattens the curve.
    """
    rng = np.random.default_rng(seed * 1000 + round(strength * 100))
    out = io.BytesIO()
    with zipfile.ZipFile(pred_zip) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.endswith(".png"):
                continue
            with source.open(info) as handle:
                # Mode L or P: the array holds the labels (or map values) either way; no colour conversion.
                array = np.array(Image.open(handle), dtype=np.uint8)
            if track == 3:
                noise = rng.integers(0, 256, array.shape)
                array = np.clip((1 - strength) * array + strength * noise, 0, 255).astype(np.uint8)
            else:
                array[rng.random(array.shape) < strength] = 0
            png = io.BytesIO()
            Image.fromarray(array).save(png, format="PNG")
            target.writestr(info.filename, png.getvalue())
    return out.getvalue()
