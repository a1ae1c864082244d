# web/: the React SPA, its local front server wiring and its test suites.
# Included by the top-level Makefile (which defines ROOT, PYTHON, VENV_ROOT, LOCAL_DIR)
# after services/api/api.mk (whose virtualenv runs the local stack and the front server).

WEB_DIR := $(ROOT)/web
WEB_NODE_STAMP := $(WEB_DIR)/node_modules/.installed
WEB_DIST := $(WEB_DIR)/dist
WEB_HEADERS := $(WEB_DIR)/security-headers.json
WEB_SOURCES := $(shell find $(WEB_DIR)/src $(WEB_DIR)/public -type f 2>/dev/null) \
               $(WEB_DIR)/index.html $(WEB_DIR)/vite.config.ts $(WEB_DIR)/tsconfig.json
WEB_E2E_VENV := $(VENV_ROOT)/web-e2e
WEB_E2E_PY := $(WEB_E2E_VENV)/bin/python
WEB_E2E_STAMP := $(WEB_E2E_VENV)/.installed
WEB_CHROMIUM ?= /usr/bin/chromium
# Where the browser tests leave screenshots and axe reports (git-ignored).
WEB_E2E_ARTIFACTS ?= $(ROOT)/reports/web-e2e
# The one URL of `make up` (the SPA, and the API under /api/v1).
WEB_PORT ?= 8080
# The README's screenshots, refreshed by `make screenshots` (never by `make test`).
WEB_README_SHOTS := sign-in notes about mobile-notes

TEST_SUITES += web-lint web-test web-e2e
LINT_SUITES += web-lint

.PHONY: web-node-check web-install web-lint web-test web-bundle web-chromium web-e2e-venv \
        web-e2e web-up web-status screenshots

web-node-check:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "web: error: Node.js 20.19+ and npm are required (Debian/Ubuntu: sudo apt-get install -y nodejs npm)." >&2; exit 1; \
	fi
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("web: error: Node.js 20.19+ is required (Vite 8); found " + process.version + " at " + process.execPath); process.exit(1); }'

# `npm ci` from the committed lock; again only when the manifest or the lock changes.
$(WEB_NODE_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json | web-node-check
	@echo "web: installing node_modules (npm ci)"
	@cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web-install: $(WEB_NODE_STAMP)

web-lint: $(WEB_NODE_STAMP) $(API_STAMP)
	@cd $(WEB_DIR) && npx --no-install eslint --max-warnings 0 .
	@cd $(WEB_DIR) && npx --no-install tsc --noEmit -p tsconfig.json
	@cd $(ROOT) && $(API_VENV)/bin/ruff check web/e2e && $(API_VENV)/bin/ruff format --check --quiet web/e2e
	@echo "web-lint: ok (eslint, tsc, ruff on web/e2e)"

web-test: $(WEB_NODE_STAMP)
	@cd $(WEB_DIR) && npx --no-install vitest run

# The deployable bundle (the pipeline uploads web/dist to the SPA bucket).
$(WEB_DIST)/index.html: $(WEB_NODE_STAMP) $(WEB_SOURCES)
	@echo "web: building the SPA into $(WEB_DIST)"
	@cd $(WEB_DIR) && npx --no-install tsc --noEmit -p tsconfig.json && npx --no-install vite build --logLevel warn
	@touch $@

web-bundle: $(WEB_DIST)/index.html

# Debian's chromium for the browser tests (Playwright cannot download browsers here).
web-chromium:
	@if [ -x "$(WEB_CHROMIUM)" ]; then exit 0; fi; \
	if [ "$(WEB_CHROMIUM)" != /usr/bin/chromium ]; then \
	  echo "web: error: WEB_CHROMIUM=$(WEB_CHROMIUM) is not an executable file" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "web: error: $(WEB_CHROMIUM) is missing and there is no apt-get; install Chromium and run with WEB_CHROMIUM=/path/to/chromium" >&2; exit 1; fi; \
	if [ "$$(id -u)" -eq 0 ]; then as_root=""; \
	elif command -v sudo >/dev/null 2>&1; then \
	  if sudo -n true 2>/dev/null; then as_root="sudo -n"; \
	  elif [ -t 0 ]; then as_root="sudo"; echo "web: installing chromium needs root; sudo may ask for your password"; \
	  else echo "web: error: $(WEB_CHROMIUM) is missing, and installing it needs root: sudo asks for a password but there is no terminal. Run: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	else echo "web: error: $(WEB_CHROMIUM) is missing, and installing it needs root (no sudo here). As root run: apt-get install -y chromium" >&2; exit 1; fi; \
	echo "web: installing Debian's chromium (once, about a minute)"; \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	test -x "$(WEB_CHROMIUM)" || { echo "web: error: apt-get finished but $(WEB_CHROMIUM) is still missing" >&2; exit 1; }

$(WEB_E2E_STAMP): $(WEB_DIR)/e2e/requirements.txt | python-version
	@echo "web: installing the browser-test virtualenv at $(WEB_E2E_VENV)"
	@test -x $(WEB_E2E_PY) || $(PYTHON) -m venv $(WEB_E2E_VENV)
	@$(WEB_E2E_PY) -m pip install $(PIP_QUIET) -r $< 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@touch $@

web-e2e-venv: $(WEB_E2E_STAMP)

# Browser tests against the real stack (PostgreSQL with TLS, the API, the front server),
# which the test harness starts on free ports in a throwaway directory.
web-e2e: api-pg-check web-chromium $(WEB_DIST)/index.html $(API_STAMP) $(WEB_E2E_STAMP)
	@cd $(WEB_DIR)/e2e && WEB_E2E_API_PY=$(API_PY) WEB_E2E_CHROMIUM=$(WEB_CHROMIUM) \
	  WEB_E2E_ARTIFACTS=$(WEB_E2E_ARTIFACTS) $(WEB_E2E_PY) -m pytest
	@echo "web-e2e: screenshots and axe reports in $(WEB_E2E_ARTIFACTS)"

# `make up`: the API's stack plus the front server, at one URL, as in the cloud.
web-up: api-pg-check $(API_STAMP) $(WEB_DIST)/index.html
	@cd $(ROOT) && $(API_PY) $(API_DIR)/scripts/local_stack.py up --state $(API_LOCAL) \
	  --port $(API_PORT) --pg-port $(API_PG_PORT) \
	  --web-dist $(WEB_DIST) --web-headers $(WEB_HEADERS) --web-port $(WEB_PORT)

web-status: $(API_STAMP)
	@cd $(ROOT) && $(API_PY) $(API_DIR)/scripts/local_stack.py status --state $(API_LOCAL) \
	  --web-dist $(WEB_DIST) --web-headers $(WEB_HEADERS)

# Refreshes the README's screenshots from a real browser-test run.
screenshots: web-e2e
	@mkdir -p $(ROOT)/docs/images
	@for view in $(WEB_README_SHOTS); do cp $(WEB_E2E_ARTIFACTS)/spa-$$view.png $(ROOT)/docs/images/spa-$$view.png; done
	@echo "screenshots: docs/images/spa-{$$(echo $(WEB_README_SHOTS) | tr ' ' ,)}.png refreshed"
