#!/usr/bin/env bash
# image.sh tag      print the tag of this build: the git SHA, or <sha>-rebuild-<yyyymmddHHMM>
#                   for the daily rebuild (tags are immutable; the repository refuses reuse)
# image.sh release  build the API image with a fresh base image and push it (CodeBuild,
#                   privileged: needs a Docker engine)
# image.sh digest   the pushed image's registry digest (sha256:...)
source "$(dirname "$0")/lib.sh"

[[ "${GIT_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || die "GIT_SHA must be the 40-character commit id (got '${GIT_SHA:-}')"

case "${1:-}" in
  tag)
    if [ "${REBUILD:-false}" = "true" ]; then echo "$GIT_SHA-rebuild-$(date -u +%Y%m%d%H%M)"; else echo "$GIT_SHA"; fi
    ;;
  release)
    require_tag
    [ -n "${IMAGE_REPOSITORY_URI:-}" ] || die "IMAGE_REPOSITORY_URI is required"
    require_tools docker aws
    registry=${IMAGE_REPOSITORY_URI%%/*}
    step "sign in to $registry"
    aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
    step "build $IMAGE_REPOSITORY_URI:$IMAGE_TAG"
    # --pull: the base image's newest build (security fixes) every time; --no-cache for the
    # daily rebuild so no layer of yesterday's packages survives.
    no_cache=(); [ "${REBUILD:-false}" = "true" ] && no_cache=(--no-cache)
    docker build --pull "${no_cache[@]}" --build-arg "GIT_SHA=$GIT_SHA" \
      --label "org.opencontainers.image.revision=$GIT_SHA" \
      -t "$IMAGE_REPOSITORY_URI:$IMAGE_TAG" "$ROOT/services/api"
    step "push"
    docker push "$IMAGE_REPOSITORY_URI:$IMAGE_TAG"
    ;;
  digest)
    # The registry's digest of what was pushed: the deploys pin repository@digest.
    require_tag
    [ -n "${IMAGE_REPOSITORY_URI:-}" ] || die "IMAGE_REPOSITORY_URI is required"
    require_tools docker
    docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$IMAGE_REPOSITORY_URI:$IMAGE_TAG" \
      | sed -n "s|^$IMAGE_REPOSITORY_URI@||p" | head -n 1 | grep -E '^sha256:[0-9a-f]{64}$' \
      || die "no registry digest for $IMAGE_REPOSITORY_URI:$IMAGE_TAG (was it pushed?)"
    ;;
  *) die "usage: image.sh tag|release|digest" ;;
esac
