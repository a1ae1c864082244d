#!/usr/bin/env bash
# tools.sh <bin dir> <helm version> <kubectl version>: installs helm and kubectl (linux
# amd64) after checking each download against its published SHA-256.
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || die "usage: tools.sh <bin dir> <helm version> <kubectl version>"
bin=$1 helm_version=$2 kubectl_version=$3
require_tools curl sha256sum tar
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "helm $helm_version"
curl -fsSLo "$work/helm.tgz" "https://get.helm.sh/helm-$helm_version-linux-amd64.tar.gz"
echo "$(curl -fsSL "https://get.helm.sh/helm-$helm_version-linux-amd64.tar.gz.sha256sum" | cut -d' ' -f1)  $work/helm.tgz" | sha256sum -c -
tar -xzf "$work/helm.tgz" -C "$work" linux-amd64/helm
install -m 0755 "$work/linux-amd64/helm" "$bin/helm"

step "kubectl $kubectl_version"
curl -fsSLo "$work/kubectl" "https://dl.k8s.io/release/$kubectl_version/bin/linux/amd64/kubectl"
echo "$(curl -fsSL "https://dl.k8s.io/release/$kubectl_version/bin/linux/amd64/kubectl.sha256")  $work/kubectl" | sha256sum -c -
install -m 0755 "$work/kubectl" "$bin/kubectl"
