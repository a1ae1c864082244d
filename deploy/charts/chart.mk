# deploy/charts: the API's Helm chart and its offline tests (render every environment
# with helm-python-sdk, validate against Kubernetes and the vendored CRDs, checkov,
# helm lint, schema refusals, behaviour). Included by the top-level Makefile.

CHART_DIR := $(ROOT)/deploy/charts
CHART_VENV := $(VENV_ROOT)/chart
CHART_PY := $(CHART_VENV)/bin/python
CHART_STAMP := $(CHART_VENV)/.installed

TEST_SUITES += chart-lint chart-test
LINT_SUITES += chart-lint

.PHONY: chart-venv chart-test chart-lint

# Rebuilt only when its pinned requirements change (stamp file).
$(CHART_STAMP): $(CHART_DIR)/tests/requirements.txt | python-version
	@echo "chart: installing $(CHART_VENV)"
	@rm -rf $(CHART_VENV)
	@$(PYTHON) -m venv $(CHART_VENV)
	@$(CHART_PY) -m pip install --quiet --disable-pip-version-check -r $< 2>&1 | { grep -v '^WARNING: Location' || [ $$? -eq 1 ]; }
	@touch $@

chart-venv: $(CHART_STAMP)

chart-test: $(CHART_STAMP) $(CHECKOV_STAMP)
	@cd $(CHART_DIR)/tests && CHART_CHECKOV=$(CHECKOV_BIN) $(CHART_PY) -m pytest -q -p no:cacheprovider .
	@echo "chart-test: ok (dev, staging, prod rendered; Kubernetes 1.35 + CRD schemas, checkov, helm lint clean)"

chart-lint: $(CHART_STAMP)
	@cd $(ROOT) && $(CHART_VENV)/bin/ruff check deploy/charts
	@cd $(ROOT) && $(CHART_VENV)/bin/ruff format --check deploy/charts
	@echo "chart-lint: ok"
