# bench/api: `make bench-api`, the API load benchmark (a benchmark, not a test suite).
# Included by the top-level Makefile (ROOT, PYTHON, VENV_ROOT, LOCAL_DIR) after
# services/api/api.mk: it runs in the API's virtualenv ($(API_STAMP), $(API_PY)),
# which already has everything it needs (Flask, gunicorn, psycopg, argon2, devstack).
#
#   make bench-api                                  the full run (~5 minutes)
#   make bench-api BENCH_API_ARGS="--duration 5 --only get_note list_notes"
#   make bench-api-test                             unit tests + ruff of bench/api

BENCH_API_DIR := $(ROOT)/bench/api
BENCH_API_ARGS ?=
# Machine-readable copy of the last run's figures (git-ignored).
BENCH_API_JSON := $(LOCAL_DIR)/bench-api.json

BENCH_TARGETS += bench-api
TEST_SUITES += bench-api-test

.PHONY: bench-api bench-api-wrk bench-api-test

# wrk comes from Debian's packages; installed only when missing.
bench-api-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "bench-api: installing wrk (apt-get)"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  { $$SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }; } || \
	  { echo "bench-api: could not install wrk; install it (Debian: apt-get install wrk)" >&2; exit 1; }; }

bench-api: $(API_STAMP) bench-api-wrk
	@mkdir -p $(LOCAL_DIR)
	@cd $(ROOT) && $(API_PY) $(BENCH_API_DIR)/run_bench.py --json $(BENCH_API_JSON) $(BENCH_API_ARGS)

bench-api-test: $(API_STAMP)
	@cd $(ROOT) && $(API_VENV)/bin/ruff check bench/api && $(API_VENV)/bin/ruff format --check bench/api
	@cd $(BENCH_API_DIR) && $(API_PY) -m pytest -q -p no:cacheprovider tests
