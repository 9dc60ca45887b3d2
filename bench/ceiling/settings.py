"""Settings of the ceiling app: DEBUG off, four middlewares, DRF without authentication.

The database is the product's PostgreSQL (another database on the same server) with the
product's connection settings (`CONN_MAX_AGE` 60, health checks), from `CEILING_DATABASE_URL`.
"""

import os

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "ceiling-bench-only-key-it-signs-nothing")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rest_framework",
    "ceiling",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "ceiling.urls"
WSGI_APPLICATION = "ceiling.wsgi.application"

# The same parse, so the same CONN_MAX_AGE and health checks as fintrack/settings.py.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get(
            "CEILING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fintrack_bench_ceiling"
        ),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if os.environ.get("CEILING_PREPARED_STATEMENTS"):
    # `http_bench.py --ceiling-prepared`: the product's PostgreSQL options (prepared
    # statements), to compare like with like; by default the ceiling keeps Django's.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
