# FinTrack developer commands. `make run` and `make test` need nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The port both servers listen on (spec 20), as platforms that assign one set it.
PORT ?= 8000
# Development server only: a fixed key, local hosts, no TOTP for the demo staff.
# Production sets its own env.
RUN_ENV := SECRET_KEY=$${SECRET_KEY:-development-only-secret-key-not-for-production-use-1234567890} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-localhost,127.0.0.1,0.0.0.0,[::1]} \
	ADMIN_REQUIRE_OTP=$${ADMIN_REQUIRE_OTP:-0} \
	FIELD_ENCRYPTION_KEY=$${FIELD_ENCRYPTION_KEY:-XBBS0ro_5fkdJVHWJ87v84mkzOdR9AvPFB4QpFq-eiU=}

.PHONY: run serve worker beat test install migrate lint format check clean bench bench-big

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	# The login throttle's shared counters (the default cache without REDIS_URL).
	$(RUN_ENV) $(BIN)/python manage.py createcachetable

run: migrate
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	# --insecure serves the admin's static files with DEBUG off, as in production.
	$(RUN_ENV) $(BIN)/python manage.py runserver --insecure 0.0.0.0:$(PORT)

# Production: the environment gives SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and the rest
# (README, "Serving in production"); nothing here supplies a development default.
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput
	PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py fintrack.wsgi

# The queue (spec 16): workers run e-mails and webhook deliveries, one beat runs the
# periodic jobs (outbox relay, reminders, key purge, nightly verify_ledger). Both need
# CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and the production environment.
worker: install
	$(BIN)/celery --app fintrack worker --loglevel INFO $(WORKER_ARGS)

beat: install
	$(BIN)/celery --app fintrack beat --loglevel INFO --schedule $${BEAT_SCHEDULE_FILE:-celerybeat-schedule}

test: install
	# One worker per core (pytest-xdist), each with its own test database.
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# HTTP load benchmark, product against the ceiling app (bench/README.md). Needs the local
# PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432); installs wrk and gunicorn.
bench: install
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python bench/http_bench.py $(BENCH_ARGS)

# AR aging, the summary and the CSV export over 1,000,000 invoices seeded in SQL, against
# hand-written SQL (bench/README.md). On demand, not in CI: about 10 minutes.
bench-big: install
	$(BIN)/python bench/big_book.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm
