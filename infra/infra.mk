# Infrastructure (AWS CDK, Python): install, synth, policy gates, tests, lint.
# Included by the top-level Makefile, which defines ROOT, PYTHON, VENV_ROOT.

INFRA_DIR := $(ROOT)/infra
INFRA_VENV := $(VENV_ROOT)/infra
INFRA_PY := $(INFRA_VENV)/bin/python
INFRA_OUT := $(INFRA_DIR)/cdk.out
INFRA_STAMP := $(INFRA_VENV)/.installed
INFRA_NPM_STAMP := $(INFRA_DIR)/node_modules/.installed
INFRA_SOURCES := $(shell find $(INFRA_DIR)/app.py $(INFRA_DIR)/cdk.json $(INFRA_DIR)/cdk.context.json \
	$(INFRA_DIR)/config $(INFRA_DIR)/src -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.json' \) 2>/dev/null)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export INFRA_CHECKOV_BIN := $(CHECKOV_BIN)
export INFRA_CDK_CLI := $(INFRA_DIR)/node_modules/.bin/cdk

TEST_SUITES += infra-lint infra-test infra-check
LINT_SUITES += infra-lint
BENCH_TARGETS += bench-synth

.PHONY: infra-install infra-synth infra-check infra-test infra-lint bench-synth

# Each venv is rebuilt only when its requirement files change (stamp files).
$(INFRA_STAMP): $(INFRA_DIR)/requirements.txt $(INFRA_DIR)/requirements-dev.txt | python-version
	@echo "infra: installing $(INFRA_VENV)"
	@rm -rf $(INFRA_VENV)
	@$(PYTHON) -m venv $(INFRA_VENV)
	@$(INFRA_PY) -m pip install --quiet --disable-pip-version-check -r $(INFRA_DIR)/requirements-dev.txt 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@touch $@

$(INFRA_NPM_STAMP): $(INFRA_DIR)/package.json $(INFRA_DIR)/package-lock.json
	@echo "infra: installing the CDK CLI (npm ci)"
	@cd $(INFRA_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

infra-install: $(INFRA_STAMP) $(CHECKOV_STAMP) $(INFRA_NPM_STAMP)

# Synthesizes every environment into infra/cdk.out (offline, no credentials).
# cdk-nag (AwsSolutions, NIST 800-53 rev 5, HIPAA Security) runs inside the
# synth as CDK validation plugins: any unacknowledged finding fails it.
$(INFRA_OUT)/manifest.json: $(INFRA_STAMP) $(INFRA_SOURCES)
	@rm -rf $(INFRA_OUT)
	@cd $(INFRA_DIR) && $(INFRA_PY) app.py || { rm -f $@; exit 1; }
	@touch $@

infra-synth: $(INFRA_OUT)/manifest.json
	@echo "infra: templates in $(INFRA_OUT)"

# Policy gates over every template in cdk.out: cdk-nag summary, cfn-lint, checkov.
infra-check: infra-install infra-synth
	@cd $(INFRA_DIR) && PYTHONPATH=$(INFRA_DIR)/src $(INFRA_PY) -m innovate_infra.compliance.gates all \
		--assembly $(INFRA_OUT) --checkov $(INFRA_CHECKOV_BIN)

infra-test: infra-install
	@cd $(INFRA_DIR) && $(INFRA_PY) -m pytest -q -p no:cacheprovider tests

infra-lint: $(INFRA_STAMP)
	@cd $(ROOT) && $(INFRA_VENV)/bin/ruff check --config $(ROOT)/pyproject.toml infra bench/synth
	@cd $(ROOT) && $(INFRA_VENV)/bin/ruff format --check --config $(ROOT)/pyproject.toml infra bench/synth
	@cd $(INFRA_DIR) && $(INFRA_VENV)/bin/mypy

bench-synth: $(INFRA_STAMP)
	@$(INFRA_PY) $(ROOT)/bench/synth/bench_synth.py --infra-dir $(INFRA_DIR)

# -- operating the estate (docs/deploy.md) ---------------------------------------------
# These talk to AWS (except cost): they use the caller's credentials (AWS_PROFILE=...) and
# stop with a clear message without them. The CDK CLI runs the same app with the same
# context as `make synth` (cdk.json's app and context, cdk.context.json).
.PHONY: preflight diff diff-accounts destroy cost import-accounts infra-credentials bootstrap-boundary

INFRA_CDK := cd $(INFRA_DIR) && $(INFRA_CDK_CLI)
INFRA_OPS := cd $(INFRA_DIR) && PYTHONPATH=$(INFRA_DIR)/src $(INFRA_PY) -m innovate_infra.ops
INFRA_IMPORT_OUT := $(INFRA_DIR)/cdk.out.import

infra-credentials: $(INFRA_STAMP)
	@$(INFRA_OPS) credentials

# The organization, Identity Center assignments and the accounts exist and match config.
preflight: $(INFRA_STAMP)
	@$(INFRA_OPS) preflight

# `make diff ENV=dev`: what a deploy of that environment would change.
diff: infra-install
	@test -n "$(ENV)" || { echo "diff: set ENV (dev, staging or prod), or use make diff-accounts" >&2; exit 2; }
	@$(INFRA_OPS) selector '$(ENV)' >/dev/null
	@$(MAKE) infra-credentials
	@$(INFRA_CDK) diff --no-lookups '$(ENV)/*'

# The management and security/logs account stacks: every organization-wide change
# (`STACK=ManagementOrganization` for one of them).
STACK ?= *
diff-accounts: infra-install infra-credentials
	@$(INFRA_CDK) diff --no-lookups 'accounts/$(STACK)'

# `make destroy ENV=dev|staging`: refuses prod (docs/runbooks/teardown.md).
destroy: infra-install
	@test -n "$(ENV)" || { echo "destroy: set ENV=dev or ENV=staging" >&2; exit 2; }
	@$(INFRA_OPS) destroy-guard '$(ENV)'
	@$(MAKE) infra-credentials
	@$(INFRA_CDK) destroy --no-lookups '$(ENV)/*'

# Monthly estimate per account and environment of what the templates create (offline).
cost: infra-synth
	@cd $(INFRA_DIR) && PYTHONPATH=$(INFRA_DIR)/src $(INFRA_PY) -m innovate_infra.cost --assembly $(INFRA_OUT)

# Adopt the `lifecycle: import` accounts into the organization stack (docs/deploy.md).
import-accounts: infra-install infra-credentials
	@rm -rf $(INFRA_IMPORT_OUT)
	@$(INFRA_CDK) synth --no-lookups --quiet -c organization-import=adopt -o $(INFRA_IMPORT_OUT) 'accounts/ManagementOrganization'
	@$(INFRA_OPS) import-mapping --assembly $(INFRA_IMPORT_OUT) --out $(INFRA_IMPORT_OUT)/import-mapping.json
	@$(INFRA_CDK) import --app $(INFRA_IMPORT_OUT) --resource-mapping $(INFRA_IMPORT_OUT)/import-mapping.json 'accounts/ManagementOrganization'

# The CDK execution role's permissions boundary, rendered for this organization
# (`aws iam create-policy` in each member account before `cdk bootstrap`; docs/deploy.md).
bootstrap-boundary: $(INFRA_STAMP)
	@$(INFRA_OPS) boundary --out $(INFRA_DIR)/cdk-exec-boundary.json
