"""The platform and application namespaces, each with a default-deny NetworkPolicy
(ingress and egress) and the allows its pods need. The VPC CNI enforces them
(``enableNetworkPolicy`` on the add-on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

# EKS Pod Identity agent: pods fetch credentials from this link-local address (port 80).
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class NamespacesProps:
    cluster: eks.ICluster
    platform_namespace: str
    application_namespace: str
    # The VPC: the API server's network interfaces, the VPC endpoints, the nodes
    # (kubelet, node-exporter), the database and the load balancer live in it.
    vpc_cidr: str
    # The Kubernetes service network (the API server's ClusterIP is in it).
    service_cidr: str
    # The port the application serves (and is scraped) on.
    application_port: int
    database_port: int
    # The Kubernetes group the delivery pipeline's deployer roles are mapped to (their
    # EKS access entries live in the delivery stacks): it may manage the API's release
    # in the application namespace and nothing else.
    deployer_group: str


def _ports(*ports: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": port} for port in ports]


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def default_deny(namespace: str) -> dict[str, Any]:
    return _policy(
        namespace, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    )


def allow_dns(namespace: str) -> dict[str, Any]:
    return _policy(
        namespace,
        "allow-dns",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [*_ports(53, protocol="UDP"), *_ports(53)],
                }
            ],
        },
    )


def allow_pod_identity(namespace: str) -> dict[str, Any]:
    return _policy(
        namespace,
        "allow-pod-identity-agent",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT_CIDR}}], "ports": _ports(80)}
            ],
        },
    )


def platform_policies(props: NamespacesProps) -> list[dict[str, Any]]:
    ns = props.platform_namespace
    vpc_and_services = [
        {"ipBlock": {"cidr": props.vpc_cidr}},
        {"ipBlock": {"cidr": props.service_cidr}},
    ]
    return [
        default_deny(ns),
        allow_dns(ns),
        allow_pod_identity(ns),
        # Prometheus, Grafana, Alertmanager, the operator and kube-state-metrics talk to
        # each other.
        _policy(
            ns,
            "allow-same-namespace",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
        # The API server (watches, Argo Rollouts and the operator reconcile), the VPC
        # endpoints (Secrets Manager for Grafana's credentials), and scraping: kubelet
        # (10250) and the application's metrics.
        _policy(
            ns,
            "allow-api-server-endpoints-and-scraping",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": vpc_and_services, "ports": _ports(443, 10250)},
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {NAMESPACE_LABEL: props.application_namespace}
                                }
                            }
                        ],
                        "ports": _ports(props.application_port),
                    },
                ],
            },
        ),
    ]


def application_policies(props: NamespacesProps) -> list[dict[str, Any]]:
    ns = props.application_namespace
    return [
        default_deny(ns),
        allow_dns(ns),
        allow_pod_identity(ns),
        # The load balancer (IP targets, in the VPC) and Prometheus reach the API's port.
        _policy(
            ns,
            "allow-ingress-to-the-api",
            {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"ipBlock": {"cidr": props.vpc_cidr}},
                            {
                                "namespaceSelector": {
                                    "matchLabels": {NAMESPACE_LABEL: props.platform_namespace}
                                }
                            },
                        ],
                        "ports": _ports(props.application_port),
                    }
                ],
            },
        ),
        # The database and the VPC endpoints (Secrets Manager, KMS, STS).
        _policy(
            ns,
            "allow-database-and-aws-endpoints",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": props.vpc_cidr}}],
                        "ports": _ports(props.database_port, 443),
                    }
                ],
            },
        ),
    ]


def namespace(name: str, pod_security: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }


_ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
_READ = ["get", "list", "watch"]


def deployer_rbac(namespace: str, group: str) -> list[dict[str, Any]]:
    """What ``helm upgrade --install`` of the API's chart (deploy/charts), the Rollout's
    promotion or abort and ``helm rollback`` need in the application namespace: the
    chart's kinds (Helm keeps its release records in Secrets), read access to what the
    Rollout creates, nothing cluster-wide."""
    rules = [
        {
            "apiGroups": [""],
            "resources": ["configmaps", "secrets", "services", "serviceaccounts"],
            "verbs": _ALL,
        },
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "events", "endpoints"],
            "verbs": _READ,
        },
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": _READ},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": _ALL},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": _ALL},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": _ALL},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _ALL},
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["rollouts", "rollouts/status", "analysistemplates"],
            "verbs": _ALL,
        },
        {"apiGroups": ["argoproj.io"], "resources": ["analysisruns"], "verbs": [*_READ, "delete"]},
        {"apiGroups": ["elbv2.k8s.aws"], "resources": ["targetgroupbindings"], "verbs": _ALL},
        {
            "apiGroups": ["monitoring.coreos.com"],
            "resources": ["servicemonitors", "prometheusrules"],
            "verbs": _ALL,
        },
    ]
    name = "deployer"
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": namespace},
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        },
    ]


class Namespaces(Construct):
    """Each namespace is one manifest; its policies another (applied after it)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: NamespacesProps) -> None:
        super().__init__(scope, construct_id)
        self.namespaces: dict[str, eks.KubernetesManifest] = {}
        # Pod Security Admission: the application runs "restricted" pods only; the
        # platform add-ons need "baseline" (Grafana's init container runs as root).
        policies = {
            props.platform_namespace: ("baseline", platform_policies(props)),
            props.application_namespace: ("restricted", application_policies(props)),
        }
        for ns, (pod_security, ns_policies) in policies.items():
            created = eks.KubernetesManifest(
                self,
                f"Namespace-{ns}",
                cluster=props.cluster,
                manifest=[namespace(ns, pod_security)],
            )
            self.namespaces[ns] = created
            applied = eks.KubernetesManifest(
                self, f"NetworkPolicies-{ns}", cluster=props.cluster, manifest=list(ns_policies)
            )
            applied.node.add_dependency(created)
        deployer = eks.KubernetesManifest(
            self,
            "DeployerRbac",
            cluster=props.cluster,
            manifest=deployer_rbac(props.application_namespace, props.deployer_group),
        )
        deployer.node.add_dependency(self.namespaces[props.application_namespace])
