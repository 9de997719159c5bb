"""Object storage (S3, MinIO) for what teams upload and for the packed ground truth.

``settings.STORAGES`` is built here: with ``S3_BUCKET`` set, the ``default`` storage (archives,
per-image statistics, verification code) is django-storages' S3 backend under the prefix
``S3_MEDIA_PREFIX``, and a second storage, ``ground_truth``, holds the packed ground-truth stores
under ``S3_GROUND_TRUTH_PREFIX`` (in ``S3_GROUND_TRUTH_BUCKET``, by default the same bucket). Both
are private: no ACL is sent (the bucket's own policy applies) and any URL is a signed, expiring one;
the site never hands out such URLs, every download goes through a view that checks who asks.
Without ``S3_BUCKET`` the local filesystem (MEDIA_ROOT, GROUND_TRUTH_ROOT) is used, as before.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

S3_BACKEND = "storages.backends.s3.S3Storage"
GROUND_TRUTH_STORAGE = "ground_truth"


def s3_options(
    *,
    bucket: str,
    prefix: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """django-storages' S3Storage options for a private bucket/prefix."""
    return {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region or None,
        "default_acl": None,  # never public-read: the bucket stays private
        "querystring_auth": True,  # any URL would be signed and expire
        "querystring_expire": 300,
        "file_overwrite": False,  # like the filesystem: a taken name gets a suffix
        "max_memory_size": 2 * 2**20,  # a file read whole (a download) spools to disk past 2 MiB
        "addressing_style": "path",  # MinIO and moto without wildcard DNS
        "signature_version": "s3v4",
    }


def storages_for(env: Any, *, staticfiles_backend: str) -> dict[str, Any]:
    """``settings.STORAGES`` from the environment (``env`` is django-environ's ``Env``)."""
    storages: dict[str, Any] = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": staticfiles_backend},
    }
    bucket = env("S3_BUCKET", default="")
    if not bucket:
        return storages
    common = {
        "endpoint_url": env("S3_ENDPOINT_URL", default=None),
        "access_key": env("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
        "region": env("S3_REGION", default=None),
    }
    media_prefix = env("S3_MEDIA_PREFIX", default="media").strip("/")
    truth_bucket = env("S3_GROUND_TRUTH_BUCKET", default="") or bucket
    truth_prefix = env("S3_GROUND_TRUTH_PREFIX", default="ground-truth").strip("/")
    if truth_bucket == bucket and _overlap(media_prefix, truth_prefix):
        raise ImproperlyConfigured(
            f"S3_GROUND_TRUTH_PREFIX ({truth_prefix!r}) and S3_MEDIA_PREFIX ({media_prefix!r}) overlap in the bucket "
            f"{bucket!r}; ground truth must never sit with uploaded files. Give them separate, non-nested prefixes "
            "(or set S3_GROUND_TRUTH_BUCKET)."
        )
    storages["default"] = {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(bucket=bucket, prefix=media_prefix, **common)}
    storages[GROUND_TRUTH_STORAGE] = {
        "BACKEND": S3_BACKEND,
        "OPTIONS": s3_options(bucket=truth_bucket, prefix=truth_prefix, **common),
    }
    return storages


def _overlap(a: str, b: str) -> bool:
    """Whether one prefix contains the other (an empty prefix is the whole bucket)."""
    a, b = f"{a}/" if a else "", f"{b}/" if b else ""
    return a.startswith(b) or b.startswith(a)
