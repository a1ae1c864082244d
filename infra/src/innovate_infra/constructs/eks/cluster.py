"""The EKS control plane: private endpoint, secrets envelope encryption, every
control-plane log type, access entries (no aws-auth ConfigMap) and the kubectl
provider (a Lambda in the private subnets that applies manifests and Helm charts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, cast

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.lambda_layer_kubectl_v35 import KubectlV35Layer
from constructs import Construct

AccessLevel = Literal["cluster_admin", "view", "edit_application"]

# EKS cluster access policies (arn:aws:eks::aws:cluster-access-policy/<name>).
ACCESS_POLICY: dict[str, str] = {
    "cluster_admin": "AmazonEKSClusterAdminPolicy",
    "view": "AmazonEKSViewPolicy",
    "edit_application": "AmazonEKSEditPolicy",
}
CONTROL_PLANE_LOGS = (
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
)
# Kubernetes minor version -> (CDK constant, kubectl layer of the same minor version).
VERSIONS = {"1.35": (eks.KubernetesVersion.V1_35, KubectlV35Layer)}


@dataclass(frozen=True)
class ClusterAccess:
    """An EKS access entry: one IAM role and what it may do."""

    construct_id: str
    principal_arn: str
    access: AccessLevel


@dataclass(frozen=True)
class EksClusterProps:
    cluster_name: str
    kubernetes_version: str
    vpc: ec2.IVpc
    private_subnets: Sequence[ec2.ISubnet]
    secrets_key: kms.IKey
    # Encrypts the kubectl provider's Lambda log groups.
    logs_key: kms.IKey
    # Empty: private endpoint only.
    public_access_cidrs: Sequence[str]
    access: Sequence[ClusterAccess]
    # The namespace ``edit_application`` is limited to.
    application_namespace: str


class EksCluster(Construct):
    CLUSTER_ID: ClassVar[str] = "Cluster"

    def __init__(self, scope: Construct, construct_id: str, *, props: EksClusterProps) -> None:
        super().__init__(scope, construct_id)
        if props.kubernetes_version not in VERSIONS:
            raise ValueError(f"no kubectl layer for Kubernetes {props.kubernetes_version}")
        version, layer = VERSIONS[props.kubernetes_version]
        endpoint = (
            eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*props.public_access_cidrs)
            if props.public_access_cidrs
            else eks.EndpointAccess.PRIVATE
        )
        subnets = ec2.SubnetSelection(subnets=list(props.private_subnets))
        # The additional control-plane group: only what ``allow_api_access`` admits. The
        # control plane reaches the nodes through the cluster security group EKS creates
        # (all traffic within it).
        control_plane = ec2.SecurityGroup(
            self,
            "ControlPlaneSecurityGroup",
            vpc=props.vpc,
            description=f"{props.cluster_name}: additional control-plane group (API clients)",
            allow_all_outbound=False,
        )
        self._control_plane = control_plane
        self.cluster = eks.Cluster(
            self,
            self.CLUSTER_ID,
            cluster_name=props.cluster_name,
            version=version,
            vpc=props.vpc,
            vpc_subnets=[subnets],
            endpoint_access=endpoint,
            security_group=control_plane,
            secrets_encryption_key=props.secrets_key,
            cluster_logging=list(CONTROL_PLANE_LOGS),
            # Managed node groups and Karpenter, never Auto Mode or a default group.
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            # Nobody keeps admin just for having created the cluster: access is the
            # access entries below, reviewed in config.
            bootstrap_cluster_creator_admin_permissions=False,
            kubectl_provider_options=eks.KubectlProviderOptions(
                kubectl_layer=layer(self, "KubectlLayer"),
                private_subnets=list(props.private_subnets),
            ),
        )
        # jsii's typing does not let mypy see that a Cluster is an ICluster.
        self.icluster = cast(eks.ICluster, self.cluster)
        # The kubectl provider's functions log to groups CDK creates: encrypt them.
        for child in self.cluster.node.find_all():
            if isinstance(child, logs.CfnLogGroup):
                child.kms_key_id = props.logs_key.key_arn
        for grant in props.access:
            scope_ = (
                eks.AccessScopeType.NAMESPACE
                if grant.access == "edit_application"
                else eks.AccessScopeType.CLUSTER
            )
            eks.AccessEntry(
                self,
                grant.construct_id,
                cluster=self.icluster,
                principal=grant.principal_arn,
                access_policies=[
                    eks.AccessPolicy.from_access_policy_name(
                        ACCESS_POLICY[grant.access],
                        access_scope_type=scope_,
                        namespaces=(
                            [props.application_namespace]
                            if scope_ == eks.AccessScopeType.NAMESPACE
                            else None
                        ),
                    )
                ],
            )

    def allow_api_access(self, peer: ec2.ISecurityGroup, description: str) -> None:
        """HTTPS to the private API endpoint from ``peer`` (its ENIs carry this group),
        and nothing else: not the nodes, not the pods."""
        self._control_plane.add_ingress_rule(peer, ec2.Port.tcp(443), description)

    @property
    def cluster_security_group(self) -> ec2.ISecurityGroup:
        """The security group EKS creates for the cluster: the control plane, the managed
        nodes and (selected by its ``aws:eks:cluster-name`` tag) Karpenter's nodes, and so
        every pod, use it."""
        return self.cluster.cluster_security_group
