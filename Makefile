# The two commands of README.md: `make run` (set up and start the app on SQLite with demo data)
# and `make test` (set up, lint — ruff and mypy --strict on the whole package — and run every
# test). `.ci/run` calls `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check
PYTHON ?= python3
# Debian packages the tests need: Chromium (and its French locale, for its date fields and file
# chooser) for the UI tests, PC/SC daemon + virtual reader driver for the smart-card tests,
# libpcsclite-dev to build pyscard, poppler-utils to look at PDFs.
TEST_DEBS := chromium chromium-l10n libpcsclite-dev pcscd vsmartcard-vpcd poppler-utils
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev system-deps services lint bench clean

run: setup
	$(VENV)/bin/openfse init --demo-if-empty
	$(VENV)/bin/openfse serve

test: system-deps setup-dev services
	$(VENV)/bin/ruff check openfse tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

setup: $(VENV)/bin/python
	$(PIP) install -c requirements/constraints.txt -e .

setup-dev: $(VENV)/bin/python
	$(PIP) install -c requirements/constraints.txt -e '.[dev]'

# Installs the Debian packages when run as root (CI, a fresh machine); otherwise says what is missing.
system-deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "not root: cannot install$$missing (the tests needing them will be skipped)"; fi; \
	fi

# PostgreSQL: the storage tests also run on it when it answers on 127.0.0.1:5432; start the
# machine's cluster if it is installed but stopped.
services:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start || true; \
	  fi; \
	fi; true

lint: setup-dev
	$(VENV)/bin/ruff check openfse tests bench
	$(VENV)/bin/mypy

bench: setup-dev
	for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
