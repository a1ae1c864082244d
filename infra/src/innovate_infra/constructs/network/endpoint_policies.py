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
  add-on images), conditioned on the principal only.

Anything not listed, e.g. a principal of this organization writing to a bucket of
another organization, is refused at the endpoint.
"""

from __future__ import annotations

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
