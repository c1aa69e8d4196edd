# tocsin: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
export TOCSIN_DATABASE_URL ?= sqlite:///var/tocsin.db

.PHONY: setup run test test-deps test-postgres lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/tocsin migrate
	$(BIN)/tocsin demo
	$(BIN)/tocsin serve --host $(HOST) --port $(PORT)

APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends >/dev/null

# Real programs some tests drive, from Debian (the browser tests use Debian's chromium, never Playwright's own
# browsers). Installed where apt-get runs as root; otherwise those tests skip and say why.
test-deps:
	@for tool in chromium prometheus-alertmanager swaks; do command -v $$tool >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    { $(APT_INSTALL) $$tool || { apt-get update -q >/dev/null && $(APT_INSTALL) $$tool; }; }; } || \
	  echo "$$tool is not installed: its tests will be skipped"; done

test: setup test-deps
	$(BIN)/pytest -q

# The database tests against a throw-away PostgreSQL database (needs a local server, trust auth).
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PG_TEST_DB ?= tocsin_ci
test-postgres: setup test-deps
	$(BIN)/python -m tests.pgdb create $(PG_ADMIN_URL) $(PG_TEST_DB)
	TOCSIN_TEST_DATABASE_URL=$$($(BIN)/python -m tests.pgdb url $(PG_ADMIN_URL) $(PG_TEST_DB)) $(BIN)/pytest -q; \
	  status=$$?; $(BIN)/python -m tests.pgdb drop $(PG_ADMIN_URL) $(PG_TEST_DB); exit $$status

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy tocsin

bench: setup
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
