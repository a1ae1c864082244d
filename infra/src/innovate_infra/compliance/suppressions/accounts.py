"""Suppressions of the account stacks (management and security/logs accounts), each with
its reason. Collected by ``suppressions/__init__.py``."""

from __future__ import annotations

from aws_cdk import Stack

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import AWS, MANAGED, both
from innovate_infra.constructs.detection.baseline import (
    CONFIG_RECORDER_POLICY_PATH,
    CONFIG_RECORDER_ROLE_ID,
)
from innovate_infra.constructs.detection.organization import (
    CONFIG_AGGREGATOR_ROLE_ID,
    GUARDDUTY_ROLE_ID,
)
from innovate_infra.constructs.logging.log_archive import (
    KMS_ENCRYPTED_PURPOSES,
    SSE_S3_PURPOSES,
    LogArchiveBuckets,
    bucket_id,
)
from innovate_infra.constructs.organization.api_call import OrganizationApiCall
from innovate_infra.constructs.organization.delegations import SecurityDelegations
from innovate_infra.constructs.security_lake.data_lake import META_STORE_ROLE_ID
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.audit import AuditDataStack, SecurityServicesStack
from innovate_infra.stacks.accounts.cost import CostStack
from innovate_infra.stacks.accounts.detection import DetectionStack, SecurityOrganizationStack
from innovate_infra.stacks.accounts.identity import IdentityStack
from innovate_infra.stacks.accounts.log_archive import LogArchiveStack
from innovate_infra.stacks.accounts.organization import OrganizationStack
from innovate_infra.stacks.accounts.regional import (
    REGIONAL_GUARDDUTY_ROLE_ID,
    RegionalDelegationStack,
    RegionalDetectionStack,
    RegionalOrganizationStack,
)
from innovate_infra.stacks.accounts.security_lake import SecurityLakeStack

ACCOUNT_STACKS: tuple[type[Stack], ...] = (
    OrganizationStack,
    IdentityStack,
    LogArchiveStack,
    DetectionStack,
    AuditDataStack,
    SecurityServicesStack,
    SecurityOrganizationStack,
    SecurityLakeStack,
    RegionalDetectionStack,
    RegionalDelegationStack,
    RegionalOrganizationStack,
    CostStack,
)

# Construct id of the singleton provider function AwsCustomResource adds to a stack.
PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"
_CALL_POLICY = f"{OrganizationApiCall.CALL_ID}/CustomResourcePolicy/Resource"
_ARCHIVE = LogArchiveStack.ARCHIVE_ID

PROVIDER_FUNCTION = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    stacks=ACCOUNT_STACKS,
    path=f"{PROVIDER_ID}/Resource",
    description="CDK AwsCustomResource provider Lambda of the accounts stacks",
)
PROVIDER_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=ACCOUNT_STACKS,
    path=f"{PROVIDER_ID}/ServiceRole/Resource",
    description="execution role of the AwsCustomResource provider Lambda",
)
PROVIDER_LOG_GROUP = ResourceMatcher(
    cfn_type="AWS::Logs::LogGroup",
    stacks=ACCOUNT_STACKS,
    path=f"{PROVIDER_ID}/LogGroup/Resource",
    description="log group of the AwsCustomResource provider Lambda",
)
CALL_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=ACCOUNT_STACKS,
    path=f".+/{_CALL_POLICY}",
    description="least-privilege statements of one organization API call (AwsCustomResource)",
)
UNSCOPED_WRITE_CALL_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(SecurityServicesStack,),
    path=(
        f"{SecurityServicesStack.DELEGATIONS_ID}/"
        f"({SecurityDelegations.STACKSETS_ACCESS_ID}|{SecurityDelegations.GUARDDUTY_DELEGATION_ID})"
        f"/{_CALL_POLICY}"
    ),
    description="policies of the StackSets trusted-access and GuardDuty delegation calls",
)
REGIONAL_DELEGATION_CALL_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(RegionalDelegationStack,),
    path=f"{RegionalDelegationStack.DELEGATION_ID}/{_CALL_POLICY}",
    description="policy of the GuardDuty delegation call in an allowed region other than home",
)
GUARDDUTY_ORG_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(SecurityOrganizationStack, RegionalOrganizationStack),
    path=f"(.+/)?({GUARDDUTY_ROLE_ID}|{REGIONAL_GUARDDUTY_ROLE_ID})/Resource",
    description="role of the GuardDuty organization-configuration call",
)
ACCESS_LOG_BUCKET = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(LogArchiveStack,),
    path=f"{_ARCHIVE}/{LogArchiveBuckets.ACCESS_LOGS_ID}/Resource",
    description="server-access-log bucket of the log archive",
)
ARCHIVE_BUCKETS = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(LogArchiveStack,),
    path=(
        f"{_ARCHIVE}/("
        + "|".join(bucket_id(p) for p in (*KMS_ENCRYPTED_PURPOSES, *SSE_S3_PURPOSES))
        + ")/Resource"
    ),
    description="Object-Locked log archive buckets",
)
ALB_BUCKET = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(LogArchiveStack,),
    path=f"{_ARCHIVE}/{bucket_id('alb')}/Resource",
    description="load balancer access-log archive bucket",
)
ARCHIVE_KEY = ResourceMatcher(
    cfn_type="AWS::KMS::Key",
    stacks=(LogArchiveStack,),
    path=f"{_ARCHIVE}/{LogArchiveBuckets.KEY_ID}/Resource",
    description="log archive KMS key",
)
TRAIL_ROLE_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(SecurityServicesStack,),
    path=f"{SecurityServicesStack.TRAIL_ID}/CloudWatchLogsRole/DefaultPolicy/Resource",
    description="organization trail's CloudWatch Logs delivery policy",
)
AWS_SERVICE_POLICY_ROLES = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(DetectionStack, SecurityOrganizationStack, SecurityLakeStack, SecurityServicesStack),
    path=(
        f"(.+/)?({CONFIG_RECORDER_ROLE_ID}|{CONFIG_AGGREGATOR_ROLE_ID}|{META_STORE_ROLE_ID})"
        "/Resource"
    ),
    description="AWS Config recorder and aggregator roles, Security Lake meta-store role",
)

CONFIG_RECORDER_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(DetectionStack, SecurityServicesStack),
    path=f"(.+/)?{CONFIG_RECORDER_POLICY_PATH}",
    description="AWS Config recorder role's delivery policy (security/logs, management)",
)


def trail_log_streams(naming: Naming) -> str:
    """The wildcard resource of the trail role's grant, as cdk-nag prints it."""
    return (
        "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
        f"{naming.trail_log_group_name}:log-stream:*"
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


ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=(
            *both("LambdaConcurrency"),
            *both("LambdaDLQ"),
            *both("LambdaInsideVPC"),
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
        rule_ids=both("CloudWatchLogGroupEncrypted"),
        matcher=PROVIDER_LOG_GROUP,
        reason=_PROVIDER_LOGS,
    ),
    NagAcknowledgment(
        rule_ids=(AWS + "IAM5[Resource::*]", *both("IAMNoInlinePolicy")),
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
        rule_ids=both("S3DefaultEncryptionKMS"),
        matcher=ACCESS_LOG_BUCKET,
        reason=_SSE_S3_ONLY,
    ),
    NagAcknowledgment(
        rule_ids=both("S3DefaultEncryptionKMS"),
        matcher=ALB_BUCKET,
        reason=_SSE_S3_ONLY,
    ),
    NagAcknowledgment(
        rule_ids=both("S3BucketReplicationEnabled"),
        matcher=ARCHIVE_BUCKETS,
        reason=_SINGLE_REGION,
    ),
    NagAcknowledgment(
        rule_ids=both("S3BucketReplicationEnabled"),
        matcher=ACCESS_LOG_BUCKET,
        reason=_SINGLE_REGION,
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


def trail_role_acknowledgment(naming: Naming) -> NagAcknowledgment:
    """Its wildcard finding id names the trail's log group."""
    return NagAcknowledgment(
        rule_ids=(
            AWS + f"IAM5[Resource::{trail_log_streams(naming)}]",
            *both("IAMNoInlinePolicy"),
        ),
        matcher=TRAIL_ROLE_POLICY,
        reason="An organization trail writes one log stream per account and region, named by "
        "CloudTrail at run time; the grant is logs:CreateLogStream/PutLogEvents on the streams "
        "of this one log group, inline on its dedicated role so it cannot be reused.",
    )


def config_recorder_acknowledgment(naming: Naming) -> NagAcknowledgment:
    """Its wildcard finding ids name the account's Config prefix and the archive key."""
    return NagAcknowledgment(
        rule_ids=(
            *(
                AWS + f"IAM5[Resource::{naming.config_delivery_object_arn(account)}]"
                for account in naming.recorder_account_ids
            ),
            AWS + f"IAM5[Resource::{naming.log_archive_key_arn_pattern}]",
            *both("IAMNoInlinePolicy"),
        ),
        matcher=CONFIG_RECORDER_POLICY,
        reason='The statements AWS Config documents for a custom recorder role ("Permissions '
        'for the IAM role assigned to AWS Config"): s3:PutObject/PutObjectAcl under this '
        "account's own AWSLogs/<account>/Config/ prefix with the bucket-owner-full-control "
        "ACL (object names are chosen by Config at run time), and kms:Decrypt/GenerateDataKey "
        "on the archive key, which an IAM policy cannot name by alias across stacks: the key "
        "wildcard is bound to that key by kms:ResourceAliases and to S3 by kms:ViaService. "
        "Inline on the dedicated recorder role so the grant cannot be attached elsewhere.",
    )


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    return (
        *ACKNOWLEDGMENTS,
        trail_role_acknowledgment(naming),
        config_recorder_acknowledgment(naming),
    )


CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
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
        "CKV_AWS_111",
        REGIONAL_DELEGATION_CALL_POLICY,
        "guardduty:EnableOrganizationAdminAccount and the Organizations calls it makes support "
        "only Resource '*' (no resource-level permissions); it runs once per allowed region "
        "from the management account, outside any SCP, and names the security/logs account "
        "explicitly as the delegated administrator.",
    ),
    CheckovSkip(
        "CKV_AWS_18",
        ACCESS_LOG_BUCKET,
        _ACCESS_LOGS,
    ),
    CheckovSkip(
        "CKV_AWS_33",
        ARCHIVE_KEY,
        "The '*' principal statements are bounded by aws:PrincipalOrgID (this organization) "
        "and kms:ViaService (S3 in the home region): one lets the organization's Firehose "
        "delivery roles encrypt the objects they write to the archive; the other lets only the "
        "AWS Config recorder roles (aws:PrincipalArn) encrypt configuration items. Neither "
        "allows decrypting archived logs.",
    ),
)


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return CHECKOV_SKIPS
