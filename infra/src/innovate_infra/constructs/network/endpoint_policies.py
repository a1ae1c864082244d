"""VPC endpoint policies: the network side of the data perimeter.

Every endpoint of the environment VPC admits only requests by this organization's
principals to this organization's resources (``aws:PrincipalOrgID`` and
``aws:ResourceOrgID``), plus AWS service principals acting on their own behalf, plus
the exceptions AWS documents for resources AWS owns (aws-samples
``data-perimeter-policy-examples``, ``vpc_endpoint_policies/`` and
``service_owned_resources.md``):

* S3: the ECR layer bucket (``prod-<region>-starport-layer-bucket``, reached through a
  pre-signed URL that an ECR account signs), the Amazon Linux 2 / 2023 package
  repositories, the SSM Agent and CloudWatch agent buckets (``s3:GetObject`` only), and
  CloudFormation's custom-resource response and wait-condition buckets (the pre-signed
  ``s3:PutObject`` a custom resource in the VPC answers CloudFormation with);
* STS: ``AssumeRoleWithWebIdentity`` by federated (OIDC, i.e. EKS pod) identities into
  this organization's roles;
* ECR: image pulls by this organization's principals from AWS-owned repositories (EKS
  add-on images), conditioned on the principal only;
* EC2: describe calls (no resource, so no resource organization) and launches from
  AWS-owned AMIs and snapshots (Bottlerocket, the EKS-optimized AMIs), by this
  organization's principals;
* SSM: the public parameters AWS publishes (``/aws/service/*``: AMI ids Karpenter and
  node groups resolve), and the calls of the SSM Agent that name no resource, by this
  organization's principals; SSM messages and EC2 messages (Session Manager's
  channels, which have no resource types) likewise;
* Elastic Load Balancing: describe calls by this organization's principals.

Anything not listed, e.g. a principal of this organization writing to a bucket of
another organization, is refused at the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_iam as iam

# Third-party buckets the egress allow-list depends on, served through the S3 gateway
# endpoint because they live in the region: registry.k8s.io redirects AWS clients to
# an in-region S3 bucket for image layers. Read-only.
THIRD_PARTY_READ_BUCKETS = ("prod-registry-k8s-io-{region}",)


def aws_owned_read_buckets(region: str) -> list[str]:
    """Buckets AWS owns that instances and pods read from (``s3:GetObject``)."""
    names = [
        f"prod-{region}-starport-layer-bucket",
        # Amazon Linux 2 and Amazon Linux 2023 repositories.
        f"packages.{region}.amazonaws.com",
        f"repo.{region}.amazonaws.com",
        f"amazonlinux.{region}.amazonaws.com",
        f"amazonlinux-2-repos-{region}",
        f"al2023-{region}",
        f"al2023-repos-{region}-de612dc2",
        # SSM Agent and its documents, patches and distributor packages.
        f"aws-ssm-{region}",
        f"aws-windows-downloads-{region}",
        f"amazon-ssm-{region}",
        f"amazon-ssm-packages-{region}",
        f"{region}-birdwatcher-prod",
        f"aws-ssm-distributor-file-{region}",
        f"aws-ssm-document-attachments-{region}",
        f"patch-baseline-snapshot-{region}",
        # CloudWatch agent.
        f"amazoncloudwatch-agent-{region}",
        "amazoncloudwatch-agent",
        *(name.format(region=region) for name in THIRD_PARTY_READ_BUCKETS),
    ]
    return [f"arn:aws:s3:::{name}/*" for name in names]


def cloudformation_response_buckets(region: str) -> list[str]:
    """Where a custom resource or wait condition in the VPC answers CloudFormation."""
    return [
        f"arn:aws:s3:::cloudformation-custom-resource-response-{region.replace('-', '')}/*",
        f"arn:aws:s3:::cloudformation-waitcondition-{region}/*",
    ]


def _organization_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="OrganizationPrincipalsToOrganizationResources",
            principals=[iam.StarPrincipal()],
            actions=["*"],
            resources=["*"],
            conditions={
                "StringEquals": {
                    "aws:PrincipalOrgID": organization_id,
                    "aws:ResourceOrgID": organization_id,
                }
            },
        ),
        iam.PolicyStatement(
            sid="AwsServicePrincipals",
            principals=[iam.StarPrincipal()],
            actions=["*"],
            resources=["*"],
            conditions={"Bool": {"aws:PrincipalIsAWSService": "true"}},
        ),
    ]


def default_statements(organization_id: str) -> list[iam.PolicyStatement]:
    """KMS, CloudWatch Logs, Secrets Manager and any interface endpoint without exceptions."""
    return _organization_statements(organization_id)


def s3_statements(organization_id: str, region: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        iam.PolicyStatement(
            sid="ReadAwsOwnedBuckets",
            principals=[iam.StarPrincipal()],
            actions=["s3:GetObject"],
            resources=aws_owned_read_buckets(region),
        ),
        iam.PolicyStatement(
            sid="AnswerCloudFormation",
            principals=[iam.StarPrincipal()],
            actions=["s3:PutObject"],
            resources=cloudformation_response_buckets(region),
        ),
    ]


def sts_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        iam.PolicyStatement(
            sid="FederatedIdentitiesIntoOrganizationRoles",
            principals=[iam.FederatedPrincipal("*")],
            actions=["sts:AssumeRoleWithWebIdentity"],
            resources=["*"],
            conditions={"StringEquals": {"aws:ResourceOrgID": organization_id}},
        ),
    ]


def _principal_bound(
    sid: str, organization_id: str, actions: list[str], resources: list[str]
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.StarPrincipal()],
        actions=actions,
        resources=resources,
        conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
    )


# EC2 calls that name no resource of ours: describes, and launches from AWS-owned images.
EC2_PRINCIPAL_BOUND_ACTIONS = ("ec2:Describe*", "ec2:RunInstances", "ec2:CreateFleet")
# The SSM Agent's calls (AmazonSSMManagedInstanceCore) that name no resource.
SSM_AGENT_ACTIONS = (
    "ssm:DescribeAssociation",
    "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:GetManifest",
    "ssm:ListAssociations",
    "ssm:ListInstanceAssociations",
    "ssm:PutInventory",
    "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult",
    "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:UpdateInstanceInformation",
)


def ec2_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        _principal_bound(
            "OrganizationPrincipalsDescribeAndLaunchFromAwsImages",
            organization_id,
            list(EC2_PRINCIPAL_BOUND_ACTIONS),
            ["*"],
        ),
    ]


def ssm_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        _principal_bound(
            "OrganizationPrincipalsReadAwsPublicParameters",
            organization_id,
            ["ssm:GetParameter", "ssm:GetParameters"],
            ["arn:aws:ssm:*::parameter/aws/service/*"],
        ),
        _principal_bound(
            "OrganizationNodesRunTheSsmAgent", organization_id, list(SSM_AGENT_ACTIONS), ["*"]
        ),
    ]


def session_channel_statements(service: str) -> Callable[[str], list[iam.PolicyStatement]]:
    """Session Manager's channels (``ssmmessages``, ``ec2messages``) have no resource
    types: this organization's principals may use them, nobody else."""

    def statements(organization_id: str) -> list[iam.PolicyStatement]:
        return [
            _principal_bound(
                "OrganizationPrincipalsOpenSessionChannels",
                organization_id,
                [f"{service}:*"],
                ["*"],
            ),
            *_organization_statements(organization_id)[1:],
        ]

    return statements


def elb_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        _principal_bound(
            "OrganizationPrincipalsDescribe",
            organization_id,
            ["elasticloadbalancing:Describe*"],
            ["*"],
        ),
    ]


# What pulling an image needs from ECR (API and Docker endpoints).
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "ecr:GetDownloadUrlForLayer",
)


def ecr_statements(organization_id: str) -> list[iam.PolicyStatement]:
    return [
        *_organization_statements(organization_id),
        iam.PolicyStatement(
            sid="OrganizationPrincipalsPullAwsOwnedImages",
            principals=[iam.StarPrincipal()],
            actions=list(ECR_PULL_ACTIONS),
            resources=["*"],
            conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
        ),
    ]
