# services/api: the Flask API, its local stack and its test suites.
# Included by the top-level Makefile (which defines ROOT, PYTHON, VENV_ROOT, LOCAL_DIR).

API_DIR := $(ROOT)/services/api
API_VENV := $(VENV_ROOT)/api
API_PY := $(API_VENV)/bin/python
API_STAMP := $(API_VENV)/.installed
API_REQS := $(API_DIR)/requirements/runtime.txt $(API_DIR)/requirements/dev.txt \
            $(API_DIR)/pyproject.toml $(ROOT)/tools/devstack/pyproject.toml
# Local stack ports, both below Linux's ephemeral range so client connections never
# hold them (override: make up API_PORT=8081 API_PG_PORT=25433).
API_PORT ?= 8000
API_PG_PORT ?= 25432
API_LOCAL := $(LOCAL_DIR)
PIP_QUIET := --quiet --disable-pip-version-check

TEST_SUITES += api-lint api-test api-docker-lint
LINT_SUITES += api-lint

.PHONY: api-venv api-pg-check api-up api-down api-status api-test api-lint api-docker-lint

# Re-installed only when a requirement or project file changes (stamp file).
$(API_STAMP): $(API_REQS) | python-version
	@echo "api: installing the virtualenv at $(API_VENV)"
	@test -x $(API_PY) || $(PYTHON) -m venv $(API_VENV)
	@$(API_PY) -m pip install $(PIP_QUIET) -r $(API_DIR)/requirements/dev.txt 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@$(API_PY) -m pip install $(PIP_QUIET) --no-deps -e $(API_DIR) -e $(ROOT)/tools/devstack 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@touch $@

api-venv: $(API_STAMP)

# Fails at once (before any install) when PostgreSQL server binaries are missing.
api-pg-check:
	@if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  echo "api: error: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin." >&2; \
	  echo "  Debian/Ubuntu: sudo apt-get install -y postgresql" >&2; \
	  echo '  macOS:         brew install postgresql@15 && export PATH="$$(brew --prefix postgresql@15)/bin:$$PATH"' >&2; \
	  exit 1; \
	fi

api-up: api-pg-check $(API_STAMP)
	@cd $(ROOT) && $(API_PY) $(API_DIR)/scripts/local_stack.py up --state $(API_LOCAL) --port $(API_PORT) --pg-port $(API_PG_PORT)

api-down:
	@if [ -x $(API_PY) ]; then cd $(ROOT) && $(API_PY) $(API_DIR)/scripts/local_stack.py down --state $(API_LOCAL); else echo "api: nothing to stop"; fi

api-status: $(API_STAMP)
	@cd $(ROOT) && $(API_PY) $(API_DIR)/scripts/local_stack.py status --state $(API_LOCAL)

api-lint: $(API_STAMP)
	@cd $(ROOT) && $(API_VENV)/bin/ruff check services/api tools/devstack
	@cd $(ROOT) && $(API_VENV)/bin/ruff format --check services/api tools/devstack
	@cd $(API_DIR) && $(API_VENV)/bin/mypy
	@cd $(ROOT)/tools/devstack && $(API_VENV)/bin/mypy src/devstack
	@echo "api-lint: ok"

api-test: $(API_STAMP)
	@cd $(API_DIR) && $(API_PY) -m pytest -c pyproject.toml --rootdir . tests $(ROOT)/tools/devstack/tests

api-docker-lint: $(CHECKOV_STAMP)
	@cd $(API_DIR) && $(CHECKOV_BIN) --quiet --compact --skip-download --framework dockerfile -f Dockerfile
