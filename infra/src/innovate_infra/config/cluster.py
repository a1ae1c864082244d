"""The ``cluster`` section of ``environments/<name>.yaml``: the EKS cluster, its system
node group, Karpenter, the add-ons (every version pinned) and who may use the API."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from innovate_infra.config.types import Model

# Kubernetes minor versions the platform can run: each needs the matching kubectl
# Lambda layer (aws-cdk.lambda-layer-kubectl-vNN in requirements.txt) and a
# ``KubernetesVersion`` constant of the pinned aws-cdk-lib.
KubernetesVersion = Literal["1.35"]
InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
AddonVersion = Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]
ChartVersion = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
CapacityType = Literal["on-demand", "spot"]
Architecture = Literal["arm64", "amd64"]
# The unique suffix IAM Identity Center gives the role of a permission set in an account
# (``AWSReservedSSO_<set>_<suffix>``): it changes when the set is re-assigned, so it is
# configuration, read once with ``aws iam list-roles --path-prefix /aws-reserved/``.
RoleSuffix = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]

# Graviton families carry a "g" after the generation digit (m7g, c7gn, r8g, t4g).
_GRAVITON = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.")


def architecture_of(instance_type: str) -> Architecture:
    return "arm64" if _GRAVITON.match(instance_type) else "amd64"


class SystemNodeGroupConfig(Model):
    """The managed node group that runs only the system add-ons (tainted
    ``CriticalAddonsOnly``); workloads run on Karpenter's nodes."""

    instance_types: list[InstanceType] = Field(min_length=1)
    ami_family: Literal["bottlerocket", "al2023"]
    min_size: int = Field(ge=1, le=20)
    desired_size: int = Field(ge=1, le=20)
    max_size: int = Field(ge=1, le=20)
    volume_size_gib: int = Field(default=50, ge=20, le=500)

    @model_validator(mode="after")
    def _check(self) -> SystemNodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need min_size <= desired_size <= max_size, got "
                f"{self.min_size} / {self.desired_size} / {self.max_size}"
            )
        arches = {architecture_of(t) for t in self.instance_types}
        if len(arches) != 1:
            raise ValueError(
                f"instance_types {self.instance_types} mix arm64 and amd64; "
                "one node group runs one AMI architecture"
            )
        return self

    @property
    def architecture(self) -> Architecture:
        return architecture_of(self.instance_types[0])


class NodePoolConfig(Model):
    capacity_types: list[CapacityType] = Field(min_length=1)
    # Karpenter stops launching nodes for the pool beyond these totals.
    cpu_limit: int = Field(ge=2, le=100_000)
    memory_limit_gib: int = Field(ge=4, le=400_000)

    @field_validator("capacity_types")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"duplicates in {value}")
        return value


class KarpenterConfig(Model):
    # The controller's Helm chart (oci://public.ecr.aws/karpenter/karpenter) and the
    # vendored CRDs in infra/tests must be of this version.
    version: Annotated[str, StringConstraints(pattern=r"^1\.\d+\.\d+$")]
    architectures: list[Architecture] = Field(min_length=1)
    # EC2 instance categories (c compute, m general, r memory) Karpenter may choose from.
    instance_categories: list[Literal["c", "m", "r", "t"]] = Field(min_length=1)
    # "baseline": the steady capacity (higher weight, tried first); "burst": what may be
    # added on top (spot first). Both consolidate when empty or underused.
    baseline: NodePoolConfig
    burst: NodePoolConfig
    consolidate_after_seconds: int = Field(default=60, ge=0, le=3600)


class AddonVersions(Model):
    """EKS managed add-ons, pinned (``aws eks describe-addon-versions
    --kubernetes-version <v> --addon-name <name>``)."""

    vpc_cni: AddonVersion
    coredns: AddonVersion
    kube_proxy: AddonVersion
    ebs_csi_driver: AddonVersion
    pod_identity_agent: AddonVersion


class ChartVersions(Model):
    """Helm charts, pinned (Karpenter's is ``karpenter.version``)."""

    aws_load_balancer_controller: ChartVersion
    metrics_server: ChartVersion
    argo_rollouts: ChartVersion
    kube_prometheus_stack: ChartVersion


class PrometheusConfig(Model):
    retention_days: int = Field(ge=1, le=730)
    storage_gib: int = Field(ge=10, le=16_384)


AccessLevel = Literal["cluster_admin", "view", "edit_application"]


class AccessGrant(Model):
    """One Identity Center permission set's role in the environment's account and what
    it may do in the cluster (an EKS access entry; there is no aws-auth ConfigMap)."""

    permission_set: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9+=,.@_-]*$")]
    role_suffix: RoleSuffix
    access: AccessLevel


class ClusterConfig(Model):
    kubernetes_version: KubernetesVersion
    # Empty: the API endpoint is private only (reached from the VPC). Otherwise the
    # public endpoint is on too, for these CIDRs only.
    endpoint_public_access_cidrs: list[str] = Field(default_factory=list)
    system_nodes: SystemNodeGroupConfig
    karpenter: KarpenterConfig
    addons: AddonVersions
    charts: ChartVersions
    prometheus: PrometheusConfig
    access: list[AccessGrant] = Field(min_length=1)

    @field_validator("endpoint_public_access_cidrs", mode="before")
    @classmethod
    def _cidrs(cls, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise ValueError("must be a list of CIDRs")
        checked = []
        for cidr in value:
            try:
                network = ipaddress.IPv4Network(str(cidr), strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not a valid IPv4 CIDR ({exc})") from None
            if network.prefixlen < 16:
                raise ValueError(f"{cidr!r}: the public endpoint may admit at most a /16")
            checked.append(str(network))
        return checked

    @model_validator(mode="after")
    def _check(self) -> ClusterConfig:
        proxy_minor = ".".join(self.addons.kube_proxy.lstrip("v").split(".")[:2])
        if proxy_minor != self.kubernetes_version:
            raise ValueError(
                f"addons.kube_proxy {self.addons.kube_proxy} is not for Kubernetes "
                f"{self.kubernetes_version} (kube-proxy must match the cluster minor version)"
            )
        sets = [grant.permission_set for grant in self.access]
        if len(set(sets)) != len(sets):
            raise ValueError(f"access: a permission set may appear once, got {sets}")
        if "cluster_admin" not in {grant.access for grant in self.access}:
            raise ValueError("access: at least one permission set needs cluster_admin")
        return self
