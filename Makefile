# Two commands matter: `make run` (the app) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
export PYTHONPATH := $(CURDIR)

.PHONY: run test bench system-deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m dashboard serve --port $(PORT)

# System packages the tests use (Chromium, DejaVu fonts, poppler): installed when missing and possible.
system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed system-deps
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache
