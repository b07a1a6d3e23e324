# The README's commands. `make test` works from a fresh clone on a machine with only
# python3: it installs uv into .tools/ (never into the system Python), syncs the
# workspace from the lock, then lints, type-checks and tests every package.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# uv must use this machine's interpreter and never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3
export UV_LINK_MODE ?= copy
export UV_SYSTEM_CERTS ?= 1
export PYTHONDONTWRITEBYTECODE := 1

CHANNELS := webhook slack pagerduty email
PACKAGES := floe-monitoring-core floe-alert-webhook floe-alert-slack floe-alert-pagerduty floe-alert-email testing-kit
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: help setup sync lint fmt typecheck meta pytest conformance test build clean demo bench soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check 'uv>=0.5'

setup: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv) ## install uv (and PostgreSQL's binaries) if missing, sync the workspace
	$(UV) sync --locked --all-packages --all-extras --group dev
	@bash scripts/ensure_postgres.sh

sync: setup

lint: setup ## ruff lint + format check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

fmt: setup ## apply ruff fixes and formatting
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

typecheck: setup ## mypy --strict on every package (src and tests)
	@for pkg in $(PACKAGES); do \
		echo "mypy $$pkg"; \
		(cd $$pkg && MYPYPATH=src ../$(VENV)/mypy --config-file ../pyproject.toml src tests) || exit 1; \
	done

meta: setup ## check every member's packaging conventions
	$(VENV)/python scripts/check_members.py

pytest: setup ## run every package's tests
	$(VENV)/pytest $(PYTEST_ARGS) $(addsuffix /tests,$(PACKAGES))

conformance: setup ## run the conformance kit against every reference channel
	@for channel in $(CHANNELS); do \
		$(VENV)/floe-conformance $$channel -q || exit 1; \
	done

test: lint typecheck meta pytest conformance ## everything CI runs

demo: setup ## the quickstart (floe sla demo): a local lake, contracts, a monitor, a webhook
	$(VENV)/floe sla demo

bench: setup ## run every benchmark scenario (figures into benchmarks/results/)
	@for scenario in benchmarks/b[0-9][0-9]_*.py; do \
		$(VENV)/python $$scenario $(BENCH_ARGS) || exit 1; \
	done

soak: setup ## the longer fault run
	@mkdir -p reports && rm -f reports/reliability-soak.jsonl
	FLOE_SOAK=1 FLOE_RELIABILITY_REPORT=reports/reliability-soak.jsonl \
		$(VENV)/pytest $(PYTEST_ARGS) -q floe-monitoring-core/tests/reliability
	@echo "figures: reports/reliability-soak.jsonl"

build: setup ## build the six wheels into dist/
	$(UV) build --all-packages --out-dir dist

clean: ## remove build and tool caches (keeps .venv)
	rm -rf dist .mypy_cache .ruff_cache .pytest_cache
