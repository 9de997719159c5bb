"""The one settings module, driven by environment variables (see docs/operations.md, "Configuration").

It fails closed: without ``DEBUG=1`` a ``SECRET_KEY`` is required and the secure cookie and
HSTS settings are on. ``make demo`` and the tests set what they need in the environment.
"""

from datetime import timedelta
from pathlib import Path

import environ

from lidserver.object_storage import storages_for

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY")  # required: ImproperlyConfigured when missing
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "challenges",
    "submissions",
    "leaderboard",
    "verification",
    "audit",
    "organizer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lidserver.upload_limits.RefuseOversizedBodiesMiddleware",
    "lidserver.middleware.RefuseControlCharactersMiddleware",
    "lidserver.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lidserver.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "lidserver.urls"
WSGI_APPLICATION = "lidserver.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "challenges.context_processors.navigation",
            ],
            "builtins": ["lidserver.template_filters"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "challenges:home"
LOGOUT_REDIRECT_URL = "challenges:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates in ISO order and UTC everywhere, the admin included (lidserver/formats/en/formats.py).
FORMAT_MODULE_PATH = ["lidserver.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site root by whitenoise (the favicon browsers ask for at /favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Local files by default; S3/MinIO when S3_BUCKET is set (lidserver/object_storage.py,
# docs/operations.md "Object storage").
STORAGES = storages_for(
    env,
    staticfiles_backend=(
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    ),
)

# Uploaded archives and code live under MEDIA_ROOT; nothing there is served by URL: every
# download goes through a view that checks who asks. Ground truth lives elsewhere, never here.
MEDIA_ROOT = Path(env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
GROUND_TRUTH_ROOT = Path(env.path("GROUND_TRUTH_ROOT", default=BASE_DIR / "var" / "ground_truth"))
# With object storage, each worker keeps the stores it fetched here, one folder per checksum.
GROUND_TRUTH_CACHE = Path(env.path("GROUND_TRUTH_CACHE", default=BASE_DIR / "var" / "ground_truth_cache"))

# Uploads stream to a temporary file past this size (never held whole in memory).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", default=None)
# The first handler stops an upload as soon as its file passes the limit (lidserver/upload_limits.py).
FILE_UPLOAD_HANDLERS = [
    "lidserver.upload_limits.ArchiveSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=2 * 2**30)
ARCHIVE_MAX_MEMBERS = env.int("ARCHIVE_MAX_MEMBERS", default=50_000)
ARCHIVE_MAX_UNCOMPRESSED_BYTES = env.int("ARCHIVE_MAX_UNCOMPRESSED_BYTES", default=8 * 2**30)
# A member may inflate to what a PNG of its ground-truth image needs plus this budget for other
# chunks (evaluation.ArchiveLimits.member_bound); never limited by compression ratio.
ARCHIVE_PNG_EXTRA_BYTES = env.int("ARCHIVE_PNG_EXTRA_BYTES", default=2**20)
ARCHIVE_MAX_PIXELS = env.int("ARCHIVE_MAX_PIXELS", default=40_000_000)
MAX_DECLARED_PARAMETERS = 150_000_000
# Verification: how many ranks of each closed test board are asked for their inference code, and
# the largest code archive they may upload.
VERIFICATION_TOP = env.int("VERIFICATION_TOP", default=3)
VERIFICATION_MAX_CODE_BYTES = env.int("VERIFICATION_MAX_CODE_BYTES", default=2 * 2**30)
# A reproduced score further than this many percentage points from the board's score is recorded
# as verified only when the verifier confirms it (shown on the request and in the audit log).
VERIFICATION_SCORE_TOLERANCE_POINTS = env.float("VERIFICATION_SCORE_TOLERANCE_POINTS", default=0.5)

# Scoring: how long a submission may sit in queued/running before beat re-queues it, and how
# many attempts the platform makes before it fails the submission (without charging the team).
SCORING_STUCK_AFTER = timedelta(seconds=env.int("SCORING_STUCK_AFTER_SECONDS", default=1800))
SCORING_MAX_ATTEMPTS = env.int("SCORING_MAX_ATTEMPTS", default=3)
# The lease of a running submission: its worker renews it every SCORING_LEASE / 3 while it scores;
# a running submission whose lease has expired is stuck (its worker died) and the reaper (every
# REQUEUE_STUCK_EVERY_SECONDS) re-queues it. Lease 30 s + reaper 15 s: scored again well within 90 s.
SCORING_LEASE = timedelta(seconds=env.int("SCORING_LEASE_SECONDS", default=30))
# A submission of at least SCORING_SHARD_MIN_IMAGES images is scored in shards of about
# SCORING_SHARD_IMAGES images, by whichever pool processes (of any worker) are idle, then merged
# (submissions.sharding); a smaller one in one pass by one process.
SCORING_SHARD_MIN_IMAGES = env.int("SCORING_SHARD_MIN_IMAGES", default=2000)
SCORING_SHARD_IMAGES = env.int("SCORING_SHARD_IMAGES", default=1000)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Fair queues: Redis keeps one list per message priority 0..9 (0 first); a scoring message's
# priority is how many of its team's submissions already wait (submissions.selectors.team_queue_priority).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "queue_order_strategy": "priority",
    "priority_steps": list(range(10)),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The kinds of task (lidserver.tasks): their queue and soft / hard time limits in seconds. A
# scoring task's soft limit stays below SCORING_STUCK_AFTER, so a hung scoring is retried by its
# own worker before the reaper would rescue it.
TASK_KINDS = {
    "scoring": {
        "queue": env("SCORING_TASK_QUEUE", default="scoring"),
        "soft_time_limit": env.int("SCORING_TASK_SOFT_TIME_LIMIT", default=1500),
        "time_limit": env.int("SCORING_TASK_TIME_LIMIT", default=1560),
    },
    "staff": {
        "queue": env("STAFF_TASK_QUEUE", default="staff"),
        "soft_time_limit": env.int("STAFF_TASK_SOFT_TIME_LIMIT", default=4 * 3600),
        "time_limit": env.int("STAFF_TASK_TIME_LIMIT", default=4 * 3600 + 60),
    },
}
# A re-score run renews its claim after each submission it scores; a claim older than this is a dead worker's.
RESCORE_STUCK_AFTER = timedelta(seconds=env.int("RESCORE_STUCK_AFTER_SECONDS", default=1800))
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-submissions": {
        "task": "submissions.tasks.requeue_stuck_submissions",
        "schedule": env.int("REQUEUE_STUCK_EVERY_SECONDS", default=15),
    },
    "requeue-stuck-rescore-runs": {
        "task": "organizer.tasks.requeue_stuck_rescore_runs",
        "schedule": env.int("REQUEUE_STUCK_EVERY_SECONDS", default=15),
    },
    "freeze-closed-phases": {
        "task": "leaderboard.tasks.freeze_closed_phases",
        "schedule": env.int("FREEZE_CHECK_EVERY_SECONDS", default=60),
    },
    "request-verification": {
        "task": "verification.tasks.request_verification_for_closed_phases",
        "schedule": env.int("VERIFICATION_CHECK_EVERY_SECONDS", default=300),
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LID challenge <noreply@lid-challenge.org>")
if env("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "lidserver.api.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "lidserver.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "lidserver.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "uploads": env("UPLOAD_THROTTLE_RATE", default="30/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LID challenge server API",
    "DESCRIPTION": "Teams, submissions, scores and leaderboards of the Learning from Imperfect Data challenge.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so a file field is `format: binary` (a client generated
    # from the schema can upload) and a required text field says `minLength: 1`.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc are served from our own static files: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's health check asks over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
