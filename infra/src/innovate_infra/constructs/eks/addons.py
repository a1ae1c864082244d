"""The cluster add-ons, every version pinned.

* EKS managed add-ons: VPC CNI (network-policy enforcement on), CoreDNS, kube-proxy,
  the EBS CSI driver (Pod Identity) and the Pod Identity agent. The agent is declared
  here once and nothing else may create it (``Cluster.add_service_account`` with Pod
  Identity would add a second one: aws/aws-cdk#32580), so service-account roles use
  ``WorkloadIdentity`` / ``CfnPodIdentityAssociation``.
* Helm charts: AWS Load Balancer Controller, metrics-server, Argo Rollouts,
  kube-prometheus-stack (Prometheus on an encrypted gp3 StorageClass, Grafana's admin
  password from Secrets Manager).

Every image the values name is spelled out (registry and repository) so that the
egress allow-list can be checked against them (``tests/stacks/environment/test_cluster_egress.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from innovate_infra.constructs.eks import lbc_policy
from innovate_infra.constructs.eks.node_group import SYSTEM_LABEL, SYSTEM_TAINT_KEY
from innovate_infra.constructs.eks.workload_identity import (
    WorkloadIdentity,
    WorkloadIdentityProps,
    attach_policy,
    pod_identity_principal,
)

# Where each chart is downloaded from at deploy time (by the kubectl Lambda).
CHART_REPOSITORIES = {
    "aws-load-balancer-controller": "https://aws.github.io/eks-charts",
    "metrics-server": "https://kubernetes-sigs.github.io/metrics-server/",
    "argo-rollouts": "https://argoproj.github.io/argo-helm",
    "kube-prometheus-stack": "https://prometheus-community.github.io/helm-charts",
}
STORAGE_CLASS = "encrypted-gp3"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
GRAFANA_SERVICE_ACCOUNT = "grafana"
GRAFANA_ADMIN_DIR = "/etc/grafana-admin"
# The AWS CLI image Grafana's init container reads the admin password with.
AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.22.0"
SYSTEM_PLACEMENT: dict[str, Any] = {
    "nodeSelector": dict(SYSTEM_LABEL),
    "tolerations": [{"key": SYSTEM_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
}


@dataclass(frozen=True)
class AddonVersions:
    vpc_cni: str
    coredns: str
    kube_proxy: str
    ebs_csi_driver: str
    pod_identity_agent: str


@dataclass(frozen=True)
class ManagedAddonsProps:
    cluster: eks.ICluster
    versions: AddonVersions
    volume_key: kms.IKey


def _addon(
    scope: Construct,
    construct_id: str,
    cluster: eks.ICluster,
    name: str,
    version: str,
    configuration: Mapping[str, Any] | None = None,
) -> eks.Addon:
    addon = eks.Addon(
        scope,
        construct_id,
        cluster=cluster,
        addon_name=name,
        addon_version=version,
        configuration_values=dict(configuration) if configuration else None,
        preserve_on_delete=False,
    )
    cfn = addon.node.default_child
    if not isinstance(cfn, eks.CfnAddon):
        raise TypeError("expected the add-on's CfnAddon")
    # EKS installs self-managed copies of vpc-cni, CoreDNS and kube-proxy at cluster
    # creation; the managed add-on takes them over.
    cfn.resolve_conflicts = "OVERWRITE"
    return addon


def ebs_kms_statements(key_arn: str, region: str) -> list[iam.PolicyStatement]:
    """What the EBS CSI driver needs to create volumes encrypted with a CMK (EBS CSI
    driver docs, "KMS key policy"), through EC2 only."""
    via_ec2 = {"kms:ViaService": f"ec2.{region}.amazonaws.com"}
    return [
        iam.PolicyStatement(
            sid="GrantsForEncryptedVolumes",
            actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            resources=[key_arn],
            conditions={"StringEquals": via_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        iam.PolicyStatement(
            sid="UseKeyForEncryptedVolumes",
            actions=[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:DescribeKey",
            ],
            resources=[key_arn],
            conditions={"StringEquals": via_ec2},
        ),
    ]


class ManagedAddons(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: ManagedAddonsProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        cluster, versions = props.cluster, props.versions
        self.pod_identity_agent = _addon(
            self, "PodIdentityAgent", cluster, "eks-pod-identity-agent", versions.pod_identity_agent
        )
        self.vpc_cni = _addon(
            self,
            "VpcCni",
            cluster,
            "vpc-cni",
            versions.vpc_cni,
            # Without this the VPC CNI ignores every NetworkPolicy.
            {"enableNetworkPolicy": "true"},
        )
        self.kube_proxy = _addon(self, "KubeProxy", cluster, "kube-proxy", versions.kube_proxy)
        self.coredns = _addon(
            self,
            "CoreDns",
            cluster,
            "coredns",
            versions.coredns,
            {"replicaCount": 2, **SYSTEM_PLACEMENT},
        )
        self.ebs_csi_role = iam.Role(
            self,
            "EbsCsiRole",
            assumed_by=pod_identity_principal(stack.account, cluster.cluster_arn),
            description="EBS CSI driver controller (EKS Pod Identity)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonEBSCSIDriverPolicy"
                )
            ],
        )
        attach_policy(
            self,
            "EbsCsiKeyPolicy",
            self.ebs_csi_role,
            "EBS CSI driver: volumes encrypted with the data key",
            ebs_kms_statements(props.volume_key.key_arn, stack.region),
        )
        self.ebs_csi = _addon(
            self,
            "EbsCsi",
            cluster,
            "aws-ebs-csi-driver",
            versions.ebs_csi_driver,
            # The add-on's own default StorageClass is unencrypted; ours replaces it.
            {"defaultStorageClass": {"enabled": False}, "controller": dict(SYSTEM_PLACEMENT)},
        )
        cfn = self.ebs_csi.node.default_child
        if not isinstance(cfn, eks.CfnAddon):
            raise TypeError("expected the add-on's CfnAddon")
        cfn.pod_identity_associations = [
            eks.CfnAddon.PodIdentityAssociationProperty(
                role_arn=self.ebs_csi_role.role_arn, service_account=EBS_CSI_SERVICE_ACCOUNT
            )
        ]
        self.ebs_csi.node.add_dependency(self.pod_identity_agent)


@dataclass(frozen=True)
class ChartVersions:
    aws_load_balancer_controller: str
    metrics_server: str
    argo_rollouts: str
    kube_prometheus_stack: str


@dataclass(frozen=True)
class HelmAddonsProps:
    cluster: eks.ICluster
    cluster_name: str
    vpc: ec2.IVpc
    versions: ChartVersions
    platform_namespace: str
    volume_key: kms.IKey
    secrets_key: kms.IKey
    prometheus_retention_days: int
    prometheus_storage_gib: int
    # Volumes Prometheus leaves behind are kept (prod) or deleted with their claim.
    retain_volumes: bool
    pod_identity_agent: eks.Addon
    # The platform namespace must exist before charts install into it.
    platform_namespace_manifest: eks.KubernetesManifest


def storage_class(key_arn: str, retain: bool) -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn},
        "reclaimPolicy": "Retain" if retain else "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def load_balancer_controller_values(cluster_name: str, region: str, vpc_id: str) -> dict[str, Any]:
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2,
        "image": {"repository": "public.ecr.aws/eks/aws-load-balancer-controller"},
        "serviceAccount": {"create": True, "name": "aws-load-balancer-controller"},
        # WAF is on API Gateway; Shield/WAF APIs have no VPC endpoint.
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        **SYSTEM_PLACEMENT,
    }


def metrics_server_values() -> dict[str, Any]:
    return {
        "replicas": 2,
        "image": {"repository": "registry.k8s.io/metrics-server/metrics-server"},
        **SYSTEM_PLACEMENT,
    }


def argo_rollouts_values() -> dict[str, Any]:
    return {
        # The CRDs are chart templates: helm upgrades them with the chart.
        "installCRDs": True,
        "keepCRDs": True,
        "controller": {
            "replicas": 2,
            "image": {"registry": "quay.io", "repository": "argoproj/argo-rollouts"},
            **SYSTEM_PLACEMENT,
        },
        "dashboard": {"enabled": False},
    }


def kube_prometheus_stack_values(
    *, retention_days: int, storage_gib: int, grafana_secret_arn: str, region: str
) -> dict[str, Any]:
    fetch_password = (
        'aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" '
        f"--query SecretString --output text > {GRAFANA_ADMIN_DIR}/password"
    )
    return {
        "prometheusOperator": {
            "image": {
                "registry": "quay.io",
                "repository": "prometheus-operator/prometheus-operator",
            },
            "prometheusConfigReloader": {
                "image": {
                    "registry": "quay.io",
                    "repository": "prometheus-operator/prometheus-config-reloader",
                }
            },
            # No admission webhook (nothing for the API server to call into the
            # namespace, no certificate job); rules are validated in CI instead.
            "admissionWebhooks": {"enabled": False},
            "tls": {"enabled": False},
        },
        "prometheus": {
            "prometheusSpec": {
                "image": {"registry": "quay.io", "repository": "prometheus/prometheus"},
                "retention": f"{retention_days}d",
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": STORAGE_CLASS,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "image": {"registry": "quay.io", "repository": "prometheus/alertmanager"}
            }
        },
        # Node metrics come from the kubelet (cAdvisor); node-exporter would need host
        # access the namespace's Pod Security level refuses.
        "nodeExporter": {"enabled": False},
        "kube-state-metrics": {
            "image": {
                "registry": "registry.k8s.io",
                "repository": "kube-state-metrics/kube-state-metrics",
            }
        },
        "grafana": {
            "image": {"registry": "docker.io", "repository": "grafana/grafana"},
            "sidecar": {"image": {"registry": "quay.io", "repository": "kiwigrid/k8s-sidecar"}},
            "serviceAccount": {"create": True, "name": GRAFANA_SERVICE_ACCOUNT},
            "persistence": {"enabled": False},
            "initChownData": {"enabled": False},
            # With GF_SECURITY_ADMIN_PASSWORD__FILE set, the chart neither generates a
            # password nor a Secret for it: Grafana reads the file the init container
            # wrote from Secrets Manager (Pod Identity role limited to that secret).
            "env": {
                "GF_SECURITY_ADMIN_USER": "admin",
                "GF_SECURITY_ADMIN_PASSWORD__FILE": f"{GRAFANA_ADMIN_DIR}/password",
            },
            "extraEmptyDirMounts": [{"name": "grafana-admin", "mountPath": GRAFANA_ADMIN_DIR}],
            "extraInitContainers": [
                {
                    "name": "fetch-admin-password",
                    "image": AWS_CLI_IMAGE,
                    "command": ["sh", "-c", fetch_password],
                    "env": [
                        {"name": "SECRET_ARN", "value": grafana_secret_arn},
                        {"name": "AWS_REGION", "value": region},
                    ],
                    "volumeMounts": [{"name": "grafana-admin", "mountPath": GRAFANA_ADMIN_DIR}],
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 472,
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                }
            ],
        },
    }


class HelmAddons(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: HelmAddonsProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        cluster, versions = props.cluster, props.versions
        self._cluster = cluster
        self.storage_class = eks.KubernetesManifest(
            self,
            "StorageClass",
            cluster=cluster,
            manifest=[storage_class(props.volume_key.key_arn, props.retain_volumes)],
        )

        self.load_balancer_controller_role = iam.Role(
            self,
            "LoadBalancerControllerRole",
            assumed_by=pod_identity_principal(stack.account, cluster.cluster_arn),
            description="AWS Load Balancer Controller (EKS Pod Identity)",
        )
        lbc_permissions = attach_policy(
            self,
            "LoadBalancerControllerPolicy",
            self.load_balancer_controller_role,
            "AWS Load Balancer Controller: its load balancers, target groups and rules",
            lbc_policy.statements(stack.account, stack.region),
        )
        lbc_identity = eks.CfnPodIdentityAssociation(
            self,
            "LoadBalancerControllerIdentity",
            cluster_name=cluster.cluster_name,
            namespace="kube-system",
            service_account="aws-load-balancer-controller",
            role_arn=self.load_balancer_controller_role.role_arn,
        )
        lbc_identity.node.add_dependency(props.pod_identity_agent)
        lbc = self._chart(
            "LoadBalancerController",
            "aws-load-balancer-controller",
            versions.aws_load_balancer_controller,
            "kube-system",
            load_balancer_controller_values(props.cluster_name, stack.region, props.vpc.vpc_id),
        )
        lbc.node.add_dependency(lbc_identity, lbc_permissions)
        self._chart(
            "MetricsServer",
            "metrics-server",
            versions.metrics_server,
            "kube-system",
            metrics_server_values(),
        )
        rollouts = self._chart(
            "ArgoRollouts",
            "argo-rollouts",
            versions.argo_rollouts,
            props.platform_namespace,
            argo_rollouts_values(),
        )
        rollouts.node.add_dependency(props.platform_namespace_manifest)

        # Grafana's admin password: generated by Secrets Manager, encrypted with the
        # secrets key, never in a template, a chart value or a Kubernetes Secret.
        self.grafana_secret = secretsmanager.Secret(
            self,
            "GrafanaAdminPassword",
            description=f"{props.cluster_name}: Grafana admin password",
            # A reference, not the key itself: CDK would otherwise add a statement to
            # the key's policy in the keys stack (its policy already admits Secrets
            # Manager on behalf of this account).
            encryption_key=kms.Key.from_key_arn(self, "SecretsKey", props.secrets_key.key_arn),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=40, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        grafana = WorkloadIdentity(
            self,
            "GrafanaIdentity",
            props=WorkloadIdentityProps(
                cluster=cluster,
                namespace=props.platform_namespace,
                service_account=GRAFANA_SERVICE_ACCOUNT,
                description="Grafana: reads its admin password (EKS Pod Identity)",
                secret_arns=(self.grafana_secret.secret_arn,),
                secrets_key=props.secrets_key,
            ),
        )
        grafana.association.node.add_dependency(props.pod_identity_agent)
        monitoring = self._chart(
            "KubePrometheusStack",
            "kube-prometheus-stack",
            versions.kube_prometheus_stack,
            props.platform_namespace,
            kube_prometheus_stack_values(
                retention_days=props.prometheus_retention_days,
                storage_gib=props.prometheus_storage_gib,
                grafana_secret_arn=self.grafana_secret.secret_arn,
                region=stack.region,
            ),
        )
        monitoring.node.add_dependency(props.platform_namespace_manifest)
        monitoring.node.add_dependency(self.storage_class)
        monitoring.node.add_dependency(grafana.association)

    def _chart(
        self, construct_id: str, chart: str, version: str, namespace: str, values: dict[str, Any]
    ) -> eks.HelmChart:
        return eks.HelmChart(
            self,
            construct_id,
            cluster=self._cluster,
            chart=chart,
            repository=CHART_REPOSITORIES[chart],
            version=version,
            release=chart,
            namespace=namespace,
            create_namespace=False,
            wait=True,
            values=values,
        )
