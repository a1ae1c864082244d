"""Where the cluster's images and Helm charts come from: every host a pull or a chart
download touches, so that the egress allow-list (``organization.yaml``
``egress_allowed_domains``) can be checked against what the stacks reference
(``tests/stacks/environment/test_cluster_egress.py``).

A registry or chart repository that is not listed here fails that test: adding one
means finding out which hosts it serves from, and allowing them.
"""

from __future__ import annotations

# ECR Public serves layers from CloudFront distributions (the hostnames EKS Anywhere's
# "domains to allow" list gives for public.ecr.aws).
ECR_PUBLIC_CDN = ("d2glxqk2uabbnd.cloudfront.net", "d5l0dvt14r5h8.cloudfront.net")
# GitHub release assets (chart archives of metrics-server, argo-helm and
# prometheus-community are GitHub release downloads, redirected to these hosts).
GITHUB_RELEASES = (
    "github.com",
    "objects.githubusercontent.com",
    "release-assets.githubusercontent.com",
)

# Image registry -> hosts a pull reaches (API, token service, layer storage).
REGISTRY_HOSTS: dict[str, tuple[str, ...]] = {
    "public.ecr.aws": ("public.ecr.aws", *ECR_PUBLIC_CDN),
    # registry.k8s.io redirects clients in AWS to an S3 bucket in their region.
    "registry.k8s.io": (
        "registry.k8s.io",
        "prod-registry-k8s-io-{region}.s3.dualstack.{region}.amazonaws.com",
    ),
    "quay.io": ("quay.io", "cdn.quay.io", "cdn01.quay.io", "cdn02.quay.io", "cdn03.quay.io"),
    # Docker Hub (Grafana's image): Docker's allow-list for pulls.
    "docker.io": (
        "registry-1.docker.io",
        "auth.docker.io",
        "production.cloudflare.docker.com",
        "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com",
    ),
}

# Chart repository -> hosts the kubectl provider's Helm reaches to download the chart.
CHART_HOSTS: dict[str, tuple[str, ...]] = {
    "https://aws.github.io/eks-charts": ("aws.github.io",),
    "https://kubernetes-sigs.github.io/metrics-server/": (
        "kubernetes-sigs.github.io",
        *GITHUB_RELEASES,
    ),
    "https://argoproj.github.io/argo-helm": ("argoproj.github.io", *GITHUB_RELEASES),
    "https://prometheus-community.github.io/helm-charts": (
        "prometheus-community.github.io",
        *GITHUB_RELEASES,
    ),
    # OCI on ECR Public: the handler logs in through the ECR Public API (us-east-1 only).
    "oci://public.ecr.aws/karpenter/karpenter": (
        "public.ecr.aws",
        "api.ecr-public.us-east-1.amazonaws.com",
        *ECR_PUBLIC_CDN,
    ),
}


def registry_of(image: str) -> str:
    """``quay.io/prometheus/prometheus`` -> ``quay.io``; no host part -> Docker Hub."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def allowed(host: str, allowed_domains: list[str]) -> bool:
    """The firewall's semantics: a name allows itself; a leading dot allows the domain
    and all its subdomains."""
    for domain in allowed_domains:
        if domain.startswith("."):
            if host == domain[1:] or host.endswith(domain):
                return True
        elif host == domain:
            return True
    return False
