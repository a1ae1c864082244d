#!/usr/bin/env bash
# make deploy ENV=<env> IMAGE_TAG=<tag>: release the API blue/green and the SPA to one
# environment. The chart's migration Job (a Helm hook) runs before the new version starts;
# the Rollout brings the new version up behind the preview Service and runs its analysis;
# this script promotes it, uploads the SPA, invalidates CloudFront and smoke-tests the
# public endpoints. Any failure after the upgrade aborts the Rollout (traffic stays on the
# old version) and rolls the Helm release back, and the script fails.
source "$(dirname "$0")/lib.sh"
# The ERR trap must also fire inside functions (wait_for_phase, parameter).
set -o errtrace

require_env deploy
require_tag
[ -n "${IMAGE_REPOSITORY_URI:-}" ] || die "IMAGE_REPOSITORY_URI is required (the API's ECR repository URI)"
require_tools aws kubectl helm curl
[ -d "$CHART" ] || die "the chart is missing: $CHART"
[ -f "$CHART/values-$ENV.yaml" ] || die "no values file for $ENV: $CHART/values-$ENV.yaml"
[ -f "${WEB_DIST}/index.html" ] || die "no SPA bundle at $WEB_DIST (make web-bundle)"
require_credentials
use_cluster

upgraded=false
on_failure() {
  if [ "$upgraded" = true ]; then
    echo "deploy failed: aborting the rollout and rolling the release back" >&2
    abort_rollout
    helm rollback "$RELEASE" 0 -n "$NAMESPACE" --wait --timeout 10m || echo "helm rollback failed: roll back by hand (docs/delivery.md)" >&2
  fi
}
trap on_failure ERR

step "helm upgrade $RELEASE ($ENV, $IMAGE_TAG)"
upgraded=true
helm upgrade --install "$RELEASE" "$CHART" -n "$NAMESPACE" --create-namespace \
  -f "$CHART/values-$ENV.yaml" \
  --set "image.repository=$IMAGE_REPOSITORY_URI" --set "image.tag=$IMAGE_TAG" \
  --timeout 15m

step "wait for the preview and its analysis"
wait_for_phase Paused Healthy
if [ "$(rollout_phase)" = "Paused" ]; then
  step "promote"
  promote_rollout
fi
wait_for_phase Healthy

step "upload the SPA"
bucket=$(parameter spa-bucket-name)
aws s3 sync "$WEB_DIST" "s3://$bucket/" --delete --exclude index.html \
  --cache-control "public, max-age=31536000, immutable"
aws s3 cp "$WEB_DIST/index.html" "s3://$bucket/index.html" --cache-control "no-cache"
distribution=$(parameter spa-distribution-id)
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" >/dev/null

step "smoke test"
api=$(parameter api-url)
spa=$(parameter spa-url)
curl -fsS --max-time 20 --retry 5 --retry-delay 5 --retry-all-errors "$api/api/v1/version" | grep -q "${IMAGE_TAG:0:40}" \
  || { echo "smoke: $api/api/v1/version does not report $IMAGE_TAG" >&2; false; }
curl -fsS --max-time 20 --retry 5 --retry-delay 5 --retry-all-errors -o /dev/null "$spa/"
trap - ERR
echo "deployed $IMAGE_TAG to $ENV"
