# Common tasks. Everything runs from the virtualenv in .venv, which is (re)installed only
# when the requirements or the package metadata change.

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export FLASK_APP := mediation

.PHONY: run serve serve-waitress test lint bench clean venv system-deps system-deps-runtime

# wildcard: the package metadata may not exist yet in a fresh checkout, and a missing
# prerequisite would otherwise stop make with "No rule to make target".
$(STAMP): requirements.txt requirements-dev.txt $(wildcard setup.cfg pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements-dev.txt -e .
	touch $@

venv: $(STAMP)

# Through bash: a checkout or an archive may not keep the executable bit.
system-deps:
	bash scripts/system-deps.sh

system-deps-runtime:
	bash scripts/system-deps.sh --runtime

# Development: without a SECRET_KEY, the first start writes a random one to
# instance/secret.key (owner-only) and later starts read it.
run: system-deps-runtime venv
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production: migrate, then serve on HOST:PORT. Settings come from the environment (README:
# Configuration); no demo data. Always production: it refuses to start without a SECRET_KEY
# of at least 32 bytes, and its session cookies are Secure (serve it behind HTTPS).
# On Linux: gunicorn workers (gunicorn.conf.py; WEB_CONCURRENCY workers, default cores + 1);
# on Windows, or with `make serve-waitress`: waitress (pure Python), THREADS threads. The
# limits of both (timeouts, recycling, connections) are in mediation/serving.py.
HOST ?= 127.0.0.1
THREADS ?= 8
export HOST PORT THREADS
ifeq ($(OS),Windows_NT)
serve: serve-waitress
else
serve: export MEDIATION_ENV := production
serve: system-deps-runtime venv
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py
endif

serve-waitress: export MEDIATION_ENV := production
serve-waitress: system-deps-runtime venv
	$(BIN)/flask db upgrade
	$(BIN)/python -m mediation.serving

# The suite runs in TEST_WORKERS processes (pytest-xdist); each has its own databases, its
# own browser and its own ports, so they never share state. TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2
test: system-deps venv
	$(BIN)/ruff check mediation tests bench
	$(BIN)/ruff format --check mediation tests bench
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check mediation tests bench

bench: venv
	$(BIN)/python bench/run.py
	$(BIN)/python bench/run.py --postgres
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/api.py

# instance/ holds the local database and config: never removed here.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
