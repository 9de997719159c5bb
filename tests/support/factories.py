"""factory_boy factories shared by every test package (``SubmissionFactory`` for submission rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from accounts.models import Membership, Team, User
from challenges.models import Challenge, Phase, Track
from submissions.models import Status, Submission


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            self.save()


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge
        django_get_or_create = ("slug",)

    slug = "lid2020"
    title = "Learning from Imperfect Data (LID) Challenge 2020"
    short_title = "LID 2020"


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track
        django_get_or_create = ("challenge", "number")

    challenge = factory.SubFactory(ChallengeFactory)
    number = 1
    title = factory.LazyAttribute(lambda o: f"Track {o.number}")
    dataset = "synthetic"
    key_metric = factory.LazyAttribute(lambda o: "peak_iou" if o.number == 3 else "mean_iou")


class PhaseFactory(factory.django.DjangoModelFactory):
    """An open test phase whose deadline is a week away."""

    class Meta:
        model = Phase
        django_get_or_create = ("track", "split")

    track = factory.SubFactory(TrackFactory)
    split = "test"
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    ends_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    image_count = 4
    max_submissions = 5
    # Uploads to a phase without ground truth are refused; this names a store no test opens unless it
    # packs one there (the tests that score pack their own and set the path).
    ground_truth_path = "factory/unpacked"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    challenge = factory.SubFactory(ChallengeFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    affiliation = "Example University"
    captain = factory.SubFactory(UserFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """The captain is a member; pass ``members=[user, ...]`` for more."""
        if not create:
            return
        if self.captain is not None:
            Membership.objects.get_or_create(team=self, user=self.captain, challenge=self.challenge)
        for user in extracted or []:
            Membership.objects.create(team=self, user=user, challenge=self.challenge)


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submission row written directly (no upload, no scoring run): scored with ``score`` by default.

    ``created_at=`` is honoured (the model sets it on insert, so it is written right after). The
    metrics follow the track: tracks 1-2 get mean IoU = ``score``, track 3 peak IoU = ``score``.
    """

    class Meta:
        model = Submission

    phase = factory.SubFactory(PhaseFactory)
    team = factory.SubFactory(TeamFactory, challenge=factory.SelfAttribute("..phase.track.challenge"))
    uploaded_by = factory.LazyAttribute(lambda o: o.team.captain)
    archive = factory.Sequence(lambda n: f"submissions/test/{n}.zip")
    archive_name = "pred.zip"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    size = 1000
    method_name = factory.Sequence(lambda n: f"Method {n}")
    method_description = ""
    declared_parameters = 1_000_000
    status = Status.SCORED
    score = factory.LazyAttribute(lambda o: 0.5 if o.status == Status.SCORED else None)
    metrics = factory.LazyAttribute(
        lambda o: {}
        if o.score is None
        else {"peak_iou": o.score, "peak_threshold": 96}
        if o.phase.track.number == 3
        else {"mean_iou": o.score}
    )
    scorer_version = factory.LazyAttribute(lambda o: "1.0" if o.status == Status.SCORED else "")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        created_at = kwargs.pop("created_at", None)
        sub = super()._create(model_class, *args, **kwargs)
        if created_at is not None:
            model_class.objects.filter(pk=sub.pk).update(created_at=created_at)
            sub.created_at = created_at
        return sub
