# The README's commands: `make demo` and `make test`. Every step leaves a stamp in .stamps/
# so a second run skips what is done; stamps depend on the files that feed them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PIP_RETRIES := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --retries 0 -q
JUPYTER := $(VENV)/bin/jupyter
STAMPS := .stamps
PORT ?= 8800
SRC := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json
DEMO_SRC := $(shell find demo/src -type f 2>/dev/null) demo/tsconfig.json
PY_SRC := pyproject.toml install.json $(shell find jupyterlab_portal_token -name '*.py') \
	$(shell find jupyter-config -type f 2>/dev/null)

.PHONY: demo test lint jest pytest ui-test dist build setup clean help bench

help:
	@echo "make demo   set up and run the demo portals on ports $(PORT) to $$(($(PORT) + 3)) with JupyterLab"
	@echo "make test   set up and run every test (lint, jest, pytest, ui-tests)"
	@echo "make dist   build the labextension and the wheel into dist/"

$(STAMPS):
	@mkdir -p $@

# --- set-up ---------------------------------------------------------------------------------

$(STAMPS)/venv: | $(STAMPS)
	@command -v python3 >/dev/null || (apt-get update -qq && apt-get install -y -qq python3 python3-venv)
	python3 -m venv $(VENV) || (apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(VENV))
	$(PIP) install 'jupyterlab==4.6.4' ipykernel jupyter-builder hatchling build \
		pytest pytest-asyncio pytest-timeout httpx 2> >(grep -v 'is ignored: it is neither' >&2)
	@touch $@

$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund
	@touch $@

$(STAMPS)/build: $(STAMPS)/npm $(SRC)
	npm run build:prod
	@touch $@

$(STAMPS)/demo-build: $(STAMPS)/npm $(DEMO_SRC)
	npm run build:demo
	@touch $@

dist: $(STAMPS)/dist
$(STAMPS)/dist: $(STAMPS)/build $(STAMPS)/venv $(PY_SRC)
	rm -rf dist
	$(PY) -m build --wheel --sdist --no-isolation -o dist . > /dev/null
	@unzip -l dist/*.whl | grep 'share/jupyter/labextensions/jupyterlab-portal-token/package.json' > /dev/null \
		|| (echo "the wheel has no labextension" >&2; exit 1)
	@touch $@

# The built wheel, installed into the venv as a user would install it.
$(STAMPS)/installed: $(STAMPS)/dist
	$(PIP) install --no-deps --force-reinstall dist/*.whl
	@touch $@

$(STAMPS)/chromium: | $(STAMPS)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@touch $@

# R and IRkernel from Debian, registered as a kernel in the venv.
$(STAMPS)/irkernel: $(STAMPS)/venv
	@command -v R >/dev/null && R -q -e 'library(IRkernel)' >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq r-cran-irkernel)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" R -q -e 'IRkernel::installspec(prefix = "$(CURDIR)/$(VENV)")' > /dev/null
	@touch $@

setup: $(STAMPS)/installed $(STAMPS)/demo-build

# --- the two commands -----------------------------------------------------------------------

demo: setup $(STAMPS)/irkernel
	@echo "Starting the demo portals on ports $(PORT) to $$(($(PORT) + 3)) (Ctrl-C stops them and JupyterLab)"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) JUPYTER_COMMAND="$(CURDIR)/$(JUPYTER)" \
		JUPYTER_ROOT_DIR="$${JUPYTER_ROOT_DIR:-$(CURDIR)/demo/notebooks}" node demo/lib/main.js

test: setup $(STAMPS)/chromium $(STAMPS)/irkernel
	$(MAKE) lint
	$(MAKE) jest
	$(MAKE) pytest
	$(MAKE) wheel-check
	$(MAKE) ui-test

lint: $(STAMPS)/npm
	npm run lint

# The real-kernel suites start a Jupyter server with the installed server half (broker.test.ts).
jest: $(STAMPS)/npm $(STAMPS)/installed
	@# One suite at a time: the real-kernel suites run Jupyter servers and kernels whose timing
	@# tests (restarts, a dying kernel) miss their marks when two run at once on 2 cores; in
	@# band the whole run takes as long (about 2 minutes here).
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx jest --runInBand

# The server extension against a real jupyter_server, with real kernels (python3 and ir).
pytest: $(STAMPS)/venv $(STAMPS)/irkernel
	@$(PY) -c 'import pytest_asyncio, pytest_timeout, httpx' 2>/dev/null \
		|| $(PIP) install pytest pytest-asyncio pytest-timeout httpx 2> >(grep -v 'is ignored: it is neither' >&2)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest

wheel-check: $(STAMPS)/dist
	bash ui-tests/check-wheel.sh

ui-test: setup $(STAMPS)/chromium
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx playwright test -c ui-tests/playwright.config.ts

# The README's screenshots of the panel, light and dark (docs/images/panel-<state>-<theme>.png), from
# the demo in Galata (not part of `make test`), on ports SCREENSHOTS_PORT (default 8971) to +3.
.PHONY: screenshots
screenshots: setup $(STAMPS)/chromium
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx playwright test -c ui-tests/screenshots.config.ts

# The benchmarks of docs/BENCHMARKS.md (not part of `make test`): prints their table, also left in
# ui-tests/bench/results/. BENCH_PORT (default 8831), BENCH_IDLE_MINUTES (default 10), BENCH_REPS…
bench: setup $(STAMPS)/chromium
	@status=0; PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx playwright test -c ui-tests/bench.config.ts || status=$$?; \
		echo; cat ui-tests/bench/results/table.md; exit $$status

clean:
	rm -rf $(STAMPS) lib demo/lib dist jupyterlab_portal_token/labextension tsconfig.tsbuildinfo
