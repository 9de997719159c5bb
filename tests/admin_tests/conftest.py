"""Fixtures of the verification tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _local_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
