#!/usr/bin/env bash
# Shared by image.sh, deploy.sh and rollback.sh: argument and tool checks that fail at
# once with the missing piece named, and the cluster's facts from SSM.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART="$ROOT/deploy/charts/innovate-api"
RELEASE=${RELEASE:-innovate-api}
NAMESPACE=${NAMESPACE:-innovate}
ENVIRONMENTS="dev staging prod"
EDGE_REGION=us-east-1

die() { echo "${0##*/}: $*" >&2; exit 2; }
step() { printf '\n== %s\n' "$*"; }

require_env() {
  [ -n "${ENV:-}" ] || die "ENV is required: make $1 ENV=dev|staging|prod"
  case " $ENVIRONMENTS " in *" $ENV "*) ;; *) die "ENV=$ENV is not one of: $ENVIRONMENTS" ;; esac
}

require_tag() {
  [ -n "${IMAGE_TAG:-}" ] || die "IMAGE_TAG is required (the git SHA the image was built from, or <sha>-rebuild-<time>)"
  [[ "$IMAGE_TAG" =~ ^[0-9a-f]{40}(-rebuild-[0-9]{12})?$ ]] \
    || die "IMAGE_TAG=$IMAGE_TAG is not a 40-character git SHA (optionally -rebuild-<yyyymmddHHMM>); 'latest' is never deployed"
}

require_tools() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (install them, or let CodeBuild run this: docs/delivery.md)"
}

# Fails with a clear message when there are no usable AWS credentials.
require_credentials() {
  aws sts get-caller-identity --output text --query Arn >/dev/null 2>&1 \
    || die "no usable AWS credentials (aws sts get-caller-identity failed): sign in to the environment's account (aws sso login) or let the pipeline's deploy projects run this"
}

# /<project>/<env>/deploy/<key>, written by the environment's stacks (infra naming.py:
# DEPLOYMENT_PARAMETERS); the CloudFront side's (EDGE_DEPLOYMENT_PARAMETERS) are in
# us-east-1 with the web stack, the others in the environment's region.
parameter() {
  local region="${DEPLOY_REGION:-${AWS_REGION:-}}"
  case "$1" in
    spa-bucket-name|spa-distribution-id|spa-url|api-url) region=$EDGE_REGION ;;
  esac
  aws ssm get-parameter --region "$region" --name "/$PROJECT/$ENV/deploy/$1" \
    --query Parameter.Value --output text \
    || die "SSM parameter /$PROJECT/$ENV/deploy/$1 ($region) is missing: deploy the $ENV environment stacks first"
}

use_cluster() {
  local cluster
  cluster=$(parameter cluster-name)
  export KUBECONFIG
  KUBECONFIG=$(mktemp)
  aws eks update-kubeconfig --name "$cluster" --region "${DEPLOY_REGION:-${AWS_REGION:-}}" --kubeconfig "$KUBECONFIG" >/dev/null
}

# The Rollout's phase; empty while it does not exist yet (first install). Any other
# failure to read it (credentials, RBAC, the API server) fails at once, not at timeout.
rollout_phase() {
  local out
  if out=$(kubectl -n "$NAMESPACE" get rollout "$RELEASE" -o jsonpath='{.status.phase}' 2>&1); then
    printf '%s' "$out"
    return 0
  fi
  case "$out" in
    *NotFound*) return 0 ;;
  esac
  echo "rollout: cannot read $RELEASE in $NAMESPACE: $out" >&2
  return 1
}

# Waits until the Rollout reaches one of the given phases; fails on Degraded or timeout.
wait_for_phase() {
  local deadline=$((SECONDS + ${ROLLOUT_TIMEOUT_SECONDS:-900})) phase
  while [ $SECONDS -lt $deadline ]; do
    phase=$(rollout_phase) || return 1
    for wanted in "$@"; do [ "$phase" = "$wanted" ] && { echo "rollout: $phase"; return 0; }; done
    [ "$phase" = "Degraded" ] && { echo "rollout: Degraded (analysis failed or pods unhealthy)" >&2; return 1; }
    sleep 10
  done
  echo "rollout: still '${phase:-unknown}' after ${ROLLOUT_TIMEOUT_SECONDS:-900}s" >&2
  return 1
}

# The patches the Argo Rollouts kubectl plugin itself sends (promote, abort): kubectl
# alone is enough, so CodeBuild needs no plugin download.
promote_rollout() {
  kubectl -n "$NAMESPACE" patch rollout "$RELEASE" --type merge -p '{"spec":{"paused":false}}' >/dev/null
  kubectl -n "$NAMESPACE" patch rollout "$RELEASE" --subresource status --type merge -p '{"status":{"pauseConditions":null}}' >/dev/null
}

# On the failure path: the release is rolled back whether or not the abort lands (the
# Rollout may not exist yet), but a failed abort is said, never swallowed.
abort_rollout() {
  kubectl -n "$NAMESPACE" patch rollout "$RELEASE" --subresource status --type merge -p '{"status":{"abort":true}}' >/dev/null \
    || echo "rollout: abort of $RELEASE failed; rolling the release back anyway" >&2
}
