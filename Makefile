# The two commands of the quick start: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_ENV := DEBUG=1
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lidserver
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: install demo test test-tiers doctest test-fast test-slow lint bench bench-web bench-rush bench-shard worker beat serve chromium archivers clean

$(STAMP): requirements.txt requirements-dev.txt client/pyproject.toml evaluation/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e ./client
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it downloads nothing).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's archivers for the producer matrix (tests/evaluation_tests/test_producers.py): zip, 7z, bsdtar.
archivers:
	@command -v zip >/dev/null && command -v 7z >/dev/null && command -v bsdtar >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq zip p7zip-full libarchive-tools >/dev/null; }

# The demo: SQLite, tasks run in-process, synthetic LID data; serves on http://127.0.0.1:8000.
# It runs with DEBUG off, as production does (the site's own 404/403 pages, static files collected and
# served by whitenoise), over plain HTTP on 127.0.0.1: so a demo-only key, no HTTPS redirect, no
# HSTS and cookies that are not "secure". Production's defaults stay as they are (lidserver/settings.py);
# tests/lidserver_tests/test_demo_settings.py starts the server with exactly these variables.
DEMO_ENV := DEBUG=0 SECRET_KEY=demo-only-key-never-use-in-production-5b1f0c9e SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 ALLOWED_HOSTS=127.0.0.1,localhost CELERY_TASK_ALWAYS_EAGER=1
demo: $(STAMP)
	mkdir -p var
	$(DEMO_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(PY) manage.py migrate --noinput
	$(DEMO_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(PY) manage.py collectstatic --noinput --verbosity 0
	$(DEMO_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(PY) manage.py demo_setup
	$(DEMO_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(PY) manage.py runserver 127.0.0.1:8000

# mypy loads the django-stubs plugin, which reads the settings: hence the demo environment.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) DATABASE_URL=sqlite:///:memory: $(VENV)/bin/mypy --strict evaluation
	$(DEV_ENV) DATABASE_URL=sqlite:///:memory: $(VENV)/bin/mypy accounts audit challenges leaderboard lidserver organizer submissions verification
	$(DEV_ENV) DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run

# Every test: lint, the scoring core's doctests, unit, integration (real PostgreSQL, Redis and a
# Celery worker), browser and the slow tier. CI (.ci/run) calls exactly this.
# Lint, the doctests and test-tiers run side by side (make -j3; a failure in any fails `make test`),
# then the load tests alone: they measure page latency while workers score (docs/testing.md).
TEST_WORKERS ?= 4
PYTEST_ENV = $(DEV_ENV) DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}
PARALLEL = -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/load_tests
test: $(STAMP) chromium archivers
	$(MAKE) --no-print-directory -j3 lint doctest test-tiers
	$(PYTEST_ENV) $(PY) -m pytest tests/load_tests

# Every tier but the load tests in ONE pytest-xdist run of TEST_WORKERS processes (pytest-django
# gives each its own test database): more processes than cores, since the long tests mostly wait
# on the workers, servers and browsers they start. tests/conftest.py hands out the long tiers
# first and the short plain tests fill the end; --dist loadgroup keeps each xdist_group on one process.
test-tiers: $(STAMP)
	$(PYTEST_ENV) $(PY) -m pytest tests $(PARALLEL)

# The scoring core's doctests, without Django.
doctest: $(STAMP)
	$(PY) -m pytest --doctest-modules evaluation lidserver/formatting.py -q -p no:django -p no:cacheprovider

# Only the fast tiers (no real worker, no browser, no slow tier), on two processes.
test-fast: $(STAMP) archivers
	$(PYTEST_ENV) $(PY) -m pytest tests -m "not integration and not browser and not slow" -n 2

# The slowest tier alone.
test-slow: $(STAMP) chromium
	$(PYTEST_ENV) $(PY) -m pytest tests -m slow $(PARALLEL)
	$(PYTEST_ENV) $(PY) -m pytest tests/load_tests -m slow

# Scoring speed on realistic data made once by ../shared/bench/make_data.py (not in this repository;
# BENCH_GENERATOR to point at it) into BENCH_DATA (default /var/tmp/lid-bench); see docs/operations.md.
bench: $(STAMP)
	$(PY) -m bench

# The deadline rush (bench/rush.py): 30 teams' realistic archives within a minute onto bin/worker with 1, then 2
# pool processes; makespan, p50/p95 wait, longest wait of a team's first submission. Optional, not in `make test`.
bench-rush: $(STAMP)
	psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -tAc "SELECT 1 FROM pg_database WHERE datname='lidbench'" | grep -q 1 \
		|| psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "CREATE DATABASE lidbench"
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lidbench} $(PY) -m bench.rush $(BENCH_RUSH_ARGS)

# One full-size track 3 submission through a live bin/worker (2 pool processes, scored in shards)
# against `python -m evaluation score --workers 2`, in pairs (bench/shard.py; make bench first).
bench-shard: $(STAMP)
	psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -tAc "SELECT 1 FROM pg_database WHERE datname='lidbench'" | grep -q 1 \
		|| psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "CREATE DATABASE lidbench"
	DEBUG=1 DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lidbench} $(PY) -m bench.shard $(BENCH_SHARD_ARGS)

# Leaderboard latency under load on a local gunicorn (see docs/operations.md, Performance). It seeds its own
# PostgreSQL database (lidbench, created if missing; BENCH_DATABASE_URL to use another).
bench-web: $(STAMP)
	psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -tAc "SELECT 1 FROM pg_database WHERE datname='lidbench'" | grep -q 1 \
		|| psql "$${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "CREATE DATABASE lidbench"
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lidbench} $(PY) -m bench.web

# The same scripts docker-compose runs (bin/worker, bin/beat); the tests start bin/worker too.
worker: $(STAMP)
	PYTHON=$(PY) bin/worker

beat: $(STAMP)
	PYTHON=$(PY) bin/beat

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
