# Two entry points for a fresh machine: `make plan` and `make test`. Both create the virtualenv
# and install the pinned dependencies themselves (PyPI, and npm for the Kusto language service).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
KQL_TOOL := tools/kql-check
KQL_STAMP := $(KQL_TOOL)/node_modules/.installed-stamp

.PHONY: setup plan test lint typecheck unit clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(KQL_STAMP): $(wildcard $(KQL_TOOL)/package-lock.json)
	@if [ -f $(KQL_TOOL)/package-lock.json ]; then \
		cd $(KQL_TOOL) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed-stamp; \
	else mkdir -p $(KQL_TOOL)/node_modules && touch $(KQL_STAMP); fi

setup: $(STAMP) $(KQL_STAMP)

plan: setup
	$(PY) -m gatewatch plan

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy gatewatch components

unit: setup
	$(VENV)/bin/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) $(KQL_TOOL)/node_modules
