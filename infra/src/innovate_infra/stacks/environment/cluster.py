"""Stateless stack: the environment's EKS cluster, its system node group, Karpenter,
the add-ons, the namespaces and their network policies.

Nothing here holds data that a replacement would lose: Kubernetes objects are
re-applied from this stack, Prometheus' volumes are dynamic (EBS CSI), and the Grafana
admin password is generated again if its secret is ever replaced (only a new login).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import CfnResource, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from innovate_infra.constructs.eks.addons import (
    AddonVersions,
    ChartVersions,
    HelmAddons,
    HelmAddonsProps,
    ManagedAddons,
    ManagedAddonsProps,
)
from innovate_infra.constructs.eks.cluster import ClusterAccess, EksCluster, EksClusterProps
from innovate_infra.constructs.eks.karpenter import Karpenter, KarpenterProps, NodePoolSpec
from innovate_infra.constructs.eks.namespaces import Namespaces, NamespacesProps
from innovate_infra.constructs.eks.node_group import SystemNodeGroup, SystemNodeGroupProps
from innovate_infra.constructs.eks.workload_identity import (
    WorkloadIdentity,
    WorkloadIdentityProps,
)
from innovate_infra.stacks.base import PlatformStack, StackSettings

# The Kubernetes service network EKS uses when none is given.
SERVICE_CIDR = "172.20.0.0/16"


@dataclass(frozen=True)
class SystemNodes:
    instance_types: Sequence[str]
    ami_family: str
    architecture: str
    min_size: int
    desired_size: int
    max_size: int
    volume_size_gib: int


@dataclass(frozen=True)
class KarpenterSettings:
    chart_version: str
    architectures: Sequence[str]
    instance_categories: Sequence[str]
    node_pools: Sequence[NodePoolSpec]
    consolidate_after_seconds: int


@dataclass(frozen=True)
class ClusterStackProps:
    cluster_name: str
    kubernetes_version: str
    vpc: ec2.IVpc
    vpc_cidr: str
    private_subnets: Sequence[ec2.ISubnet]
    public_access_cidrs: Sequence[str]
    cluster_key: kms.IKey
    logs_key: kms.IKey
    data_key: kms.IKey
    secrets_key: kms.IKey
    access: Sequence[ClusterAccess]
    system_nodes: SystemNodes
    karpenter: KarpenterSettings
    addon_versions: AddonVersions
    chart_versions: ChartVersions
    prometheus_retention_days: int
    prometheus_storage_gib: int
    platform_namespace: str
    application_namespace: str
    # The Kubernetes group of the delivery pipeline's deployer roles (RBAC in the
    # application namespace; the access entries are the delivery stacks').
    deployer_group: str
    application_port: int
    database_port: int
    retain_volumes: bool
    tags: Mapping[str, str]


class ClusterStack(PlatformStack):
    PURPOSE = "cluster"
    DESCRIPTION = "EKS cluster, node groups, Karpenter and add-ons (stateless)"
    CLUSTER_ID: ClassVar[str] = "Eks"
    KARPENTER_ID: ClassVar[str] = "Karpenter"
    HELM_ADDONS_ID: ClassVar[str] = "HelmAddons"
    # The API's token signing key (stages.py adds it; suppressions name its path).
    API_SIGNING_KEY_ID: ClassVar[str] = "ApiSigningKey"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: ClusterStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self._props = props
        self.eks = EksCluster(
            self,
            self.CLUSTER_ID,
            props=EksClusterProps(
                cluster_name=props.cluster_name,
                kubernetes_version=props.kubernetes_version,
                vpc=props.vpc,
                private_subnets=props.private_subnets,
                secrets_key=props.cluster_key,
                logs_key=props.logs_key,
                public_access_cidrs=props.public_access_cidrs,
                access=props.access,
                application_namespace=props.application_namespace,
            ),
        )
        cluster = self.eks.icluster
        nodes = props.system_nodes
        self.system_nodes = SystemNodeGroup(
            self,
            "SystemNodes",
            props=SystemNodeGroupProps(
                cluster=cluster,
                subnets=props.private_subnets,
                instance_types=nodes.instance_types,
                ami_family=nodes.ami_family,  # type: ignore[arg-type]
                architecture=nodes.architecture,  # type: ignore[arg-type]
                min_size=nodes.min_size,
                desired_size=nodes.desired_size,
                max_size=nodes.max_size,
                volume_size_gib=nodes.volume_size_gib,
                volume_key=props.data_key,
                tags=props.tags,
            ),
        )
        self.managed_addons = ManagedAddons(
            self,
            "ManagedAddons",
            props=ManagedAddonsProps(
                cluster=cluster, versions=props.addon_versions, volume_key=props.data_key
            ),
        )
        # CoreDNS and the EBS CSI controller need the system nodes to become healthy.
        for addon in (self.managed_addons.coredns, self.managed_addons.ebs_csi):
            addon.node.add_dependency(self.system_nodes.nodegroup)
        self.namespaces = Namespaces(
            self,
            "Namespaces",
            props=NamespacesProps(
                cluster=cluster,
                platform_namespace=props.platform_namespace,
                application_namespace=props.application_namespace,
                vpc_cidr=props.vpc_cidr,
                service_cidr=SERVICE_CIDR,
                application_port=props.application_port,
                database_port=props.database_port,
                deployer_group=props.deployer_group,
            ),
        )
        karpenter = props.karpenter
        self.karpenter = Karpenter(
            self,
            self.KARPENTER_ID,
            props=KarpenterProps(
                cluster=cluster,
                cluster_name=props.cluster_name,
                chart_version=karpenter.chart_version,
                architectures=karpenter.architectures,
                instance_categories=karpenter.instance_categories,
                node_pools=karpenter.node_pools,
                consolidate_after_seconds=karpenter.consolidate_after_seconds,
                volume_key=props.data_key,
                tags=props.tags,
                pod_identity_agent=self.managed_addons.pod_identity_agent,
            ),
        )
        self.karpenter.chart.node.add_dependency(self.system_nodes.nodegroup)
        self.helm_addons = HelmAddons(
            self,
            self.HELM_ADDONS_ID,
            props=HelmAddonsProps(
                cluster=cluster,
                cluster_name=props.cluster_name,
                vpc=props.vpc,
                versions=props.chart_versions,
                platform_namespace=props.platform_namespace,
                volume_key=props.data_key,
                secrets_key=props.secrets_key,
                prometheus_retention_days=props.prometheus_retention_days,
                prometheus_storage_gib=props.prometheus_storage_gib,
                retain_volumes=props.retain_volumes,
                pod_identity_agent=self.managed_addons.pod_identity_agent,
                platform_namespace_manifest=self.namespaces.namespaces[props.platform_namespace],
            ),
        )
        # Charts need running system nodes (and Prometheus the EBS CSI driver and
        # Karpenter's nodes).
        self.helm_addons.node.add_dependency(self.system_nodes.nodegroup)
        self.helm_addons.node.add_dependency(self.managed_addons.ebs_csi)
        self.helm_addons.node.add_dependency(self.karpenter)
        # The delivery pipeline's deploy runner (a CodeBuild project of this account that
        # joins the private subnets): HTTPS out only; the API endpoint admits it.
        self.deploy_runner = ec2.SecurityGroup(
            self,
            "DeployRunnerSecurityGroup",
            vpc=props.vpc,
            description=f"{props.cluster_name}: deploy runner of the delivery pipeline (CodeBuild)",
            allow_all_outbound=False,
        )
        self.deploy_runner.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(443),
            "HTTPS: the cluster API, the VPC endpoints, and AWS APIs through NAT and the firewall",
        )
        self.eks.allow_api_access(self.deploy_runner, "the deploy runner: helm and kubectl")
        # The kubectl provider's readiness parameter is a raw CfnResource, which the
        # tagging aspect cannot tag.
        for child in self.node.find_all():
            if isinstance(child, CfnResource) and child.cfn_resource_type == "AWS::SSM::Parameter":
                child.add_property_override("Tags", dict(props.tags))

    @property
    def cluster_security_group(self) -> ec2.ISecurityGroup:
        """Nodes and pods (managed and Karpenter nodes alike) use this group: the
        database (5432) and load balancer (8000) ingress rules name it."""
        return self.eks.cluster_security_group

    def add_workload_identity(
        self,
        construct_id: str,
        *,
        service_account: str,
        description: str,
        secret_arns: Sequence[str],
        secrets_key: kms.IKey,
    ) -> WorkloadIdentity:
        """A Pod Identity role for a service account of the application namespace,
        limited to reading ``secret_arns`` (e.g. the API's database secret)."""
        identity = WorkloadIdentity(
            self,
            construct_id,
            props=WorkloadIdentityProps(
                cluster=self.eks.icluster,
                namespace=self._props.application_namespace,
                service_account=service_account,
                description=description,
                secret_arns=secret_arns,
                secrets_key=secrets_key,
            ),
        )
        identity.association.node.add_dependency(self.managed_addons.pod_identity_agent)
        return identity

    def add_generated_secret(
        self,
        construct_id: str,
        *,
        secret_name: str,
        description: str,
        secrets_key: kms.IKey,
        retain: bool,
    ) -> secretsmanager.ISecret:
        """A random 64-character secret for a workload (e.g. the API's token signing
        key), encrypted with the secrets key and read only through a workload identity."""
        return secretsmanager.Secret(
            self,
            construct_id,
            secret_name=secret_name,
            description=description,
            # A reference, not the key: CDK would otherwise add a statement to the key
            # policy in the keys stack (which already admits Secrets Manager).
            encryption_key=kms.Key.from_key_arn(self, f"{construct_id}Key", secrets_key.key_arn),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
