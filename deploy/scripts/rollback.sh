#!/usr/bin/env bash
# make rollback ENV=<env> [REVISION=<n>]: stop any release in progress (abort the Rollout,
# traffic stays on or returns to the stable version) and roll the Helm release back to
# the previous revision (or REVISION), then wait until the Rollout is healthy.
source "$(dirname "$0")/lib.sh"

require_env rollback
if [ -n "${REVISION:-}" ] && ! [[ "$REVISION" =~ ^[0-9]+$ ]]; then die "REVISION=$REVISION is not a Helm revision number"; fi
require_tools aws kubectl helm
require_credentials
use_cluster

step "abort the rollout in progress"
abort_rollout
step "helm rollback $RELEASE ${REVISION:-<previous>}"
helm rollback "$RELEASE" "${REVISION:-0}" -n "$NAMESPACE" --wait --timeout 10m
# The rolled-back spec is a new revision of the Rollout: promote it like any release.
wait_for_phase Paused Healthy
[ "$(rollout_phase)" = "Paused" ] && promote_rollout
wait_for_phase Healthy
helm history "$RELEASE" -n "$NAMESPACE" --max 5
