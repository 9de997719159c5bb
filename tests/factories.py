"""factory_boy factories shared by every test package."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Membership, Team, User
from challenges.models import Challenge, Phase, Track


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
