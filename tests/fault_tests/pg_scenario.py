"""Driver for the PostgreSQL-restart test: runs against a private cluster in its own process.

The test process's own database connection belongs to pytest-django, so everything that must live
in the private cluster (migrations, the challenge, the upload) is done here, in a subprocess:

    DATABASE_URL=... python -m tests.fault_tests.pg_scenario setup WORKDIR   -> prints the submission id
    DATABASE_URL=... SCORING_STUCK_AFTER_SECONDS=10 python -m tests.fault_tests.pg_scenario requeue
    DATABASE_URL=... python -m tests.fault_tests.pg_scenario web_world        -> prints a member's token
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def setup(workdir: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    import evaluation
    from submissions.services import submission_create
    from tests.fault_tests.test_faults import COUNT, SHAPE
    from tests.security_tests import hostile
    from tests.security_tests.uploads import pack
    from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    gt, sample = hostile.make_sample(1, count=COUNT, shape=SHAPE)
    root = Path(os.environ["GROUND_TRUTH_ROOT"])
    info = pack(evaluation, 1, gt, workdir, root / "store")
    challenge = ChallengeFactory()
    phase = PhaseFactory(
        track=TrackFactory(challenge=challenge, number=1),
        image_count=COUNT,
        ground_truth_path="store",
        ground_truth_checksum=info.checksum,
    )
    user = UserFactory(username="pgrestart")
    team = TeamFactory(challenge=challenge, name="Restarters", captain=user)
    data = hostile.zip_bytes(sample.pngs())
    (workdir / "pred.zip").write_bytes(data)
    sub = submission_create(
        phase=phase,
        team=team,
        user=user,
        uploaded_file=SimpleUploadedFile("pred.zip", data),
        method_name="Restart",
        declared_parameters=10,
    )
    print(json.dumps({"submission_id": sub.pk, "team_id": team.pk, "phase_id": phase.pk}))


def requeue() -> None:
    from submissions.scoring import submissions_requeue_stuck

    print(json.dumps(submissions_requeue_stuck()))


def web_world() -> None:
    """Migrate, then a challenge with an open phase (ground truth recorded) and a member's API token."""
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from tests.support.factories import ChallengeFactory, PhaseFactory, TeamFactory, TrackFactory, UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    challenge = ChallengeFactory()
    PhaseFactory(track=TrackFactory(challenge=challenge, number=1), image_count=2, ground_truth_path="store")
    user = UserFactory(username="dbdown")
    TeamFactory(challenge=challenge, name="Down", captain=user)
    print(json.dumps({"token": Token.objects.create(user=user).key}))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")
    import django

    django.setup()
    if sys.argv[1] == "setup":
        setup(Path(sys.argv[2]))
    elif sys.argv[1] == "web_world":
        web_world()
    else:
        requeue()
