# deploy/: what CodeBuild runs and what a person runs to release or roll back the API.
# Included by the top-level Makefile (which defines ROOT). The buildspecs in
# deploy/buildspecs/ call these targets, so CodeBuild and people run the same steps.
#
#   make image-tag GIT_SHA=<sha> [REBUILD=true]     the tag the build pushes (never "latest")
#   make image-release GIT_SHA=<sha> IMAGE_TAG=<tag> IMAGE_REPOSITORY_URI=<uri>
#   make image-digest GIT_SHA=<sha> IMAGE_TAG=<tag>  the pushed image's digest
#   make deploy-release ENV=dev|staging|prod GIT_SHA=<sha> IMAGE_DIGEST=sha256:<hex> IMAGE_REPOSITORY_URI=<uri>
#   make deploy-publish ENV=dev|staging|prod GIT_SHA=<sha> [WEB_DIST=web/dist]
#   make deploy ...                                  both, in that order
#   make rollback ENV=dev|staging|prod [REVISION=<helm revision>]
#
# They need AWS credentials for the environment's account; release and rollback also
# kubectl, helm and a network path to the cluster's private API endpoint (the pipeline's
# deploy runner in the environment's VPC has one). Without them they stop at once and say
# what is missing.

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

.PHONY: image-tag image-release image-digest deploy deploy-release deploy-publish rollback

image-tag:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh tag

image-release:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh release

image-digest:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/image.sh digest

deploy:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/deploy.sh all

deploy-release:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/deploy.sh release

deploy-publish:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/deploy.sh publish

rollback:
	@$(DEPLOY_VARS) $(DEPLOY_SCRIPTS)/rollback.sh

# helm and kubectl for CodeBuild, at the versions tools.yml pins, each checked against the
# checksum its project publishes beside the release. The deploy-tools project downloads
# them once per execution (outside any VPC) and hands them to the deploy runners, which
# have no route to those download sites, as the Tools artifact (install-deploy-tools).
TOOLS_BIN ?= /usr/local/bin
TOOLS_FROM ?=
HELM_VERSION ?= v3.19.2
KUBECTL_VERSION ?= v1.34.2

.PHONY: deploy-tools install-deploy-tools
deploy-tools:
	@$(DEPLOY_SCRIPTS)/tools.sh "$(TOOLS_BIN)" "$(HELM_VERSION)" "$(KUBECTL_VERSION)"

install-deploy-tools:
	@[ -n "$(TOOLS_FROM)" ] || { echo "install-deploy-tools: TOOLS_FROM=<dir with helm and kubectl> is required" >&2; exit 2; }
	@install -m 0755 "$(TOOLS_FROM)/helm" "$(TOOLS_FROM)/kubectl" "$(TOOLS_BIN)/"
