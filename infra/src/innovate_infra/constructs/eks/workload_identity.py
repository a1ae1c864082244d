"""An IAM role for one Kubernetes service account through EKS Pod Identity, limited to
reading the named secrets and decrypting them with their key (through Secrets Manager
only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
# What EKS Pod Identity needs in the role's trust policy (EKS user guide, "Pod Identity").
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")


def pod_identity_principal(account: str, cluster_arn: str) -> iam.IPrincipal:
    """The Pod Identity service, only on behalf of this account's one cluster."""
    return iam.ServicePrincipal(
        POD_IDENTITY_SERVICE,
        conditions={
            "StringEquals": {"aws:SourceAccount": account},
            "ArnEquals": {"aws:SourceArn": cluster_arn},
        },
    ).with_session_tags()


def attach_policy(
    scope: Construct,
    construct_id: str,
    role: iam.IRole,
    description: str,
    statements: Sequence[iam.PolicyStatement],
) -> iam.ManagedPolicy:
    """A customer-managed policy for one role (no inline policies: NIST AC-6 / HIPAA
    packs want policies that can be reviewed and attached on their own)."""
    return iam.ManagedPolicy(
        scope, construct_id, description=description, statements=list(statements), roles=[role]
    )


@dataclass(frozen=True)
class WorkloadIdentityProps:
    cluster: eks.ICluster
    namespace: str
    service_account: str
    description: str
    # Secrets the workload reads (full ARNs, or ARN patterns ending in "-??????").
    secret_arns: Sequence[str] = field(default_factory=tuple)
    # The key the secrets are encrypted with: decrypt only through Secrets Manager.
    secrets_key: kms.IKey | None = None


class WorkloadIdentity(Construct):
    """The role, its least-privilege policy and the Pod Identity association."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: WorkloadIdentityProps
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        if props.secret_arns and props.secrets_key is None:
            raise ValueError(f"{props.service_account}: secrets need the key that decrypts them")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=pod_identity_principal(stack.account, props.cluster.cluster_arn),
            description=props.description,
        )
        statements = []
        if props.secret_arns:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadItsSecrets",
                    actions=list(SECRET_READ_ACTIONS),
                    resources=list(props.secret_arns),
                )
            )
        if props.secrets_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="DecryptThroughSecretsManager",
                    actions=["kms:Decrypt"],
                    resources=[props.secrets_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"
                        }
                    },
                )
            )
        if statements:
            attach_policy(self, "Policy", self.role, props.description, statements)
        self.association = eks.CfnPodIdentityAssociation(
            self,
            "Association",
            cluster_name=props.cluster.cluster_name,
            namespace=props.namespace,
            service_account=props.service_account,
            role_arn=self.role.role_arn,
        )
