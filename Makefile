# sendfx platform: the two commands are `make up` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export UV_PYTHON_DOWNLOADS := never
# The local stack and the tests run on development secrets, which every
# process refuses unless told it is on a developer machine.
export SENDFX_ENV ?= development

VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# `make logs COMPONENT=core-api FOLLOW=1`, `make bench-ingest ARGS=--full`
COMPONENT ?=
FOLLOW ?=
ARGS ?=
BENCHES := $(patsubst bench/%.py,bench-%,$(wildcard bench/*.py))
MYPY_TARGETS := shared/src dev/src $(wildcard services/*/src)
# The admin console: npm ci only when the lock changed, a build only when a
# source did (make compares these files with the stamp and the built index).
CONSOLE := admin-console
CONSOLE_STAMP := $(CONSOLE)/node_modules/.sendfx-npm-ci
CONSOLE_BUILT := $(CONSOLE)/dist/admin/index.html
# src/api/generated/ is not a source: the build writes it from openapi/*.json.
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src -path $(CONSOLE)/src/api/generated -prune \
		-o -type f -print 2>/dev/null) \
	$(wildcard $(CONSOLE)/openapi/*.json $(CONSOLE)/scripts/*.mjs) \
	$(wildcard $(CONSOLE)/index.html $(CONSOLE)/vite.config.ts $(CONSOLE)/tsconfig.json)

.PHONY: install install-python up down restart status logs test e2e lint format \
        $(BENCHES) clean console console-types console-test

## install: uv (if missing), the locked workspace into .venv, nginx, prometheus
## and chromium (if missing), the admin console's packages and build (if stale)
install: install-python $(CONSOLE_BUILT)

install-python:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	@if command -v uv >/dev/null 2>&1; then uv sync --frozen --quiet; \
		else python3 -m uv sync --frozen --quiet; fi
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
	@command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }
	@[ -x /usr/bin/chromium ] \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(CONSOLE_STAMP): $(CONSOLE)/package-lock.json $(CONSOLE)/package.json
	cd $(CONSOLE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CONSOLE_BUILT): $(CONSOLE_STAMP) $(CONSOLE_SOURCES)
	cd $(CONSOLE) && npm run --silent build

## console: build the admin console (gateway: /admin/); `npm run dev` in admin-console/ to develop
console: $(CONSOLE_BUILT)

## console-types: rewrite admin-console/openapi/*.json from the running services, then
## the console's API types from them (`make console-types ARGS="--core-api
## http://127.0.0.1:9001"`; default: the stack's ports, 8001-8003)
console-types: $(CONSOLE_STAMP)
	$(BIN)/sendfx-dev openapi-snapshots $(ARGS)
	cd $(CONSOLE) && npm run --silent types

console-test: $(CONSOLE_STAMP)
	cd $(CONSOLE) && npx vitest run

## up: start everything in the background; returns once all health checks pass
up: install
	$(BIN)/sendfx-dev up

## down: stop what `make up` started
down:
	@if [ -x $(BIN)/sendfx-dev ]; then $(BIN)/sendfx-dev down; fi

## restart: `make restart COMPONENT=core-api` after changing its code
restart: install
	$(BIN)/sendfx-dev restart $(or $(COMPONENT),core-api usage-ingestor feature-api)

status:
	@$(BIN)/sendfx-dev status || true

logs:
	$(BIN)/sendfx-dev logs $(COMPONENT) $(if $(FOLLOW),-f)

## lint: ruff, the import-linter ownership contracts, mypy --strict; the
## console's eslint, prettier --check and tsc
lint: $(CONSOLE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(MYPY_TARGETS)
	cd $(CONSOLE) && npm run --silent lint

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## test: install, lint, the console's Vitest, then the whole suite (browser
## tests included) on its own servers and databases
test: install lint console-test
	$(BIN)/pytest

## e2e: only the cross-process tests through the gateway
e2e: install
	$(BIN)/pytest -m e2e

## bench-NAME: bench/NAME.py, e.g. `make bench-ingest ARGS=--full`; each prints a table
$(BENCHES): bench-%: install
	$(BIN)/python bench/$*.py $(ARGS)

## clean: stop the local stack and delete its data (var/) and tool caches
clean: down
	rm -rf var .bench-data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis
