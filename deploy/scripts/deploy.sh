#!/usr/bin/env bash
# deploy.sh release|publish|all: what `make deploy-release`, `make deploy-publish` and
# `make deploy` (both, in order) run for ENV=<env> GIT_SHA=<sha> ...
#
# release (IMAGE_DIGEST, IMAGE_REPOSITORY_URI; kubectl and helm; run where the cluster's
#   private API endpoint answers: the environment's deploy runner in its VPC): the chart's
#   migration Job (a Helm hook) runs before the new version starts; the Rollout brings the
#   new version up behind the preview Service and runs its analysis; this script promotes
#   it. Any failure after the upgrade aborts the Rollout (traffic stays on the old
#   version), rolls the Helm release back, and fails.
# publish (WEB_DIST): uploads the SPA, invalidates CloudFront and smoke-tests the public
#   endpoints (the API must report GIT_SHA). A failure fails the step; in the pipeline the
#   stage then rolls back to its last successful execution (docs/delivery.md).
source "$(dirname "$0")/lib.sh"
# The ERR trap must also fire inside functions (wait_for_phase, parameter).
set -o errtrace

phase=${1:-}
case "$phase" in release|publish|all) ;; *) die "usage: deploy.sh release|publish|all" ;; esac
require_env deploy
[[ "${GIT_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || die "GIT_SHA is required: the 40-character commit id of the release (the chart's image.tag; 'latest' is never deployed)"

release() {
  [[ "${IMAGE_DIGEST:-}" =~ ^sha256:[0-9a-f]{64}$ ]] || die "IMAGE_DIGEST is required: the pushed image's sha256:<64 hex> digest (make image-digest)"
  [ -n "${IMAGE_REPOSITORY_URI:-}" ] || die "IMAGE_REPOSITORY_URI is required (the API's ECR repository URI)"
  require_tools aws kubectl helm
  [ -d "$CHART" ] || die "the chart is missing: $CHART"
  [ -f "$CHART/values-$ENV.yaml" ] || die "no values file for $ENV: $CHART/values-$ENV.yaml"
  require_credentials
  use_cluster

  upgraded=false
  on_failure() {
    if [ "$upgraded" = true ]; then
      echo "release failed: aborting the rollout and rolling the release back" >&2
      abort_rollout
      helm rollback "$RELEASE" 0 -n "$NAMESPACE" --wait --timeout 10m || echo "helm rollback failed: roll back by hand (docs/delivery.md)" >&2
    fi
  }
  trap on_failure ERR

  # The chart's values from the environment's stacks (never defaulted in the chart).
  local target_group jwt_secret database_host database_secret database_master_secret
  target_group=$(parameter target-group-arn)
  jwt_secret=$(parameter jwt-secret-id)
  database_host=$(parameter database-host)
  database_secret=$(parameter database-secret-id)
  database_master_secret=$(parameter database-master-secret-id)

  step "helm upgrade $RELEASE ($ENV, $GIT_SHA @ $IMAGE_DIGEST)"
  upgraded=true
  helm upgrade --install "$RELEASE" "$CHART" -n "$NAMESPACE" --create-namespace \
    -f "$CHART/values-$ENV.yaml" \
    --set "image.repository=$IMAGE_REPOSITORY_URI" --set "image.tag=$GIT_SHA" \
    --set "image.digest=$IMAGE_DIGEST" \
    --set "targetGroupBinding.targetGroupARN=$target_group" \
    --set "jwtSecret.secretId=$jwt_secret" \
    --set "database.host=$database_host" --set "database.secretId=$database_secret" \
    --set "database.masterSecretId=$database_master_secret" \
    --timeout 15m

  step "wait for the preview and its analysis"
  wait_for_phase Paused Healthy
  if [ "$(rollout_phase)" = "Paused" ]; then
    step "promote"
    promote_rollout
  fi
  wait_for_phase Healthy
  trap - ERR
  echo "released $GIT_SHA ($IMAGE_DIGEST) to $ENV"
}

publish() {
  [ -f "${WEB_DIST}/index.html" ] || die "no SPA bundle at $WEB_DIST (make web-bundle)"
  require_tools aws curl
  require_credentials
  # The bucket and the distribution are CloudFront's side, in us-east-1 (the web stack).
  local bucket distribution api spa
  bucket=$(parameter spa-bucket-name)
  distribution=$(parameter spa-distribution-id)
  api=$(parameter api-url)
  spa=$(parameter spa-url)

  step "upload the SPA"
  aws s3 sync "$WEB_DIST" "s3://$bucket/" --region "$EDGE_REGION" --delete --exclude index.html \
    --cache-control "public, max-age=31536000, immutable"
  aws s3 cp "$WEB_DIST/index.html" "s3://$bucket/index.html" --region "$EDGE_REGION" --cache-control "no-cache"
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" >/dev/null

  step "smoke test"
  curl -fsS --max-time 20 --retry 5 --retry-delay 5 --retry-all-errors "$api/api/v1/version" | grep -q "$GIT_SHA" \
    || die "smoke: $api/api/v1/version does not report $GIT_SHA"
  curl -fsS --max-time 20 --retry 5 --retry-delay 5 --retry-all-errors -o /dev/null "$spa/" \
    || die "smoke: $spa/ does not answer"
  echo "published $GIT_SHA to $ENV"
}

case "$phase" in
  release) release ;;
  publish) publish ;;
  all) release; publish ;;
esac
