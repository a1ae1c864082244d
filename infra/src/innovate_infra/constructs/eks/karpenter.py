"""Karpenter: the controller (Helm chart, Pod Identity), its node role and instance
profile, the interruption queue with its EventBridge rules, and the EC2NodeClass and
NodePools it provisions workload nodes from.

The controller policy follows the one Karpenter publishes for its release
(``website/content/en/<v>/getting-started/getting-started-with-karpenter/cloudformation.yaml``),
minus the instance-profile management statements: the node class names a profile
created here (``spec.instanceProfile``), so the controller never calls IAM (IAM has no
VPC endpoint; Karpenter's "Private Clusters" guide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from aws_cdk import Duration, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from innovate_infra.constructs.eks.node_group import SYSTEM_LABEL, SYSTEM_TAINT_KEY, node_role
from innovate_infra.constructs.eks.workload_identity import attach_policy, pod_identity_principal

CHART_REPOSITORY = "oci://public.ecr.aws/karpenter/karpenter"
CONTROLLER_IMAGE = "public.ecr.aws/karpenter/controller"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "default"
# Subnets Karpenter launches nodes in carry this tag with the cluster name as value.
SUBNET_DISCOVERY_TAG = "karpenter.sh/discovery"
# EKS tags the cluster security group it creates with the cluster name.
SECURITY_GROUP_DISCOVERY_TAG = "aws:eks:cluster-name"

# The interruption events Karpenter handles (its CloudFormation template, above).
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "ScheduledChangeRule": ("aws.health", "AWS Health Event"),
    "SpotInterruptionRule": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "RebalanceRule": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "InstanceStateChangeRule": ("aws.ec2", "EC2 Instance State-change Notification"),
}
EC2_DESCRIBE_ACTIONS = (
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribePlacementGroups",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSpotPriceHistory",
    "ec2:DescribeSubnets",
)


@dataclass(frozen=True)
class NodePoolSpec:
    name: str
    weight: int
    capacity_types: Sequence[str]
    cpu_limit: int
    memory_limit_gib: int


@dataclass(frozen=True)
class KarpenterProps:
    cluster: eks.ICluster
    cluster_name: str
    chart_version: str
    architectures: Sequence[str]
    instance_categories: Sequence[str]
    node_pools: Sequence[NodePoolSpec]
    consolidate_after_seconds: int
    volume_key: kms.IKey
    tags: Mapping[str, str]
    # Pod Identity needs the agent add-on before the controller starts.
    pod_identity_agent: eks.Addon


class Karpenter(Construct):
    CHART_ID: ClassVar[str] = "Chart"

    def __init__(self, scope: Construct, construct_id: str, *, props: KarpenterProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        name = props.cluster_name
        self.node_role = node_role(self, "NodeRole", "EKS nodes launched by Karpenter")
        self.instance_profile = iam.CfnInstanceProfile(
            self, "InstanceProfile", roles=[self.node_role.role_name]
        )
        # Nodes join the cluster through an EC2_LINUX access entry (no aws-auth).
        eks.AccessEntry(
            self,
            "NodeAccess",
            cluster=props.cluster,
            principal=self.node_role.role_arn,
            access_entry_type=eks.AccessEntryType.EC2_LINUX,
            access_policies=[],
        )
        self.queue = sqs.Queue(
            self,
            "InterruptionQueue",
            retention_period=Duration.minutes(5),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        for rule_id, (source, detail_type) in INTERRUPTION_EVENTS.items():
            events.Rule(
                self,
                rule_id,
                event_pattern=events.EventPattern(source=[source], detail_type=[detail_type]),
                targets=[targets.SqsQueue(self.queue)],
            )

        self.controller_role = iam.Role(
            self,
            "ControllerRole",
            assumed_by=pod_identity_principal(stack.account, props.cluster.cluster_arn),
            description="Karpenter controller (EKS Pod Identity)",
        )
        self.controller_policy = attach_policy(
            self,
            "ControllerPolicy",
            self.controller_role,
            "Karpenter controller: launch, tag and terminate its nodes, read interruptions",
            controller_statements(
                cluster_name=name,
                cluster_arn=props.cluster.cluster_arn,
                region=stack.region,
                account=stack.account,
                node_role_arn=self.node_role.role_arn,
                queue_arn=self.queue.queue_arn,
                volume_key_arn=props.volume_key.key_arn,
            ),
        )
        association = eks.CfnPodIdentityAssociation(
            self,
            "PodIdentity",
            cluster_name=props.cluster.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=self.controller_role.role_arn,
        )
        association.node.add_dependency(props.pod_identity_agent)

        self.chart = eks.HelmChart(
            self,
            self.CHART_ID,
            cluster=props.cluster,
            chart="karpenter",
            repository=CHART_REPOSITORY,
            version=props.chart_version,
            release="karpenter",
            namespace=NAMESPACE,
            create_namespace=False,
            wait=True,
            values=chart_values(name, self.queue.queue_name),
        )
        self.chart.node.add_dependency(association)
        self.chart.node.add_dependency(self.controller_policy)

        self.manifests = [
            node_class(
                cluster_name=name,
                instance_profile=self.instance_profile.ref,
                volume_key_arn=props.volume_key.key_arn,
                tags=props.tags,
            ),
            *(
                node_pool(
                    spec,
                    architectures=props.architectures,
                    instance_categories=props.instance_categories,
                    consolidate_after_seconds=props.consolidate_after_seconds,
                )
                for spec in props.node_pools
            ),
        ]
        for manifest in self.manifests:
            resource = eks.KubernetesManifest(
                self,
                f"{manifest['kind']}-{manifest['metadata']['name']}",
                cluster=props.cluster,
                manifest=[manifest],
            )
            # The CRDs come with the chart.
            resource.node.add_dependency(self.chart)


def chart_values(cluster_name: str, queue_name: str) -> dict[str, Any]:
    return {
        "settings": {
            "clusterName": cluster_name,
            "interruptionQueue": queue_name,
            # No internet-only AWS APIs (pricing): Karpenter uses its built-in price list.
            "isolatedVPC": True,
        },
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicas": 2,
        # Karpenter cannot run on nodes it manages: the system node group.
        "nodeSelector": dict(SYSTEM_LABEL),
        "tolerations": [{"key": SYSTEM_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "controller": {
            "image": {"repository": CONTROLLER_IMAGE},
            "resources": {
                "requests": {"cpu": "500m", "memory": "512Mi"},
                "limits": {"memory": "1Gi"},
            },
        },
    }


def node_class(
    *, cluster_name: str, instance_profile: str, volume_key_arn: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": NODE_CLASS},
        "spec": {
            "amiSelectorTerms": [{"alias": "bottlerocket@latest"}],
            "instanceProfile": instance_profile,
            "subnetSelectorTerms": [{"tags": {SUBNET_DISCOVERY_TAG: cluster_name}}],
            "securityGroupSelectorTerms": [{"tags": {SECURITY_GROUP_DISCOVERY_TAG: cluster_name}}],
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": device,
                    "ebs": {
                        "volumeSize": size,
                        "volumeType": "gp3",
                        "encrypted": True,
                        "kmsKeyID": volume_key_arn,
                        "deleteOnTermination": True,
                    },
                }
                # Bottlerocket: the OS volume and the data volume (images, pod storage).
                for device, size in (("/dev/xvda", "4Gi"), ("/dev/xvdb", "50Gi"))
            ],
            "tags": dict(tags),
        },
    }


def node_pool(
    spec: NodePoolSpec,
    *,
    architectures: Sequence[str],
    instance_categories: Sequence[str],
    consolidate_after_seconds: int,
) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": spec.name},
        "spec": {
            "weight": spec.weight,
            "template": {
                "metadata": {"labels": {"node-pool": spec.name}},
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": NODE_CLASS,
                    },
                    "requirements": [
                        {
                            "key": "kubernetes.io/arch",
                            "operator": "In",
                            "values": list(architectures),
                        },
                        {
                            "key": "karpenter.sh/capacity-type",
                            "operator": "In",
                            "values": list(spec.capacity_types),
                        },
                        {
                            "key": "karpenter.k8s.aws/instance-category",
                            "operator": "In",
                            "values": list(instance_categories),
                        },
                        {
                            "key": "karpenter.k8s.aws/instance-generation",
                            "operator": "Gt",
                            "values": ["5"],
                        },
                    ],
                    "expireAfter": "720h",
                },
            },
            "limits": {"cpu": str(spec.cpu_limit), "memory": f"{spec.memory_limit_gib}Gi"},
            "disruption": {
                "consolidationPolicy": "WhenEmptyOrUnderutilized",
                "consolidateAfter": f"{consolidate_after_seconds}s",
                "budgets": [{"nodes": "10%"}],
            },
        },
    }


def controller_statements(
    *,
    cluster_name: str,
    cluster_arn: str,
    region: str,
    account: str,
    node_role_arn: str,
    queue_arn: str,
    volume_key_arn: str,
) -> list[iam.PolicyStatement]:
    ec2 = f"arn:aws:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    tagged_nodepool = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    created = [
        f"{ec2}:*:{kind}/*"
        for kind in (
            "fleet",
            "instance",
            "volume",
            "network-interface",
            "launch-template",
            "spot-instances-request",
        )
    ]
    return [
        iam.PolicyStatement(
            sid="AllowScopedEC2InstanceAccessActions",
            actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:{account}:security-group/*",
                f"{ec2}:{account}:subnet/*",
                f"{ec2}:{account}:capacity-reservation/*",
                f"{ec2}:{account}:placement-group/*",
            ],
        ),
        iam.PolicyStatement(
            sid="AllowScopedEC2LaunchTemplateAccessActions",
            actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[f"{ec2}:{account}:launch-template/*"],
            conditions={"StringEquals": owned, "StringLike": tagged_nodepool},
        ),
        iam.PolicyStatement(
            sid="AllowScopedEC2InstanceActionsWithTags",
            actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            resources=created,
            conditions={
                "StringEquals": request_owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        iam.PolicyStatement(
            sid="AllowScopedResourceCreationTagging",
            actions=["ec2:CreateTags"],
            resources=created,
            conditions={
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        iam.PolicyStatement(
            sid="AllowScopedResourceTagging",
            actions=["ec2:CreateTags"],
            resources=[f"{ec2}:{account}:instance/*"],
            conditions={
                "StringEquals": owned,
                "StringLike": tagged_nodepool,
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        ),
        iam.PolicyStatement(
            sid="AllowScopedDeletion",
            actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            resources=[f"{ec2}:{account}:instance/*", f"{ec2}:{account}:launch-template/*"],
            conditions={"StringEquals": owned, "StringLike": tagged_nodepool},
        ),
        iam.PolicyStatement(
            sid="AllowPassingInstanceRole",
            actions=["iam:PassRole"],
            resources=[node_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="AllowAPIServerEndpointDiscovery",
            actions=["eks:DescribeCluster"],
            resources=[cluster_arn],
        ),
        iam.PolicyStatement(
            sid="AllowInterruptionQueueActions",
            actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            resources=[queue_arn],
        ),
        iam.PolicyStatement(
            sid="AllowRegionalReadActions",
            actions=list(EC2_DESCRIBE_ACTIONS),
            # EC2 Describe* calls support no resource-level permissions.
            resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        ),
        iam.PolicyStatement(
            sid="AllowSSMReadActions",
            actions=["ssm:GetParameter"],
            resources=[f"arn:aws:ssm:{region}::parameter/aws/service/*"],
        ),
        # Launching nodes whose volumes the data key encrypts (EBS asks on the caller's behalf).
        iam.PolicyStatement(
            sid="AllowEncryptedNodeVolumes",
            actions=[
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            resources=[volume_key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}},
        ),
    ]
