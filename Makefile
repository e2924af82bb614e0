# Two commands matter: `make run` (the app) and `make test` (lint, types and the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip install --quiet --require-hashes --no-deps
PORT ?= 8501
export PYTHONPATH := $(CURDIR)

.PHONY: run test lint bench lock system-deps clean a11y

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# The app alone (locked with hashes), then the app plus the test tools (their own lock).
$(VENV)/.installed-app: requirements.txt | $(VENV)/bin/python
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(VENV)/bin/python
	$(PIP) -r requirements-dev.txt
	touch $(VENV)/.installed-app $@

run: $(VENV)/.installed-app
	$(PY) -m dashboard serve --port $(PORT)

# System packages the tests use (Chromium, DejaVu fonts, poppler): installed when missing and possible.
system-deps:
	bash scripts/install-system-deps.sh

# axe-core for the accessibility checks, from the npm registry, locked with its integrity hash.
AXE := tests/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --ignore-scripts --silent \
		|| echo "warning: npm could not install axe-core; the accessibility report needs it" >&2

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check dashboard tests benchmarks
	$(VENV)/bin/ruff format --check dashboard tests benchmarks
	$(VENV)/bin/mypy

# One pytest: the browser journeys share the two cores with nothing but their own server. (Run beside the rest
# of the suite, one pytest per core with TEST_PORTS=lo-hi each, a fresh clone's .ci/run took 8.6 minutes instead
# of 10.1, but two journeys lost a typed value under that load in one of two runs; see tests/serverproc.py.)
test: lint system-deps $(AXE)
	$(PY) -m pytest -q $(PYTEST_ARGS)

# Accessibility of every page (axe-core, WCAG 2.2 AA), app-caused and Streamlit-caused, per page.
a11y: $(VENV)/.installed-dev system-deps $(AXE)
	$(PY) scripts/accessibility_report.py

bench: $(VENV)/.installed-dev system-deps
	$(PY) -m benchmarks.run $(ARGS)

# Regenerate both locks from pyproject.toml (needs the package index; commit the result).
lock: $(VENV)/.installed-dev
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 \
		--no-header --quiet -o requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --generate-hashes --universal --python-version 3.11 \
		--no-header --quiet -o requirements-dev.txt

clean:
	rm -rf $(VENV) .pytest_cache
