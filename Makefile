# tocsin: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
export TOCSIN_DATABASE_URL ?= sqlite:///var/tocsin.db

.PHONY: setup browser run test test-postgres lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's chromium (never Playwright's own browsers). Installed here when it
# is missing and apt-get can run as root; otherwise the browser tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }; \
	else echo "chromium is not installed and cannot be installed here: the browser tests (tests/e2e) will be skipped"; fi

run: setup
	$(BIN)/tocsin migrate
	$(BIN)/tocsin demo
	$(BIN)/tocsin serve --host $(HOST) --port $(PORT)

test: setup browser
	$(BIN)/pytest -q

# The database tests against a throw-away PostgreSQL database (needs a local server, trust auth).
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PG_TEST_DB ?= tocsin_ci
test-postgres: setup browser
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
