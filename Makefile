# Innovate Platform: the single entry point.
#
#   make up      install what is missing, start the local stack (PostgreSQL, API,
#                the SPA's front server), print the one URL to open
#   make down    stop the local stack (data is kept)
#   make status  what of the local stack runs
#   make test    install what is missing, run every test suite and policy gate
#   make lint    static checks (ruff, mypy, eslint, tsc)
#   make synth   write every environment's CloudFormation to infra/cdk.out/
#   make check   run the infrastructure policy gates (cdk-nag, cfn-lint, checkov)
#   make bench   run the benchmarks (not part of `make test`)
#   make screenshots  refresh the README's SPA screenshots (browser tests)
#   make cost    monthly estimate per account and environment (offline; docs/cost.md)
#   make preflight / diff ENV=... / diff-accounts / destroy ENV=dev|staging / import-accounts
#                operate the estate with AWS credentials: the one guide is docs/deploy.md
#
# Each area keeps its own targets in an include file next to its code and
# registers its suites in TEST_SUITES / LINT_SUITES / BENCH_TARGETS.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Interpreter used to create the virtual environments (3.11+).
PYTHON ?= python3
VENV_ROOT := $(ROOT)/.venv
# Local, git-ignored state: database cluster, certificates, logs, pid files.
LOCAL_DIR := $(ROOT)/.local

# checkov, shared by the API (Dockerfile) and infra (CloudFormation) gates.
CHECKOV_VENV := $(VENV_ROOT)/checkov
CHECKOV_BIN := $(CHECKOV_VENV)/bin/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

TEST_SUITES :=
LINT_SUITES :=
BENCH_TARGETS :=

include services/api/api.mk
include infra/infra.mk
include bench/api/bench-api.mk
include deploy/charts/chart.mk
include web/web.mk
include deploy/deploy.mk

.PHONY: help up down status test lint synth check bench python-version checkov-install

help:
	@sed -n '2,15p' Makefile | sed 's/^# \{0,1\}//'

# Fails early and clearly when the interpreter is too old.
python-version:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; found " + sys.version.split()[0] + " at " + sys.executable)'

# Rebuilt only when its pinned requirements change (stamp file).
$(CHECKOV_STAMP): $(ROOT)/tools/checkov/requirements.txt | python-version
	@echo "checkov: installing $(CHECKOV_VENV)"
	@rm -rf $(CHECKOV_VENV)
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $< 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@touch $@

checkov-install: $(CHECKOV_STAMP)

up: web-up
down: api-down
status: web-status

test:
	@$(ROOT)/tools/run-suites $(TEST_SUITES)

lint:
	@$(ROOT)/tools/run-suites $(LINT_SUITES)

synth: infra-synth
check: infra-check

bench:
	@$(ROOT)/tools/run-suites $(BENCH_TARGETS)
