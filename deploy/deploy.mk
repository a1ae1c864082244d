# deploy/: what CodeBuild runs and what a person runs to release or roll back the API.
# Included by the top-level Makefile (which defines ROOT). The buildspecs in
# deploy/buildspecs/ call these targets, so CodeBuild and people run the same steps.
#
#   make image-tag GIT_SHA=<sha> [REBUILD=true]     the tag the build pushes (never "latest")
#   make image-release GIT_SHA=<sha> IMAGE_TAG=<tag> IMAGE_REPOSITORY_URI=<uri>
#   make image-digest GIT_SHA=<sha> IMAGE_TAG=<tag>  the pushed image's digest
#   make deploy ENV=dev|staging|prod GIT_SHA=<sha> IMAGE_DIGEST=sha256:<hex> IMAGE_REPOSITORY_URI=<uri> [WEB_DIST=web/dist]
#   make rollback ENV=dev|staging|prod [REVISION=<helm revision>]
#
# deploy and rollback need AWS credentials for the environment's account (or DEPLOY_ROLE_ARN
# to assume), kubectl and helm; without them they stop at once and say what is missing.

DEPLOY_DIR := $(ROOT)/deploy
DEPLOY_SCRIPTS := $(DEPLOY_DIR)/scripts
# The project name of infra/config/organization.yaml: it prefixes the SSM parameters.
PROJECT ?= $(shell sed -n 's/^project: *//p' $(ROOT)/infra/config/organization.yaml)
ENV ?=
IMAGE_TAG ?=
GIT_SHA ?=
REBUILD ?= false
IMAGE_DIGEST ?=
WEB_DIST ?= $(ROOT)/web/dist
REVISION ?=

# Passed to the scripts only: exported globally they would reach every recipe (an empty
# GIT_SHA is an invalid setting for the API's own tests).
DEPLOY_VARS = PROJECT="$(PROJECT)" ENV="$(ENV)" IMAGE_TAG="$(IMAGE_TAG)" \
  IMAGE_DIGEST="$(IMAGE_DIGEST)" GIT_SHA="$(GIT_SHA)" REBUILD="$(REBUILD)" \
  WEB_DIST="$(WEB_DIST)" REVISION="$(REVISION)"

.PHONY: image-tag image-release image-digest deploy rollback

image-tag:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh tag

image-release:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh release

image-digest:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh digest

deploy:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/deploy.sh

rollback:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/rollback.sh

# helm and kubectl for CodeBuild, at the versions the buildspecs pin, each checked against
# the checksum its project publishes beside the release.
TOOLS_BIN ?= /usr/local/bin
HELM_VERSION ?= v3.19.2
KUBECTL_VERSION ?= v1.34.2

.PHONY: deploy-tools
deploy-tools:
	@$(DEPLOY_SCRIPTS)/tools.sh "$(TOOLS_BIN)" "$(HELM_VERSION)" "$(KUBECTL_VERSION)"
