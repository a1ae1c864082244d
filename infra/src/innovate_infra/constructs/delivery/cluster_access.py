"""The deployer role's way into an environment's EKS cluster: an access entry that maps
it to the deployer Kubernetes group, whose Role allows only the API's release in the
application namespace (``constructs/eks/namespaces.py::deployer_rbac``).

It lives with the role, in the delivery stacks: EKS refuses an access entry for a
principal that does not exist yet, and the environments deploy before delivery
(docs/delivery.md, "First deployment"). The cluster is named, not referenced (another
stage)."""

from __future__ import annotations

from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct


def grant_cluster_access(
    scope: Construct, construct_id: str, *, cluster_name: str, role: iam.IRole, group: str
) -> eks.CfnAccessEntry:
    entry = eks.CfnAccessEntry(
        scope,
        construct_id,
        cluster_name=cluster_name,
        principal_arn=role.role_arn,
        type="STANDARD",
        # No EKS access policy: the group's RBAC is the whole grant.
        kubernetes_groups=[group],
    )
    entry.node.add_dependency(role)
    return entry
