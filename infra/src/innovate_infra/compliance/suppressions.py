"""Every suppression of the estate, with its reason, in one module.

The policy gates block on any finding that is not suppressed here:

* cdk-nag (AwsSolutions, NIST 800-53 rev 5, HIPAA Security) runs inside the synth;
  a ``NagAcknowledgment`` names the exact rule ids (``<pack>::<rule>[<finding>]``),
  the resources it covers and a reason an auditor can check. ``checks.py`` applies
  them as ``Validations.of(node).acknowledge(...)``; ``gates.py nag`` refuses any
  acknowledgment whose reason is not declared here.
* checkov (cloudformation): a ``CheckovSkip`` is written into the matched resources'
  CloudFormation Metadata (``checkov: skip: [{id, comment}]``), which checkov honours;
  ``gates.py checkov`` refuses any skip that is not declared here.

Resources are selected by CloudFormation type and construct path (``ResourceMatcher``),
so the same registry covers the environment stages and the account stacks. Keep the
lists short: fix the resource instead whenever the rule can be met. Every entry must
match a synthesized resource (``tests/unit/test_estate.py``,
``tests/accounts/test_stacks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from innovate_infra.compliance.matching import ResourceMatcher


@dataclass(frozen=True)
class NagAcknowledgment:
    rule_ids: tuple[str, ...]
    matcher: ResourceMatcher
    reason: str


@dataclass(frozen=True)
class CheckovSkip:
    check_id: str
    matcher: ResourceMatcher
    reason: str


AWS = "AwsSolutions::AwsSolutions-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
HIPAA = "HIPAA.Security::HIPAA.Security-"
MANAGED = "Policy::arn:<AWS::Partition>:iam::aws:policy/"


def _both(rule: str) -> tuple[str, str]:
    """The same rule in the NIST 800-53 rev 5 and HIPAA Security packs."""
    return (NIST + rule, HIPAA + rule)


# =============================================================================
# Environment stacks (stages dev, staging, prod: Keys, Logging, Network)
# =============================================================================

PUBLIC_SUBNET_DEFAULT_ROUTE = ResourceMatcher(
    cfn_type="AWS::EC2::Route",
    path_pattern=r"/Network/Vpc/publicSubnet\d+/DefaultRoute$",
    description="default route (0.0.0.0/0 -> internet gateway) of each VPC public subnet",
)

ENVIRONMENT_ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=_both("VPCNoUnrestrictedRouteToIGW"),
        matcher=PUBLIC_SUBNET_DEFAULT_ROUTE,
        reason=(
            "Public subnets exist only to hold the NAT gateways (and later internet-facing edge "
            "pieces that a later issue must justify). A NAT gateway needs a 0.0.0.0/0 route to "
            "the internet gateway to work. Workloads never run there: private subnets route "
            "0.0.0.0/0 to the Network Firewall endpoint (staging, prod) or the NAT gateway (dev), "
            "isolated subnets have no internet route, public subnets do not assign public IPs "
            "(MapPublicIpOnLaunch false), and egress is filtered by the domain allow-list. "
            "Asserted by tests/unit/test_network.py."
        ),
    ),
)

# CDK's own deploy-time handler that removes the rules of each VPC's default security
# group (Vpc(restrict_default_security_group=True)); CDK ships it pre-bundled.
RESTRICT_DEFAULT_SG_HANDLER = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    path_pattern=r"/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$",
    description="CDK's custom-resource handler that strips the VPC default security group",
)

_HANDLER_CONTEXT = (
    "CDK-managed custom-resource handler that CloudFormation invokes only while a stack "
    "deploys, to remove every rule from the VPC's default security group (the control that "
    "NIST SC-7 / CKV2_AWS_12 ask for). It holds no data and serves no traffic. "
)

ENVIRONMENT_CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip(
        "CKV_AWS_115",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "Reserved concurrency is pointless: it runs once per deployment, "
        "serially, driven by CloudFormation.",
    ),
    CheckovSkip(
        "CKV_AWS_116",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "It is invoked synchronously by CloudFormation, which records any "
        "failure and rolls the deployment back; a dead-letter queue would never receive events.",
    ),
    CheckovSkip(
        "CKV_AWS_117",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "It only calls the EC2 API and must run before the VPC it fixes is "
        "usable, so it cannot itself be placed in that VPC.",
    ),
)


# =============================================================================
# Account stacks (management and security/logs accounts: Innovate-Management-*,
# Innovate-Security-*)
# =============================================================================

# Construct id of the singleton provider function AwsCustomResource adds to a stack.
PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"

PROVIDER_FUNCTION = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    path_pattern=rf"^Innovate-(Management|Security)-[A-Za-z]+/{PROVIDER_ID}/Resource$",
    description="CDK AwsCustomResource provider Lambda of the accounts stacks",
)
PROVIDER_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    path_pattern=rf"^Innovate-(Management|Security)-[A-Za-z]+/{PROVIDER_ID}/ServiceRole/Resource$",
    description="execution role of the AwsCustomResource provider Lambda",
)
PROVIDER_LOG_GROUP = ResourceMatcher(
    cfn_type="AWS::Logs::LogGroup",
    path_pattern=rf"^Innovate-(Management|Security)-[A-Za-z]+/{PROVIDER_ID}/LogGroup/Resource$",
    description="log group of the AwsCustomResource provider Lambda",
)
CALL_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    path_pattern=r"^Innovate-(Management|Security)-[A-Za-z]+/.+/Call/CustomResourcePolicy/Resource$",
    description="least-privilege statements of one organization API call (AwsCustomResource)",
)
UNSCOPED_WRITE_CALL_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    path_pattern=(
        r"^Innovate-Management-SecurityServices/Delegations/(Trust-stacksets|Delegate-guardduty)"
        r"/Call/CustomResourcePolicy/Resource$"
    ),
    description="policies of the StackSets trusted-access and GuardDuty delegation calls",
)
GUARDDUTY_ORG_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    path_pattern=r"^Innovate-Security-Organization/.+/GuardDutyOrgConfigRole/Resource$",
    description="role of the GuardDuty organization-configuration call",
)
ACCESS_LOG_BUCKET = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    path_pattern=r"^Innovate-Security-LogArchive/LogArchive/AccessLogs/Resource$",
    description="server-access-log bucket of the log archive",
)
ARCHIVE_BUCKETS = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    path_pattern=r"^Innovate-Security-LogArchive/LogArchive/(Cloudtrail|Flowlogs|Alb|WafApi|Config)/Resource$",
    description="Object-Locked log archive buckets",
)
ALB_BUCKET = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    path_pattern=r"^Innovate-Security-LogArchive/LogArchive/Alb/Resource$",
    description="load balancer access-log archive bucket",
)
ARCHIVE_KEY = ResourceMatcher(
    cfn_type="AWS::KMS::Key",
    path_pattern=r"^Innovate-Security-LogArchive/LogArchive/Key/Resource$",
    description="log archive KMS key",
)
TRAIL_ROLE_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    path_pattern=(
        r"^Innovate-Management-SecurityServices/OrganizationTrail/CloudWatchLogsRole"
        r"/DefaultPolicy/Resource$"
    ),
    description="organization trail's CloudWatch Logs delivery policy",
)
AWS_SERVICE_POLICY_ROLES = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    path_pattern=(
        r"^Innovate-Security-(Detection|Organization|SecurityLake)/.+/"
        r"(ConfigRecorderRole|ConfigAggregatorRole|MetaStoreManagerRole)/Resource$"
    ),
    description="AWS Config recorder and aggregator roles, Security Lake meta-store role",
)

TRAIL_LOG_STREAMS = (
    "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
    "/innovate/cloudtrail/innovate-organization-trail:log-stream:*"
)

_PROVIDER = (
    "CDK's AwsCustomResource provider (shipped inside aws-cdk-lib) makes one-time AWS "
    "Organizations, GuardDuty, Security Lake and CloudFormation control-plane calls while a "
    "stack deploys; it holds no data and serves no traffic. "
)
_SINGLE_REGION = (
    "The platform is single-region by design (seed: single-region VPC). Archived logs are "
    "protected by versioning, Object Lock, a deny-delete bucket policy and the SCPs; "
    "cross-region replication is a recorded follow-up in docs/accounts.md."
)
_ACCESS_LOGS = (
    "This bucket is the S3 server-access-log destination of the log archive: logging it to "
    "itself would loop. It is versioned, deny-delete, blocks public access and is readable only "
    "inside the security/logs account."
)
_SSE_S3_ONLY = (
    "The delivering service supports only SSE-S3 (AES-256) on the destination bucket (S3 server "
    "access logging; Elastic Load Balancing access logs). The bucket is still encrypted at rest, "
    "TLS-only, deny-delete and, for the ALB archive, Object-Locked."
)

_PROVIDER_LOGS = (
    _PROVIDER + "Its log group holds only the request and response metadata of those "
    "control-plane calls (no workload or personal data) and is encrypted at rest by CloudWatch "
    "Logs with service-owned keys; a customer-managed key per account would add cost without "
    "protecting anything sensitive."
)

ACCOUNT_ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=(
            *_both("LambdaConcurrency"),
            *_both("LambdaDLQ"),
            *_both("LambdaInsideVPC"),
        ),
        matcher=PROVIDER_FUNCTION,
        reason=_PROVIDER + "CloudFormation invokes it synchronously and rolls back on failure "
        "(no DLQ), it needs no reserved concurrency, and it calls only public AWS APIs (no VPC "
        "data path).",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "IAM4[" + MANAGED + "service-role/AWSLambdaBasicExecutionRole]",),
        matcher=PROVIDER_ROLE,
        reason=_PROVIDER + "AWSLambdaBasicExecutionRole only lets it write its own CloudWatch "
        "log stream; its API rights are the explicit per-call statements.",
    ),
    NagAcknowledgment(
        rule_ids=_both("CloudWatchLogGroupEncrypted"),
        matcher=PROVIDER_LOG_GROUP,
        reason=_PROVIDER_LOGS,
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "IAM5[Resource::*]", *_both("IAMNoInlinePolicy")),
        matcher=CALL_POLICY,
        reason="Each organization API call carries its own statements as an inline policy so the "
        "grant lives and dies with the call and cannot be attached elsewhere. Resource '*' "
        "appears only for actions without resource-level permissions "
        "(organizations:Describe*/List*/EnableAWSServiceAccess, "
        "guardduty:EnableOrganizationAdminAccount, cloudformation:ActivateOrganizationsAccess, "
        "securitylake:RegisterDataLakeDelegatedAdministrator) and iam:CreateServiceLinkedRole "
        "limited by iam:AWSServiceName; scoped actions name the root, account or detector ARN.",
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "IAM4[" + MANAGED + "service-role/AWSLambdaBasicExecutionRole]",),
        matcher=GUARDDUTY_ORG_ROLE,
        reason="The GuardDuty organization-configuration call runs in CDK's provider Lambda; "
        "AWSLambdaBasicExecutionRole only lets it write its own log stream, and its one write "
        "action is scoped to this account's detector.",
    ),
    NagAcknowledgment(
        rule_ids=_both("S3DefaultEncryptionKMS"),
        matcher=ACCESS_LOG_BUCKET,
        reason=_SSE_S3_ONLY,
    ),
    NagAcknowledgment(
        rule_ids=_both("S3DefaultEncryptionKMS"),
        matcher=ALB_BUCKET,
        reason=_SSE_S3_ONLY,
    ),
    NagAcknowledgment(
        rule_ids=_both("S3BucketReplicationEnabled"),
        matcher=ARCHIVE_BUCKETS,
        reason=_SINGLE_REGION,
    ),
    NagAcknowledgment(
        rule_ids=_both("S3BucketReplicationEnabled"),
        matcher=ACCESS_LOG_BUCKET,
        reason=_SINGLE_REGION,
    ),
    NagAcknowledgment(
        rule_ids=(AWS + f"IAM5[Resource::{TRAIL_LOG_STREAMS}]", *_both("IAMNoInlinePolicy")),
        matcher=TRAIL_ROLE_POLICY,
        reason="An organization trail writes one log stream per account and region, named by "
        "CloudTrail at run time; the grant is logs:CreateLogStream/PutLogEvents on the streams "
        "of this one log group, inline on its dedicated role so it cannot be reused.",
    ),
    NagAcknowledgment(
        rule_ids=(
            AWS + "IAM4[" + MANAGED + "service-role/AWS_ConfigRole]",
            AWS + "IAM4[" + MANAGED + "service-role/AWSConfigRoleForOrganizations]",
            AWS + "IAM4[" + MANAGED + "service-role/AmazonSecurityLakeMetastoreManager]",
        ),
        matcher=AWS_SERVICE_POLICY_ROLES,
        reason="AWS_ConfigRole (Config recorder), AWSConfigRoleForOrganizations (Config "
        "organization aggregator) and AmazonSecurityLakeMetastoreManager (Security Lake "
        "meta-store role, assumed only by the Security Lake Lambda that maintains partitions) "
        "are the AWS-maintained policies these services require; AWS extends them as the "
        "services add resource types, which a copied policy would miss.",
    ),
)

ACCOUNT_CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip(
        "CKV_AWS_115",
        PROVIDER_FUNCTION,
        _PROVIDER + "Reserved concurrency is pointless: CloudFormation invokes it once per change.",
    ),
    CheckovSkip(
        "CKV_AWS_116",
        PROVIDER_FUNCTION,
        _PROVIDER + "CloudFormation invokes it synchronously and rolls back on failure; a "
        "dead-letter queue would never receive an event.",
    ),
    CheckovSkip(
        "CKV_AWS_117",
        PROVIDER_FUNCTION,
        _PROVIDER + "It calls only public AWS control-plane APIs; a VPC would add NAT cost "
        "without reducing exposure.",
    ),
    CheckovSkip("CKV_AWS_158", PROVIDER_LOG_GROUP, _PROVIDER_LOGS),
    CheckovSkip(
        "CKV_AWS_111",
        UNSCOPED_WRITE_CALL_POLICY,
        "cloudformation:ActivateOrganizationsAccess, guardduty:EnableOrganizationAdminAccount "
        "and the Organizations calls they make support only Resource '*'; each runs once from "
        "the management account and names the security account explicitly.",
    ),
    CheckovSkip(
        "CKV_AWS_18",
        ACCESS_LOG_BUCKET,
        _ACCESS_LOGS,
    ),
    CheckovSkip(
        "CKV_AWS_33",
        ARCHIVE_KEY,
        "The only '*' principal statement is bounded by aws:PrincipalOrgID (this organization) "
        "and kms:ViaService (S3 in the home region): it lets the organization's Firehose delivery "
        "roles encrypt the objects they write to the archive, nothing else.",
    ),
)


# =============================================================================
# The two registries: the aspects (checks.py) apply them, the gates (gates.py)
# accept only the reasons declared in them
# =============================================================================

ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    *ENVIRONMENT_ACKNOWLEDGMENTS,
    *ACCOUNT_ACKNOWLEDGMENTS,
)
CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    *ENVIRONMENT_CHECKOV_SKIPS,
    *ACCOUNT_CHECKOV_SKIPS,
)
