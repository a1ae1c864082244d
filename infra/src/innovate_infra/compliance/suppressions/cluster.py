"""Suppressions of the cluster stacks (``ClusterStack`` of every environment), each
with its reason. Collected by ``suppressions/__init__.py``.

The wildcard-resource findings (AwsSolutions-IAM5) are listed from the same statement
builders the constructs use, so an acknowledgment names exactly the ARN patterns the
policies contain and a new wildcard fails the synth until it is reasoned here.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import AWS, MANAGED, both
from innovate_infra.constructs.eks import lbc_policy
from innovate_infra.constructs.eks.cluster import EksCluster
from innovate_infra.constructs.eks.karpenter import controller_statements
from innovate_infra.constructs.eks.node_group import NODE_MANAGED_POLICIES
from innovate_infra.naming import Naming
from innovate_infra.stacks.environment.cluster import ClusterStack

_EKS = f"{ClusterStack.CLUSTER_ID}/{EksCluster.CLUSTER_ID}"
_PROVIDER = f"{_EKS}/KubectlProvider"

CLUSTER_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(ClusterStack,),
    path=f"{_EKS}/Role/Resource",
    description="the EKS cluster (control plane) service role",
)
PROVIDER_FUNCTIONS = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    stacks=(ClusterStack,),
    path=f"{_PROVIDER}/(Handler|Provider/framework-onEvent)/Resource",
    description="the kubectl provider's handler and its custom-resource framework function",
)
PROVIDER_ROLES = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(ClusterStack,),
    path=f"{_PROVIDER}/(Handler|Provider/framework-onEvent)/ServiceRole/Resource",
    description="the service roles of the kubectl provider's two functions",
)
PROVIDER_POLICIES = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(ClusterStack,),
    path=f"{_PROVIDER}/(Handler|Provider/framework-onEvent)/ServiceRole/DefaultPolicy/Resource",
    description="the inline policies CDK gives the kubectl provider's two functions",
)
NODE_ROLES = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(ClusterStack,),
    path=f"(SystemNodes|{ClusterStack.KARPENTER_ID})/NodeRole/Resource",
    description="the instance roles of the system node group and of Karpenter's nodes",
)
EBS_CSI_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(ClusterStack,),
    path="ManagedAddons/EbsCsiRole/Resource",
    description="the EBS CSI driver's Pod Identity role",
)
KARPENTER_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(ClusterStack,),
    path=f"{ClusterStack.KARPENTER_ID}/ControllerPolicy/Resource",
    description="the Karpenter controller's policy",
)
LBC_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(ClusterStack,),
    path=f"{ClusterStack.HELM_ADDONS_ID}/LoadBalancerControllerPolicy/Resource",
    description="the AWS Load Balancer Controller's policy",
)
INTERRUPTION_QUEUE = ResourceMatcher(
    cfn_type="AWS::SQS::Queue",
    stacks=(ClusterStack,),
    path=f"{ClusterStack.KARPENTER_ID}/InterruptionQueue/Resource",
    description="Karpenter's interruption queue",
)
GRAFANA_SECRET = ResourceMatcher(
    cfn_type="AWS::SecretsManager::Secret",
    stacks=(ClusterStack,),
    path=f"{ClusterStack.HELM_ADDONS_ID}/GrafanaAdminPassword/Resource",
    description="Grafana's generated admin password",
)
API_SIGNING_KEY = ResourceMatcher(
    cfn_type="AWS::SecretsManager::Secret",
    stacks=(ClusterStack,),
    path=f"{ClusterStack.API_SIGNING_KEY_ID}/Resource",
    description="the API's generated token signing key",
)

_PROVIDER_CONTEXT = (
    "The kubectl provider is CDK's (aws_eks_v2): two Lambda functions in the private subnets "
    "that CloudFormation invokes only while the cluster stack deploys, to apply the namespaces, "
    "network policies, Karpenter objects and Helm charts. They hold no data and serve no "
    "traffic. "
)
_ECR_PUBLIC = (
    '{"Fn::If":["EksClusterKubectlProviderHandlerHasEcrPublicC426D1A5",{"Fn::Join":["",'
    '["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"'
    ']]},{"Ref":"AWS::NoValue"}]}'
)

ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=(AWS + "IAM4[" + MANAGED + "AmazonEKSClusterPolicy]",),
        matcher=CLUSTER_ROLE,
        reason="AmazonEKSClusterPolicy is the policy EKS documents for the cluster service role "
        "(EKS user guide, 'Amazon EKS cluster IAM role'); AWS maintains it as the control plane "
        "gains features. The role is trusted by eks.amazonaws.com only.",
    ),
    NagAcknowledgment(
        rule_ids=(
            AWS + "IAM4[" + MANAGED + "service-role/AWSLambdaBasicExecutionRole]",
            AWS + "IAM4[" + MANAGED + "service-role/AWSLambdaVPCAccessExecutionRole]",
            AWS + "IAM4[" + MANAGED + "AmazonEC2ContainerRegistryReadOnly]",
            AWS + "IAM4[Policy::" + _ECR_PUBLIC + "]",
        ),
        matcher=PROVIDER_ROLES,
        reason=_PROVIDER_CONTEXT + "CDK attaches these: basic execution (its own log stream), "
        "VPC access (its network interfaces in the private subnets) and ECR read-only (OCI Helm "
        "charts in ECR; the public-ECR one only in regions without ECR Public). Its Kubernetes "
        "rights are its cluster-admin access entry, its AWS rights eks:DescribeCluster.",
    ),
    NagAcknowledgment(
        rule_ids=(
            AWS + "IAM5[Resource::<EksClusterKubectlProviderHandlerDA75FB7A.Arn>:*]",
            *both("IAMNoInlinePolicy"),
        ),
        matcher=PROVIDER_POLICIES,
        reason=_PROVIDER_CONTEXT + "The framework function may invoke the handler function and "
        "its versions (the ':*' suffix is the version qualifier of that one function); CDK "
        "generates these inline policies with the functions and nothing else can attach them.",
    ),
    NagAcknowledgment(
        rule_ids=(
            AWS + "L1",
            *both("LambdaConcurrency"),
            *both("LambdaDLQ"),
        ),
        matcher=PROVIDER_FUNCTIONS,
        reason=_PROVIDER_CONTEXT + "Their runtime is the one CDK ships the handler for (Python "
        "3.13, supported by Lambda); CloudFormation invokes them synchronously and rolls back on "
        "failure, so a dead-letter queue would never receive events, and deployments are "
        "serial, so reserved concurrency has nothing to protect.",
    ),
    NagAcknowledgment(
        rule_ids=tuple(AWS + "IAM4[" + MANAGED + name + "]" for name in NODE_MANAGED_POLICIES),
        matcher=NODE_ROLES,
        reason="The node instance roles carry exactly the AWS-managed policies EKS and Karpenter "
        "document for worker nodes (EKS user guide 'Amazon EKS node IAM role'; Karpenter's "
        "CloudFormation template): AmazonEKSWorkerNodePolicy (join the cluster), "
        "AmazonEKS_CNI_Policy (pod networking), AmazonEC2ContainerRegistryPullOnly (pull images, "
        "no push) and AmazonSSMManagedInstanceCore (Session Manager access instead of SSH). AWS "
        "keeps them current with the node agents. Pods cannot use these roles: IMDSv2 with hop "
        "limit 1.",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "IAM4[" + MANAGED + "service-role/AmazonEBSCSIDriverPolicy]",),
        matcher=EBS_CSI_ROLE,
        reason="AmazonEBSCSIDriverPolicy is the policy the EBS CSI driver add-on documents; it is "
        "scoped by the ebs.csi.aws.com tags the driver puts on the volumes and snapshots it "
        "creates. The role is assumable only by EKS Pod Identity for this cluster, for the "
        "driver's controller service account; the data-key rights are a separate, via-EC2-only "
        "customer-managed policy.",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "SQS3",),
        matcher=INTERRUPTION_QUEUE,
        reason="Karpenter's interruption queue carries EC2/Health notices that are worthless after "
        "a few minutes (retention 5 minutes, as Karpenter's template sets it). A message Karpenter "
        "cannot handle is not worth keeping in a dead-letter queue: the node it concerns is gone "
        "by then. Encrypted (SQS-managed SSE) and TLS-only.",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "SMG4", *both("SecretsManagerRotationEnabled")),
        matcher=GRAFANA_SECRET,
        reason="Grafana's admin password is generated by Secrets Manager and encrypted with the "
        "secrets key; Grafana reads it at every start (no persistent Grafana database), so "
        "rotation is a new secret value plus a rollout restart, done by the platform engineers "
        "(docs/infrastructure.md). A rotation Lambda would need a network path and rights into "
        "Grafana for no gain. Day-to-day sign-in is not this account.",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "SMG4", *both("SecretsManagerRotationEnabled")),
        matcher=API_SIGNING_KEY,
        reason="The API's token signing key is generated by Secrets Manager, encrypted with the "
        "secrets key and readable only by the API's and the migration Job's Pod Identity roles. "
        "The API reads it once at start (services/api security.py): a new value signs every "
        "user out (tokens live 15 minutes), so rotation is deliberate, a new secret value "
        "followed by a Rollout restart (docs/api.md), never a Lambda that cannot restart pods.",
    ),
)


def _wildcards(statements: list[iam.PolicyStatement]) -> tuple[str, ...]:
    found: list[str] = []
    for statement in statements:
        for resource in statement.resources:
            if "*" in resource and resource not in found:
                found.append(resource)
    return tuple(AWS + f"IAM5[Resource::{resource}]" for resource in found)


def _environment_acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    karpenter_ids: list[str] = []
    lbc_ids: list[str] = []
    for environment, account, region in naming.environment_targets:
        karpenter_ids += _wildcards(
            controller_statements(
                cluster_name=naming.cluster_name(environment),
                cluster_arn="<cluster>",
                region=region,
                account=account,
                node_role_arn="<node-role>",
                queue_arn="<queue>",
                volume_key_arn="<key>",
            )
        )
        lbc_ids += _wildcards(lbc_policy.statements(account, region))
    return (
        NagAcknowledgment(
            rule_ids=tuple(dict.fromkeys(karpenter_ids)),
            matcher=KARPENTER_POLICY,
            reason="Karpenter's controller policy as Karpenter publishes it for this release "
            "(constructs/eks/karpenter.py): it launches, tags and terminates instances whose ids "
            "do not exist before the call, so launches are bound by request tags "
            "(kubernetes.io/cluster/<name>=owned, eks:eks-cluster-name, karpenter.sh/nodepool) "
            "and deletions by resource tags; images and snapshots are AWS-owned AMIs; "
            "EC2 Describe* (no resource-level permissions) is limited to the region; SSM reads "
            "only AWS's public /aws/service parameters. No IAM rights: the instance profile is "
            "pre-created.",
        ),
        NagAcknowledgment(
            rule_ids=tuple(dict.fromkeys(lbc_ids)),
            matcher=LBC_POLICY,
            reason="The AWS Load Balancer Controller's published policy (v3.5.0), narrowed to this "
            "account and region and without WAF, Shield and Cognito: it creates load balancers, "
            "target groups, listeners and security groups whose ARNs do not exist before the "
            "call, so creation is bound by the elbv2.k8s.aws/cluster request tag and changes by "
            "the resource tag; Describe* and ACM reads have no resource-level permissions; the "
            "service-linked role is limited by iam:AWSServiceName.",
        ),
    )


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    return (*ACKNOWLEDGMENTS, *_environment_acknowledgments(naming))


CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip(
        "CKV_AWS_115",
        PROVIDER_FUNCTIONS,
        _PROVIDER_CONTEXT + "Reserved concurrency has nothing to protect: CloudFormation invokes "
        "them only during a deployment of this stack, and deployments are serial.",
    ),
    CheckovSkip(
        "CKV_AWS_116",
        PROVIDER_FUNCTIONS,
        _PROVIDER_CONTEXT + "CloudFormation invokes them synchronously, records any failure and "
        "rolls the deployment back; a dead-letter queue would never receive an event.",
    ),
    CheckovSkip(
        "CKV_AWS_173",
        PROVIDER_FUNCTIONS,
        _PROVIDER_CONTEXT + "Their environment variables are CDK's settings (paths, the STS "
        "regional endpoint switch), no secret; Lambda encrypts them at rest with its service key. "
        "aws_eks_v2's provider options offer no key for them.",
    ),
    CheckovSkip(
        "CKV_AWS_27",
        INTERRUPTION_QUEUE,
        "The queue is encrypted at rest with SQS-managed server-side encryption (SSE-SQS, "
        "SqsManagedSseEnabled, as Karpenter's own template sets it), which this check does not "
        "recognise. A customer-managed key would have to admit EventBridge's service principal "
        "in its key policy for five-minute-lived EC2/Health notices that carry no customer data; "
        "the queue also refuses non-TLS requests.",
    ),
)


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return CHECKOV_SKIPS
