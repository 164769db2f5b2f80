# Two commands matter: `make run` (demo server on :8000) and `make test` (lint + whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432
PG_TEST_DB ?= movie_api_ci
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run port-free test test-postgres serve worker scheduler lint format bench clean screenshot schema

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# `PORT=8001 make run` serves on another port (HOST likewise; see README). A task
# worker and the periodic-job scheduler run beside the server and stop with it.
run: port-free $(VENV)/.runtime-installed
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(PY) scripts/run_dev.py $(HOST):$(PORT)

# Before installing, migrating and seeding: a busy HOST:PORT fails at once.
port-free:
	@$(PYTHON) scripts/check_port.py "$(HOST)" "$(PORT)"

test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL= $(VENV)/bin/pytest --create-db -q

# A fresh database on the local PostgreSQL server, then the whole suite against it.
test-postgres: $(VENV)/.dev-installed
	$(PY) scripts/recreate_pg_db.py "$(PG_URL)" "$(PG_TEST_DB)"
	DATABASE_URL=$(PG_URL)/$(PG_TEST_DB) $(VENV)/bin/pytest --create-db -q

# Production-like: gunicorn, debug off, static files through whitenoise. Background
# work runs in separate processes beside it (README "Background work", docs/SCALING.md):
# `make worker` (as many as docs/SCALING.md says) and `make scheduler` (exactly one).
serve: $(VENV)/.runtime-installed
	@test -n "$$DJANGO_SECRET_KEY" || { echo "DJANGO_SECRET_KEY must be set for make serve"; exit 1; }
	DJANGO_DEBUG=0 $(PY) manage.py collectstatic --noinput -v 0
	DJANGO_DEBUG=0 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=0 $(VENV)/bin/gunicorn -c gunicorn.conf.py movie_api.wsgi:application

# One task worker: the database queue's db_worker, or RQ's when TASKS_BACKEND=rq.
worker: $(VENV)/.runtime-installed
	@if [ "$$TASKS_BACKEND" = rq ]; then \
		exec $(PY) manage.py rqworker default --job-class django_tasks_rq.Job --worker-class rq.worker.SimpleWorker --with-scheduler; \
	else \
		exec $(PY) manage.py db_worker --no-reload; \
	fi

# The periodic-job scheduler (hold expiry, outbox sweep, ...): run exactly one.
scheduler: $(VENV)/.runtime-installed
	$(PY) manage.py run_periodic

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* test_db.sqlite3*

# Benchmark against a bare-WSGI floor (bench/README.md); set DATABASE_URL=postgres://... for PostgreSQL.
bench: $(VENV)/.dev-installed
	$(PY) bench/run.py

# Regenerate the committed OpenAPI schema; tests/security/test_schema.py checks it is
# current and that generating it gives no warnings.
schema: $(VENV)/.runtime-installed
	DJANGO_DEBUG=1 $(PY) manage.py spectacular --validate --file openapi.yaml

# Regenerate docs/seat-map.png (needs /usr/bin/chromium).
screenshot: $(VENV)/.dev-installed
	$(PY) scripts/screenshot_seat_map.py
