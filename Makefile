# sendfx platform: the two commands are `make up` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export UV_PYTHON_DOWNLOADS := never

VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# `make logs COMPONENT=core-api FOLLOW=1`, `make bench-ingest ARGS=--full`
COMPONENT ?=
FOLLOW ?=
ARGS ?=
MYPY_TARGETS := shared/src dev/src $(wildcard services/*/src)

.PHONY: install up down restart status logs test e2e lint format \
        bench-core bench-ingest bench-feature bench-migrate bench-up bench-consistency bench-observability clean

## install: uv (if missing), the locked workspace into .venv, nginx and prometheus (if missing)
install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	@if command -v uv >/dev/null 2>&1; then uv sync --frozen --quiet; \
		else python3 -m uv sync --frozen --quiet; fi
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
	@command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }

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

## lint: ruff, the import-linter ownership contracts, mypy --strict
lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(MYPY_TARGETS)

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## test: install, lint, then the whole suite on its own servers and databases
test: install lint
	$(BIN)/pytest

## e2e: only the cross-process tests through the gateway
e2e: install
	$(BIN)/pytest -m e2e

bench-core: install
	$(BIN)/python bench/core.py $(ARGS)

bench-ingest: install
	$(BIN)/python bench/ingest.py $(ARGS)

bench-feature: install
	$(BIN)/python bench/feature.py $(ARGS)

bench-migrate: install
	$(BIN)/python bench/migrate.py $(ARGS)

## bench-observability: ingest events/s and HTTP p50 with metrics and tracing off vs on
bench-observability: install
	$(BIN)/python bench/observability.py $(ARGS)

## bench-consistency: create a workspace → first feature-api call, p50/p99
bench-consistency: install
	$(BIN)/python bench/consistency.py $(ARGS)

## bench-up: wall time of the whole local stack up (cold, warm) and down
bench-up: install
	$(BIN)/python bench/up.py $(ARGS)

## clean: stop the local stack and delete its data (var/) and tool caches
clean: down
	rm -rf var .bench-data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis
