"""FinTrack settings: everything that differs between machines comes from the environment.

See the README's "Configuration" table for every variable.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from fintrack.log_config import configure_structlog, init_sentry, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; the first is the default."""
    value = os.environ.get(name, "") or choices[0]
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The test runner is the one place where a throwaway secret is acceptable.
TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
# Commands that only read the code (never sign anything) need no secret either.
OFFLINE_COMMAND = sys.argv[1:2] in (["makemigrations"], ["spectacular"])

DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING or OFFLINE_COMMAND):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

INSTALLED_APPS = [
    # Django's admin with FinTrack's site (staff two-factor sign-in, fintrack/admin_site.py).
    "fintrack.apps.FinTrackAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "django_prometheus",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The back office's command buttons and date-range list filters (spec 17).
    "django_object_actions",
    "rangefilter",
    "core",
    "api",
    "fintrack",
    "accounts",
    "customers",
    "vendors",
    "bills",
    "expenses",
    "invoices",
    "payments",
    "credits",
    "banking",
    "audit",
    "rates",
    "reports",
    "demo",
    "emails",
    "webhooks",
    "stripe_gateway",
    "recurring",
    "backoffice",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First of ours: every answer, including throttled, refused and replayed ones, carries
    # X-Request-ID and is logged with it (spec 20).
    "api.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the web process, before sessions and the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # `request.user.is_verified()`: whether this admin session passed its TOTP check.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Idempotency-Key on every POST (spec 11): replays a finished request's response. It
    # opens the one request-wide transaction (work + stored answer); it must stay after
    # the middlewares above, which touch no data, and before the views.
    "api.idempotency.IdempotencyMiddleware",
    # Fallback actor for plain saves; DRF sets request.user on the same HttpRequest once
    # the JWT is authenticated, so API writes are attributed too (see audit/README).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# A POST with an Idempotency-Key is fingerprinted over its whole body, held in memory: a
# 10 MB upload (receipts, bank statements) and its multipart envelope must fit, so its own
# limit answers (413 file_too_large) rather than Django's default cap of 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

ROOT_URLCONF = "fintrack.urls"
WSGI_APPLICATION = "fintrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite is the zero-install default. IMMEDIATE transactions take the write lock at BEGIN,
# so concurrent writers queue (up to `timeout` seconds) instead of failing with
# "database is locked" half-way through; WAL lets readers run beside the writer.
SQLITE_DEFAULT = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": BASE_DIR / "db.sqlite3",
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}


def database_from_url(url: str) -> dict:
    """The database a `DATABASE_URL` names; a SQLite URL keeps the locking options above."""
    if not url:
        return SQLITE_DEFAULT
    database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if database["ENGINE"] == SQLITE_DEFAULT["ENGINE"]:
        database["OPTIONS"] = {**SQLITE_DEFAULT["OPTIONS"], **database.get("OPTIONS", {})}
    elif database["ENGINE"] == "django.db.backends.postgresql":
        # A PostgreSQL that refuses or does not answer must become a 503 within 5 seconds
        # (spec 11), never a hung request: give up connecting after this many seconds.
        options = {"connect_timeout": 3}
        if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
            # Parameters sent apart from the SQL, and a statement run 5 times on a
            # connection (psycopg's threshold) prepared there: the server stops parsing and
            # planning the same statements, the worker stops quoting values into them
            # (bench/README.md). Off for a pooler that cannot carry prepared statements
            # across its connections (PgBouncer in transaction mode before 1.21).
            options.update(server_side_binding=True, prepare_threshold=5)
        database["OPTIONS"] = {**options, **database.get("OPTIONS", {})}
    return database


DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": database_from_url(DATABASE_URL)}

# A PostgreSQL streaming replica for report and export reads (core/db_router.py); every
# write, and every read inside a transaction, stays on `default`.
REPLICA_DATABASE = "replica"
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES[REPLICA_DATABASE] = database_from_url(DATABASE_REPLICA_URL)
elif TESTING:
    # The suite always has a replica alias, so the router's rules run on every database;
    # Django's test mirror makes it a second connection to the test database.
    DATABASES[REPLICA_DATABASE] = {**DATABASES["default"]}
if TESTING and REPLICA_DATABASE in DATABASES:
    # Test databases are created on the primary only; a real replica receives them.
    DATABASES[REPLICA_DATABASE]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttle counters (API and admin) live in the cache, which every process must share
# or each worker counts alone and lets through its own ten attempts a minute. Redis when
# REDIS_URL is set; otherwise a table of the database (`manage.py createcachetable`, run by
# `make migrate`; the test database gets it too).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_TABLE = "fintrack_cache"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing dominates test time; production keeps Django's default PBKDF2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` (run by `make serve`) gathers the files here; WhiteNoise serves
# them compressed.
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files: expense receipts and bill attachments (core/attachments.py), written
# through the storage API; whatever lands here is part of every backup (`manage.py backup`).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not manifest-hashed: a missing manifest must not turn every admin page
    # into a 500 when the files were not collected (tests, `make run`).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collected files (development, tests) WhiteNoise serves from the apps' folders.
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- E-mail ---------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587/?tls=True) wins; else EMAIL_BACKEND; else console.
if os.environ.get("EMAIL_URL"):
    vars().update(dj_email_url.parse(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@fintrack.localhost")

# How long an SMTP conversation may take before the attempt counts as failed (and is retried).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Queue, outbox and webhooks (spec 16) ---------------------------------------------
# With a broker, work after a commit (e-mails, webhook deliveries) runs on Celery workers
# (`make worker`) and beat (`make beat`) runs the periodic jobs. Without one (the default,
# `make run`) the same tasks run in this process after the commit, and due retries are
# picked up by `manage.py run_outbox` (cron). See the README's "Operations" section.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Nothing reads task results: every task records what it did in the database.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Early acknowledgement (Celery's default), said out loud: a worker killed mid-task loses
# its message, and the outbox's lease brings the work back (`OUTBOX_LEASE`), instead of the
# broker's visibility timeout (an hour on Redis) redelivering it.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A publish that fails is not retried in the web request: the row's lease expires and the
# relay hands it on again.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Workers log through Django's LOGGING (JSON lines, spec 20), not Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How long a hand-off owns a row of work before the relay may hand it to another worker.
# Longer than any attempt takes (a webhook POST times out after 10 s, an SMTP
# conversation after EMAIL_TIMEOUT), short enough that a killed worker's work resumes soon.
OUTBOX_LEASE = timedelta(seconds=env_int("OUTBOX_LEASE_SECONDS", 120))
# How often beat runs the relay (seconds).
OUTBOX_RELAY_INTERVAL = env_int("OUTBOX_RELAY_INTERVAL", 10)
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "fintrack.tasks.relay_outbox", "schedule": OUTBOX_RELAY_INTERVAL},
    # Hourly: each organization's "today" turns at its own midnight.
    "overdue-events": {"task": "fintrack.tasks.emit_overdue_events", "schedule": 3600},
    "reminders": {"task": "fintrack.tasks.send_reminders", "schedule": 6 * 3600},
    # Hourly, like the overdue job: a period is due at its organization's midnight.
    "recurring-invoices": {"task": "fintrack.tasks.run_recurring", "schedule": 3600},
    "purge-idempotency-keys": {
        "task": "fintrack.tasks.purge_idempotency_keys",
        "schedule": 3600,
    },
    "verify-ledger": {"task": "fintrack.tasks.verify_ledger", "schedule": 24 * 3600},
}
# Webhook URLs whose host is (or resolves to) a loopback, private or link-local address
# are refused unless this is 1: a customer's endpoint must not reach the internal network.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS")

# --- Stripe (spec 15) --------------------------------------------------------------------
# Fernet key(s) that encrypt the organizations' Stripe secrets at rest (core/crypto.py):
# one key, or several separated by commas when rotating (the first encrypts, all decrypt).
# Absent: Stripe credentials cannot be saved (400 `encryption_not_configured`).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or None
# Where Stripe Checkout sends the payer after paying (or giving up) when the request for a
# payment link names no page of its own.
STRIPE_CHECKOUT_RETURN_URL = os.environ.get("STRIPE_CHECKOUT_RETURN_URL", "http://localhost:8000/")

# --- Accounts (spec 20) ----------------------------------------------------------------
# The link e-mailed for a password reset: the front end's page, `{token}` replaced by the
# token it must post to auth/password-reset/confirm/.
PASSWORD_RESET_URL = os.environ.get(
    "PASSWORD_RESET_URL", "http://localhost:8000/reset-password?token={token}"
)
if "{token}" not in PASSWORD_RESET_URL:
    raise ImproperlyConfigured("PASSWORD_RESET_URL must contain {token}.")
# A reset token works once (it is bound to the password hash) and for one hour.
PASSWORD_RESET_TIMEOUT = 3600
# `optional`: a code is e-mailed at sign-up and nothing is blocked; `required`: a user
# whose e-mail is not verified cannot send invoices or move money (403).
EMAIL_VERIFICATION = env_choice("EMAIL_VERIFICATION", ("optional", "required"))
# Staff must pass a TOTP check to use the admin. Off when developing (DEBUG) and in tests,
# where the login form stays a plain e-mail and password.
ADMIN_REQUIRE_OTP = env_bool("ADMIN_REQUIRE_OTP", default=not (DEBUG or TESTING))
# The issuer shown in authenticator apps next to the staff member's e-mail.
OTP_TOTP_ISSUER = "FinTrack"

# --- Security -------------------------------------------------------------------------
# How many proxies in front of the app append to X-Forwarded-For (api/client_ip.py).
# 0: the header is ignored and the client is the connection's peer.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# TLS usually ends at the proxy, so the redirect is opt-in; the proxy's header is trusted.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Sent only on HTTPS responses, so harmless behind a plain-HTTP development server.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload submits the domain to browser vendors' lists: an operator's decision,
    # not something a default should do.
    "security.W021",
]

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Database-backed on purpose: the real User is needed as the history actor. The
        # subclass reuses the idempotency middleware's result (one user load per request).
        "api.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.FormatNegotiation",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("LOGIN_THROTTLE_RATE", "10/min"),
        # E-mails sent on request (password reset, a new verification code), per client
        # address and e-mail: enough for a typo or two, too few to flood an inbox.
        "email": os.environ.get("EMAIL_THROTTLE_RATE", "5/hour"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Rotation where the old token's blacklist row is the claim: one winner per token.
    "TOKEN_REFRESH_SERIALIZER": "accounts.tokens.SingleUseTokenRefreshSerializer",
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "FinTrack API",
    "DESCRIPTION": "Invoicing and receivables. Send `X-Organization: <id>` to choose the "
    "organization when your user belongs to several.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served by this app (sidecar), not fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in (
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            "ParseErrorCodeEnum",
            "ErrorCode401Enum",
            "ErrorCode403Enum",
            "ErrorCode404Enum",
            "ErrorCode405Enum",
            "ErrorCode406Enum",
            "ErrorCode415Enum",
            "ErrorCode429Enum",
            "ErrorCode500Enum",
        )
    }
    # Customer payments, bill payments and expenses offer the same methods: one enum.
    | {"PaymentMethodEnum": "payments.models.PaymentMethod"}
    | {
        "CreditEntryKindEnum": "payments.credit.CreditKind",
        "PaymentKindEnum": "payments.models.PaymentKind",
    }
    | {"RecurringIntervalEnum": "recurring.models.RecurringInterval"}
    # Lines, breakdowns and the tax report name the same VAT categories (spec 18).
    | {"TaxCategoryEnum": "invoices.tax.TaxCategory"},
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

DRF_STANDARDIZED_ERRORS = {
    # Unhandled errors are JSON even with DEBUG on: API clients never parse HTML.
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "api.exceptions.FinTrackExceptionHandler",
}

# Idempotency keys are kept this long (spec 11); purge_idempotency_keys removes older ones.
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# How long a claimed key stays its request's before another request with the same key may
# take it over (spec 11: at most 60 s). It bounds how long a key stays "in use" after its
# request died (killed worker, lost connection); a request that is alive and working holds
# the key's row lock and cannot be taken over, however long the work runs.
IDEMPOTENCY_KEY_LEASE = timedelta(seconds=30)

# --- Logs, errors and metrics (spec 20) -----------------------------------------------
# One JSON object a line (for the log shipper) unless LOG_FORMAT=text (for humans).
LOG_FORMAT = env_choice("LOG_FORMAT", ("json", "text"))
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
configure_structlog()

# Unhandled errors go to Sentry only when a DSN is given; nothing is sent otherwise.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN and not TESTING:
    init_sentry(SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", ""))

# `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` when it is set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
