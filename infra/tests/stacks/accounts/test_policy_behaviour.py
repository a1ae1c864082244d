"""What AWS will do with the account stacks' key policies, bucket policies, role trusts,
permission sets and SCPs: each test asks "may this principal, with this context, do this
action on this resource?" of the synthesized policies (``compliance/policy_eval.py``),
for the principals that must be allowed and those that must be refused."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth
from tests.stacks.accounts.policies import Document, Estate, sso_role


@pytest.fixture(scope="module")
def estate(
    templates: dict[str, dict[str, Any]], platform: PlatformConfig, naming: Naming
) -> Estate:
    return Estate(templates, platform, naming)


@pytest.fixture(scope="module")
def lake_estate(synth_lake: Synth, platform: PlatformConfig, naming: Naming) -> Estate:
    return Estate(synth_lake.templates(), platform, naming)


MGMT, SECURITY, DEV, PROD = "111111111111", "222222222222", "333333333333", "444444444444"
OUTSIDER = "999999999999"
CLOUDTRAIL = Principal.of_service("cloudtrail.amazonaws.com")
CONFIG = Principal.of_service("config.amazonaws.com")
LOG_DELIVERY = Principal.of_service("delivery.logs.amazonaws.com")
ADMIN = "AdministratorAccess"


def key_decision(
    policy: Document,
    principal: Principal,
    action: str,
    *,
    key_account: str,
    identity: list[Document] | None = None,
    **context: Any,
) -> Decision:
    return authorize(
        Request(principal, action, f"arn:aws:kms:eu-west-1:{key_account}:key/k", context),
        resource_policy=policy,
        resource_account=key_account,
        identity_policies=identity or [],
        resource_policy_required=True,
    )


def trust_decision(trust: Document, principal: Principal, **context: Any) -> Decision:
    return authorize(
        Request(principal, "sts:AssumeRole", "arn:aws:iam::000000000000:role/r", context),
        resource_policy=trust,
        resource_policy_required=True,
    )


# --------------------------------------------------------------------- log-archive key


@pytest.fixture(scope="module")
def archive_key(estate: Estate) -> Document:
    return estate.key_policy("security", "log-archive")


def _trail_context(naming: Naming, trail_arn: str | None = None) -> dict[str, Any]:
    return {
        "aws:SourceArn": trail_arn or naming.organization_trail_arn,
        "aws:SourceAccount": MGMT,
    }


def test_cloudtrail_encrypts_only_for_the_organization_trail(
    archive_key: Document, naming: Naming
) -> None:
    context = {
        **_trail_context(naming),
        "kms:EncryptionContext:aws:cloudtrail:arn": naming.organization_trail_arn,
    }
    allowed = key_decision(
        archive_key, CLOUDTRAIL, "kms:GenerateDataKey", key_account=SECURITY, **context
    )
    assert allowed is Decision.ALLOW
    other_trail = f"arn:aws:cloudtrail:eu-west-1:{OUTSIDER}:trail/exfil"
    foreign = {
        "aws:SourceArn": other_trail,
        "kms:EncryptionContext:aws:cloudtrail:arn": other_trail,
    }
    assert not key_decision(
        archive_key, CLOUDTRAIL, "kms:GenerateDataKey", key_account=SECURITY, **foreign
    ).allowed


def test_cloudtrail_describes_the_key_without_an_encryption_context(
    archive_key: Document, naming: Naming
) -> None:
    """Item 3: DescribeKey carries no encryption context; under the encryption-context
    condition CreateTrail fails with InsufficientEncryptionPolicyException."""
    assert key_decision(
        archive_key, CLOUDTRAIL, "kms:DescribeKey", key_account=SECURITY, **_trail_context(naming)
    ).allowed
    other = f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/another-trail"
    assert not key_decision(
        archive_key, CLOUDTRAIL, "kms:DescribeKey", key_account=SECURITY, **{"aws:SourceArn": other}
    ).allowed


def test_cloudtrail_may_decrypt_for_the_bucket_key(archive_key: Document, naming: Naming) -> None:
    """Item 3: the CloudTrail bucket uses an S3 Bucket Key, so creating or updating the
    trail needs kms:Decrypt for the CloudTrail service principal."""
    assert key_decision(
        archive_key, CLOUDTRAIL, "kms:Decrypt", key_account=SECURITY, **_trail_context(naming)
    ).allowed
    assert not key_decision(
        archive_key,
        CLOUDTRAIL,
        "kms:Decrypt",
        key_account=SECURITY,
        **{"aws:SourceArn": f"arn:aws:cloudtrail:eu-west-1:{OUTSIDER}:trail/t"},
    ).allowed


@pytest.mark.parametrize("account", [MGMT, SECURITY, DEV, PROD])
def test_config_service_encrypts_for_every_recording_account(
    archive_key: Document, account: str
) -> None:
    assert key_decision(
        archive_key,
        CONFIG,
        "kms:GenerateDataKey",
        key_account=SECURITY,
        **{"aws:SourceAccount": account},
    ).allowed


def test_config_service_is_refused_for_other_accounts(archive_key: Document) -> None:
    assert not key_decision(
        archive_key,
        CONFIG,
        "kms:GenerateDataKey",
        key_account=SECURITY,
        **{"aws:SourceAccount": OUTSIDER},
    ).allowed
    assert not key_decision(
        archive_key, CONFIG, "kms:GenerateDataKey", key_account=SECURITY
    ).allowed


def test_log_delivery_encrypts_only_for_the_workload_accounts(archive_key: Document) -> None:
    for account in (DEV, PROD):
        assert key_decision(
            archive_key,
            LOG_DELIVERY,
            "kms:GenerateDataKey",
            key_account=SECURITY,
            **{"aws:SourceAccount": account},
        ).allowed
    for account in (MGMT, OUTSIDER):
        assert not key_decision(
            archive_key,
            LOG_DELIVERY,
            "kms:GenerateDataKey",
            key_account=SECURITY,
            **{"aws:SourceAccount": account},
        ).allowed


def test_only_cloudformation_and_break_glass_administer_the_archive_key(
    archive_key: Document, naming: Naming
) -> None:
    """Item 5: no one with kms:* in an identity policy (PowerUserAccess) may grant
    themselves decrypt (CreateGrant) or rewrite the key policy; CloudFormation keeps
    PutKeyPolicy (KMS's lockout check) and break-glass keeps administration."""
    power_user = sso_role(SECURITY, "PlatformEngineer")
    powers = [estate_managed("PowerUserAccess")]
    for action in ("kms:CreateGrant", "kms:PutKeyPolicy", "kms:Decrypt", "kms:ScheduleKeyDeletion"):
        assert not key_decision(
            archive_key, power_user, action, key_account=SECURITY, identity=powers
        ).allowed, action
    exec_role = Principal(arn=naming.cdk_exec_role_arn(SECURITY, "eu-west-1"))
    admin = [estate_managed(ADMIN)]
    assert key_decision(
        archive_key, exec_role, "kms:PutKeyPolicy", key_account=SECURITY, identity=admin
    ).allowed
    assert not key_decision(
        archive_key, exec_role, "kms:CreateGrant", key_account=SECURITY, identity=admin
    ).allowed
    break_glass = sso_role(SECURITY, "BreakGlassAdmin")
    assert key_decision(
        archive_key, break_glass, "kms:ScheduleKeyDeletion", key_account=SECURITY, identity=admin
    ).allowed
    # Developers in another account: no statement names them.
    developer = sso_role(DEV, "Developer")
    assert not key_decision(
        archive_key, developer, "kms:Decrypt", key_account=SECURITY, identity=powers
    ).allowed


def test_security_auditors_decrypt_archived_logs_only_through_s3(archive_key: Document) -> None:
    auditor = sso_role(SECURITY, "SecurityAuditor")
    read = [
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
        }
    ]
    assert key_decision(
        archive_key,
        auditor,
        "kms:Decrypt",
        key_account=SECURITY,
        identity=read,
        **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    ).allowed
    assert not key_decision(
        archive_key, auditor, "kms:Decrypt", key_account=SECURITY, identity=read
    ).allowed
    other = sso_role(SECURITY, "ReadOnly")
    assert not key_decision(
        archive_key,
        other,
        "kms:Decrypt",
        key_account=SECURITY,
        identity=read,
        **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    ).allowed


def estate_managed(name: str) -> Document:
    from tests.stacks.accounts.support import managed_policy

    return managed_policy(name)


# --------------------------------------------------------------------------- audit key


def test_audit_key_users_and_administrators(estate: Estate) -> None:
    policy = estate.key_policy("management", "audit-data")
    logs = Principal.of_service("logs.eu-west-1.amazonaws.com")
    own_group = f"arn:aws:logs:eu-west-1:{MGMT}:log-group:/innovate/cloudtrail/x"
    assert key_decision(
        policy,
        logs,
        "kms:GenerateDataKey",
        key_account=MGMT,
        **{"kms:EncryptionContext:aws:logs:arn": own_group},
    ).allowed
    assert not key_decision(
        policy,
        logs,
        "kms:Decrypt",
        key_account=MGMT,
        **{"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{OUTSIDER}:log-group:x"},
    ).allowed
    cloudwatch = Principal.of_service("cloudwatch.amazonaws.com")
    assert key_decision(
        policy, cloudwatch, "kms:GenerateDataKey", key_account=MGMT, **{"aws:SourceAccount": MGMT}
    ).allowed
    assert not key_decision(
        policy,
        cloudwatch,
        "kms:GenerateDataKey",
        key_account=MGMT,
        **{"aws:SourceAccount": OUTSIDER},
    ).allowed
    admin = [estate_managed(ADMIN)]
    someone = Principal.role(MGMT, "some-admin-role")
    for action in ("kms:CreateGrant", "kms:PutKeyPolicy", "kms:Decrypt"):
        assert not key_decision(policy, someone, action, key_account=MGMT, identity=admin).allowed
    break_glass = sso_role(MGMT, "BreakGlassAdmin")
    assert key_decision(
        policy, break_glass, "kms:DisableKey", key_account=MGMT, identity=admin
    ).allowed


def test_security_lake_key_users_and_administrators(lake_estate: Estate) -> None:
    policy = lake_estate.key_policy("security", "lake")
    meta_store = Principal.role(SECURITY, "AmazonSecurityLakeMetaStoreManagerV2")
    assert key_decision(policy, meta_store, "kms:Decrypt", key_account=SECURITY).allowed
    lake = Principal.of_service("securitylake.amazonaws.com")
    assert key_decision(
        policy, lake, "kms:GenerateDataKey", key_account=SECURITY, **{"aws:SourceAccount": SECURITY}
    ).allowed
    assert not key_decision(
        policy, lake, "kms:GenerateDataKey", key_account=SECURITY, **{"aws:SourceAccount": OUTSIDER}
    ).allowed
    power_user = Principal.role(SECURITY, "any-power-user")
    for action in ("kms:CreateGrant", "kms:PutKeyPolicy", "kms:Decrypt"):
        assert not key_decision(
            policy,
            power_user,
            action,
            key_account=SECURITY,
            identity=[estate_managed("PowerUserAccess")],
        ).allowed


# ---------------------------------------------------------------------- bucket policies


def s3_decision(
    policy: Document,
    principal: Principal,
    action: str,
    resource: str,
    *,
    identity: list[Document] | None = None,
    **context: Any,
) -> Decision:
    return authorize(
        Request(principal, action, resource, context),
        resource_policy=policy,
        resource_account=SECURITY,
        identity_policies=identity or [],
    )


def test_cloudtrail_bucket_takes_only_the_organization_trail(
    estate: Estate, naming: Naming
) -> None:
    bucket = naming.log_bucket_name("cloudtrail")
    policy = estate.bucket_policy(bucket)
    ctx = {**_trail_context(naming), "aws:SecureTransport": True}
    org_prefix = f"arn:aws:s3:::{bucket}/AWSLogs/{estate.org_id}/{DEV}/CloudTrail/x.json.gz"
    assert s3_decision(policy, CLOUDTRAIL, "s3:PutObject", org_prefix, **ctx).allowed
    assert s3_decision(
        policy, CLOUDTRAIL, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", **ctx
    ).allowed
    other = {
        "aws:SourceArn": f"arn:aws:cloudtrail:eu-west-1:{OUTSIDER}:trail/t",
        "aws:SecureTransport": True,
    }
    assert not s3_decision(policy, CLOUDTRAIL, "s3:PutObject", org_prefix, **other).allowed
    # Nobody but break-glass deletes, whatever their identity policy.
    admin = [estate_managed(ADMIN)]
    for who in (
        Principal.role(SECURITY, "cdk-hnb659fds-cfn-exec-role-x"),
        sso_role(SECURITY, "PlatformEngineer"),
    ):
        assert (
            s3_decision(
                policy,
                who,
                "s3:DeleteObjectVersion",
                org_prefix,
                identity=admin,
                **{"aws:SecureTransport": True},
            )
            is Decision.EXPLICIT_DENY
        )
    assert s3_decision(
        policy,
        sso_role(SECURITY, "BreakGlassAdmin"),
        "s3:DeleteObjectVersion",
        org_prefix,
        identity=admin,
        **{"aws:SecureTransport": True},
    ).allowed
    assert (
        s3_decision(
            policy,
            sso_role(SECURITY, "BreakGlassAdmin"),
            "s3:GetObject",
            org_prefix,
            identity=admin,
            **{"aws:SecureTransport": False},
        )
        is Decision.EXPLICIT_DENY
    )


@pytest.fixture(scope="module")
def config_bucket(estate: Estate, naming: Naming) -> tuple[str, Document]:
    bucket = naming.log_bucket_name("config")
    return bucket, estate.bucket_policy(bucket)


def _config_object(bucket: str, account: str) -> str:
    return f"arn:aws:s3:::{bucket}/AWSLogs/{account}/Config/eu-west-1/2026/1/1/x.json.gz"


TLS = {"aws:SecureTransport": True}
OWNER_ACL = {"s3:x-amz-acl": "bucket-owner-full-control"}


@pytest.mark.parametrize("account", [MGMT, SECURITY, DEV, PROD])
def test_config_service_delivers_each_account_under_its_own_prefix(
    config_bucket: tuple[str, Document], account: str
) -> None:
    bucket, policy = config_bucket
    ctx = {**TLS, **OWNER_ACL, "aws:SourceAccount": account}
    assert s3_decision(
        policy, CONFIG, "s3:PutObject", _config_object(bucket, account), **ctx
    ).allowed
    assert s3_decision(policy, CONFIG, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", **ctx).allowed
    other = PROD if account != PROD else DEV
    assert not s3_decision(
        policy, CONFIG, "s3:PutObject", _config_object(bucket, other), **ctx
    ).allowed


def test_config_service_is_refused_for_other_accounts_and_without_the_owner_acl(
    config_bucket: tuple[str, Document],
) -> None:
    bucket, policy = config_bucket
    outsider = {**TLS, **OWNER_ACL, "aws:SourceAccount": OUTSIDER}
    assert not s3_decision(
        policy, CONFIG, "s3:PutObject", _config_object(bucket, OUTSIDER), **outsider
    ).allowed
    no_acl = {**TLS, "aws:SourceAccount": DEV}
    assert not s3_decision(
        policy, CONFIG, "s3:PutObject", _config_object(bucket, DEV), **no_acl
    ).allowed


def _recorder_put(
    estate: Estate,
    bucket: str,
    policy: Document,
    account: str,
    identity: list[Document],
    target: str,
) -> Decision:
    role = Principal.role(account, estate.naming.security_role_name("config-recorder"))
    ctx = {**TLS, **OWNER_ACL, "aws:PrincipalOrgID": estate.org_id}
    return s3_decision(
        policy, role, "s3:PutObject", _config_object(bucket, target), identity=identity, **ctx
    )


def test_security_account_recorder_role_writes_its_own_archive(
    estate: Estate, config_bucket: tuple[str, Document]
) -> None:
    """Item 2: in the same account Config always writes as the recorder's role, so the
    role itself must hold s3:PutObject on its prefix and use of the archive key."""
    bucket, policy = config_bucket
    _, identity = estate.role(
        "security", "detection", estate.naming.security_role_name("config-recorder")
    )
    assert _recorder_put(estate, bucket, policy, SECURITY, identity, SECURITY).allowed
    role = Principal.role(SECURITY, estate.naming.security_role_name("config-recorder"))
    kms = authorize(
        Request(
            role,
            "kms:GenerateDataKey",
            f"arn:aws:kms:eu-west-1:{SECURITY}:key/k",
            {
                "kms:ResourceAliases": [estate.naming.log_archive_key_alias],
                "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                "aws:PrincipalOrgID": estate.org_id,
            },
        ),
        resource_policy=estate.key_policy("security", "log-archive"),
        resource_account=SECURITY,
        identity_policies=identity,
        resource_policy_required=True,
    )
    assert kms.allowed


@pytest.mark.parametrize("account", [DEV, PROD])
def test_member_recorder_roles_write_only_their_own_prefix(
    estate: Estate, config_bucket: tuple[str, Document], account: str
) -> None:
    bucket, policy = config_bucket
    _, identity = estate.stack_set_role(account)
    assert _recorder_put(estate, bucket, policy, account, identity, account).allowed
    assert not _recorder_put(estate, bucket, policy, account, identity, SECURITY).allowed


def test_management_recorder_role_writes_its_own_prefix(
    estate: Estate, config_bucket: tuple[str, Document]
) -> None:
    bucket, policy = config_bucket
    _, identity = estate.role(
        "management", "security-services", estate.naming.security_role_name("config-recorder")
    )
    assert _recorder_put(estate, bucket, policy, MGMT, identity, MGMT).allowed


def test_other_roles_cannot_write_configuration_items(
    estate: Estate, config_bucket: tuple[str, Document]
) -> None:
    bucket, policy = config_bucket
    developer = sso_role(DEV, "Developer")
    ctx = {**TLS, **OWNER_ACL, "aws:PrincipalOrgID": estate.org_id}
    assert not s3_decision(
        policy,
        developer,
        "s3:PutObject",
        _config_object(bucket, DEV),
        identity=[estate_managed("PowerUserAccess")],
        **ctx,
    ).allowed


@pytest.mark.parametrize("family", ["flowlogs", "waf-api"])
def test_log_delivery_writes_only_for_the_workload_accounts(estate: Estate, family: str) -> None:
    bucket = estate.naming.log_bucket_name(family)  # type: ignore[arg-type]
    policy = estate.bucket_policy(bucket)
    target = f"arn:aws:s3:::{bucket}/vpc-flow-logs/AWSLogs/{DEV}/vpcflowlogs/x.log.gz"
    ctx = {**TLS, "aws:SourceOrgID": estate.org_id}
    for account in (DEV, PROD):
        assert s3_decision(
            policy, LOG_DELIVERY, "s3:PutObject", target, **ctx, **{"aws:SourceAccount": account}
        ).allowed
    for account in (MGMT, OUTSIDER):
        assert not s3_decision(
            policy, LOG_DELIVERY, "s3:PutObject", target, **ctx, **{"aws:SourceAccount": account}
        ).allowed


def test_firehose_roles_write_only_under_their_own_account(estate: Estate) -> None:
    bucket = estate.naming.log_bucket_name("waf-api")
    policy = estate.bucket_policy(bucket)
    role = Principal.role(PROD, "innovate-prod-waf-firehose")
    ctx = {**TLS, "aws:PrincipalOrgID": estate.org_id}
    put = [
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
        }
    ]
    own = f"arn:aws:s3:::{bucket}/firehose/{PROD}/2026/x.gz"
    assert s3_decision(policy, role, "s3:PutObject", own, identity=put, **ctx).allowed
    assert not s3_decision(
        policy, role, "s3:PutObject", f"arn:aws:s3:::{bucket}/firehose/{DEV}/x", identity=put, **ctx
    ).allowed
    outsider = Principal.role(OUTSIDER, "firehose")
    assert not s3_decision(policy, outsider, "s3:PutObject", own, identity=put, **TLS).allowed


def test_load_balancers_write_only_the_workload_prefixes(estate: Estate) -> None:
    bucket = estate.naming.log_bucket_name("alb")
    policy = estate.bucket_policy(bucket)
    elb = Principal.of_service("logdelivery.elasticloadbalancing.amazonaws.com")
    assert s3_decision(
        policy, elb, "s3:PutObject", f"arn:aws:s3:::{bucket}/AWSLogs/{PROD}/elb/x", **TLS
    ).allowed
    assert not s3_decision(
        policy, elb, "s3:PutObject", f"arn:aws:s3:::{bucket}/AWSLogs/{SECURITY}/x", **TLS
    ).allowed


# ------------------------------------------------------------------------ role trusts


def test_recorder_roles_trust_config_only_for_their_own_account(estate: Estate) -> None:
    name = estate.naming.security_role_name("config-recorder")
    trusts = {
        SECURITY: estate.role("security", "detection", name)[0],
        MGMT: estate.role("management", "security-services", name)[0],
        DEV: estate.stack_set_role(DEV)[0],
    }
    for account, trust in trusts.items():
        assert trust_decision(trust, CONFIG, **{"aws:SourceAccount": account}).allowed, account
        assert not trust_decision(trust, CONFIG, **{"aws:SourceAccount": OUTSIDER}).allowed, account
        assert not trust_decision(trust, Principal.role(account, "anyone")).allowed


def test_aggregator_role_trusts_config_for_the_security_account_only(estate: Estate) -> None:
    trust, _ = estate.role(
        "security", "organization", estate.naming.security_role_name("config-aggregator")
    )
    assert trust_decision(trust, CONFIG, **{"aws:SourceAccount": SECURITY}).allowed
    assert not trust_decision(trust, CONFIG, **{"aws:SourceAccount": OUTSIDER}).allowed


def test_trail_logs_role_trusts_cloudtrail_for_the_organization_trail_only(
    estate: Estate, naming: Naming
) -> None:
    trust, _ = estate.role(
        "management", "security-services", naming.security_role_name("cloudtrail-to-logs")
    )
    assert trust_decision(
        trust, CLOUDTRAIL, **{"aws:SourceArn": naming.organization_trail_arn}
    ).allowed
    other = f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/other"
    assert not trust_decision(trust, CLOUDTRAIL, **{"aws:SourceArn": other}).allowed


def test_guardduty_org_config_role_is_assumable_by_lambda_only(
    estate: Estate, naming: Naming
) -> None:
    trust, _ = estate.role(
        "security", "organization", naming.security_role_name("guardduty-org-config")
    )
    assert trust_decision(trust, Principal.of_service("lambda.amazonaws.com")).allowed
    assert not trust_decision(trust, Principal.role(SECURITY, "anyone")).allowed
    assert not trust_decision(trust, CONFIG).allowed


# ------------------------------------------------------- permission sets and the SCPs


def _deploy_role(account: str, kind: str = "deploy-role") -> str:
    return f"arn:aws:iam::{account}:role/cdk-hnb659fds-{kind}-{account}-eu-west-1"


def assume(
    estate: Estate, principal: Principal, caller: str, target_role: str, identity: list[Document]
) -> Decision:
    target_account = target_role.split(":")[4]
    return authorize(
        Request(
            principal,
            "sts:AssumeRole",
            target_role,
            {"aws:ResourceAccount": target_account, "aws:RequestedRegion": "eu-west-1"},
        ),
        identity_policies=identity,
        service_control_policies=estate.scps(caller),  # type: ignore[arg-type]
    )


def test_platform_engineers_deploy_to_development_only(estate: Estate) -> None:
    """Item 4: a person may not deploy to production or the security/logs account (the
    deploy role hands templates to the execution role, which the SCPs exempt)."""
    identity = estate.permission_set("PlatformEngineer")
    for caller_key, caller in (("development", DEV), ("production", PROD)):
        engineer = sso_role(caller, "PlatformEngineer")
        assert assume(estate, engineer, caller_key, _deploy_role(DEV), identity).allowed, caller
        for target in (PROD, SECURITY):
            for kind in ("deploy-role", "file-publishing-role", "cfn-exec-role"):
                assert not assume(
                    estate, engineer, caller_key, _deploy_role(target, kind), identity
                ).allowed


def test_only_the_pipeline_and_break_glass_may_assume_production_deploy_roles(
    estate: Estate,
) -> None:
    """The SCP binds even a principal whose identity policy allows everything."""
    admin = [estate_managed(ADMIN)]
    pipeline = Principal(arn=f"arn:aws:iam::{DEV}:role/innovate-security-delivery-pipeline")
    assert assume(estate, pipeline, "development", _deploy_role(PROD), admin).allowed
    assert assume(estate, pipeline, "development", _deploy_role(SECURITY), admin).allowed
    break_glass = sso_role(PROD, "BreakGlassAdmin")
    assert assume(estate, break_glass, "production", _deploy_role(PROD), admin).allowed
    for caller_key, caller in (("development", DEV), ("production", PROD)):
        someone = Principal.role(caller, "innovate-dev-ci-runner")
        assert (
            assume(estate, someone, caller_key, _deploy_role(PROD), admin) is Decision.EXPLICIT_DENY
        )
        assert (
            assume(estate, someone, caller_key, _deploy_role(SECURITY), admin)
            is Decision.EXPLICIT_DENY
        )


def test_developers_cannot_borrow_the_deployment_roles(estate: Estate) -> None:
    identity = estate.permission_set("Developer")
    developer = sso_role(DEV, "Developer")
    for kind in ("deploy-role", "cfn-exec-role", "file-publishing-role"):
        assert not assume(
            estate, developer, "development", _deploy_role(DEV, kind), identity
        ).allowed


NETWORK_WRITES = (
    ("ec2:CreateRoute", "arn:aws:ec2:eu-west-1:{a}:route-table/rtb-1"),
    ("ec2:ReplaceRoute", "arn:aws:ec2:eu-west-1:{a}:route-table/rtb-1"),
    ("ec2:DeleteRoute", "arn:aws:ec2:eu-west-1:{a}:route-table/rtb-1"),
    ("ec2:AssociateRouteTable", "arn:aws:ec2:eu-west-1:{a}:route-table/rtb-1"),
    ("ec2:ReplaceRouteTableAssociation", "*"),
    ("ec2:CreateRouteTable", "arn:aws:ec2:eu-west-1:{a}:vpc/vpc-1"),
    (
        "network-firewall:UpdateFirewallPolicy",
        "arn:aws:network-firewall:eu-west-1:{a}:firewall-policy/p",
    ),
    ("network-firewall:DeleteFirewall", "arn:aws:network-firewall:eu-west-1:{a}:firewall/f"),
    (
        "network-firewall:UpdateRuleGroup",
        "arn:aws:network-firewall:eu-west-1:{a}:stateful-rulegroup/g",
    ),
    ("network-firewall:DisassociateSubnets", "arn:aws:network-firewall:eu-west-1:{a}:firewall/f"),
)


def _network(
    estate: Estate,
    key: str,
    principal: Principal,
    action: str,
    resource: str,
    identity: list[Document],
) -> Decision:
    return authorize(
        Request(principal, action, resource, {"aws:RequestedRegion": "eu-west-1"}),
        identity_policies=identity,
        service_control_policies=estate.scps(key),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("action", "resource"), NETWORK_WRITES)
def test_only_deployments_change_routes_and_the_firewall(
    estate: Estate, naming: Naming, action: str, resource: str
) -> None:
    """Item 8: developers (PowerUserAccess in Development, where staging also runs) and
    engineers cannot route traffic around the firewall; CloudFormation and break-glass can."""
    for key, account in (("development", DEV), ("production", PROD)):
        target = resource.format(a=account)
        developer = sso_role(account, "Developer")
        power = estate.permission_set("Developer")
        assert _network(estate, key, developer, action, target, power) is Decision.EXPLICIT_DENY
        engineer = sso_role(account, "PlatformEngineer")
        power = estate.permission_set("PlatformEngineer")
        assert _network(estate, key, engineer, action, target, power) is Decision.EXPLICIT_DENY
        exec_role = Principal(arn=naming.cdk_exec_role_arn(account, "eu-west-1"))
        assert _network(estate, key, exec_role, action, target, [estate_managed(ADMIN)]).allowed
        break_glass = sso_role(account, "BreakGlassAdmin")
        assert _network(estate, key, break_glass, action, target, [estate_managed(ADMIN)]).allowed


def test_network_guardrail_does_not_block_ordinary_work(estate: Estate) -> None:
    developer = sso_role(DEV, "Developer")
    power = estate.permission_set("Developer")
    for action in (
        "ec2:DescribeRouteTables",
        "ec2:RunInstances",
        "network-firewall:DescribeFirewall",
    ):
        assert _network(estate, "development", developer, action, "*", power).allowed, action


def test_root_sessions_and_regions_outside_the_allow_list_are_denied(estate: Estate) -> None:
    admin = [estate_managed(ADMIN)]
    root = Principal(arn=f"arn:aws:iam::{PROD}:root")
    assert (
        authorize(
            Request(root, "s3:GetObject", "*", {"aws:RequestedRegion": "eu-west-1"}),
            identity_policies=admin,
            service_control_policies=estate.scps("production"),
        )
        is Decision.EXPLICIT_DENY
    )
    engineer = sso_role(PROD, "BreakGlassAdmin")
    assert (
        authorize(
            Request(engineer, "ec2:RunInstances", "*", {"aws:RequestedRegion": "ap-south-1"}),
            identity_policies=admin,
            service_control_policies=estate.scps("production"),
        )
        is Decision.EXPLICIT_DENY
    )
    assert authorize(
        Request(engineer, "ec2:RunInstances", "*", {"aws:RequestedRegion": "us-east-1"}),
        identity_policies=admin,
        service_control_policies=estate.scps("production"),
    ).allowed


def test_security_tooling_is_changed_only_by_platform_automation(
    estate: Estate, naming: Naming
) -> None:
    admin = [estate_managed(ADMIN)]
    for action in (
        "cloudtrail:StopLogging",
        "config:StopConfigurationRecorder",
        "guardduty:DeleteDetector",
    ):
        engineer = sso_role(PROD, "PlatformEngineer")
        assert (
            authorize(
                Request(engineer, action, "*", {"aws:RequestedRegion": "eu-west-1"}),
                identity_policies=admin,
                service_control_policies=estate.scps("production"),
            )
            is Decision.EXPLICIT_DENY
        )
        recorder = Principal.role(PROD, "stacksets-exec-0123")
        assert authorize(
            Request(recorder, action, "*", {"aws:RequestedRegion": "eu-west-1"}),
            identity_policies=admin,
            service_control_policies=estate.scps("production"),
        ).allowed


def test_security_auditors_read_data_only_in_the_security_account(estate: Estate) -> None:
    inline = estate.permission_set("SecurityAuditor", managed=False)
    auditor = sso_role(PROD, "SecurityAuditor")
    read_all = [
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ]
    assert (
        authorize(
            Request(
                auditor,
                "s3:GetObject",
                "arn:aws:s3:::innovate-prod-data/x",
                {"aws:ResourceAccount": PROD},
            ),
            identity_policies=[*inline, *read_all],
        )
        is Decision.EXPLICIT_DENY
    )
    assert authorize(
        Request(
            auditor,
            "s3:GetObject",
            "arn:aws:s3:::innovate-logs/x",
            {"aws:ResourceAccount": SECURITY},
        ),
        identity_policies=[*inline, *read_all],
    ).allowed


def test_production_perimeter_refuses_outsiders(estate: Estate) -> None:
    [rcp] = estate.rcps("production")
    outsider = Principal.role(OUTSIDER, "thief")
    assert (
        authorize(
            Request(
                outsider,
                "s3:GetObject",
                "arn:aws:s3:::innovate-prod-data/x",
                {"aws:PrincipalOrgID": "o-other", "aws:SecureTransport": True},
            ),
            resource_account=PROD,
            resource_policy={
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
                ],
            },
            identity_policies=[estate_managed(ADMIN)],
            resource_control_policies=[rcp],
        )
        is Decision.EXPLICIT_DENY
    )
    insider = Principal.role(DEV, "reader")
    assert authorize(
        Request(
            insider,
            "s3:GetObject",
            "arn:aws:s3:::innovate-prod-data/x",
            {"aws:PrincipalOrgID": estate.org_id, "aws:SecureTransport": True},
        ),
        resource_account=PROD,
        resource_policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
            ],
        },
        identity_policies=[estate_managed(ADMIN)],
        resource_control_policies=[rcp],
    ).allowed


def test_security_auditors_read_the_archive_and_cannot_delete_it(
    estate: Estate, naming: Naming
) -> None:
    """The SecurityAuditor set's description ("reads logs in the archive") holds: its inline
    policy, the CloudTrail bucket's policy and the archive key's policy together allow
    reading a log object and decrypting it through S3 in the security/logs account, and
    nothing else."""
    inline = estate.permission_set("SecurityAuditor", managed=False)
    auditor = sso_role(SECURITY, "SecurityAuditor")
    bucket = naming.log_bucket_name("cloudtrail")
    policy = estate.bucket_policy(bucket)
    log = f"arn:aws:s3:::{bucket}/AWSLogs/{estate.org_id}/{PROD}/CloudTrail/x.json.gz"
    ctx = {**TLS, "aws:ResourceAccount": SECURITY}
    assert s3_decision(policy, auditor, "s3:GetObject", log, identity=inline, **ctx).allowed
    assert not s3_decision(policy, auditor, "s3:PutObject", log, identity=inline, **ctx).allowed
    assert (
        s3_decision(policy, auditor, "s3:DeleteObject", log, identity=inline, **ctx)
        is Decision.EXPLICIT_DENY
    )
    assert key_decision(
        estate.key_policy("security", "log-archive"),
        auditor,
        "kms:Decrypt",
        key_account=SECURITY,
        identity=inline,
        **{"kms:ViaService": "s3.eu-west-1.amazonaws.com", "aws:ResourceAccount": SECURITY},
    ).allowed


DELIVERY_CHANGES = (
    ("codepipeline:UpdatePipeline", "arn:aws:codepipeline:eu-west-1:{a}:innovate-delivery"),
    ("codepipeline:DeletePipeline", "arn:aws:codepipeline:eu-west-1:{a}:innovate-infrastructure"),
    ("codebuild:UpdateProject", "arn:aws:codebuild:eu-west-1:{a}:project/innovate-deploy-dev"),
    # A buildspec override would run any command as the project's role.
    ("codebuild:StartBuild", "arn:aws:codebuild:eu-west-1:{a}:project/innovate-image"),
    ("codebuild:DeleteWebhook", "arn:aws:codebuild:eu-west-1:{a}:project/innovate-commit-status"),
)


def _delivery(estate: Estate, principal: Principal, action: str, resource: str) -> Decision:
    return authorize(
        Request(principal, action, resource, {"aws:RequestedRegion": "eu-west-1"}),
        identity_policies=[estate_managed(ADMIN)],
        service_control_policies=estate.scps("development"),  # type: ignore[arg-type]
    )


def test_only_automation_changes_or_runs_the_delivery_pipelines_builds(estate: Estate) -> None:
    """A PowerUser of Development could otherwise rewrite a buildspec or the pipeline's
    source and run code as a deploy role (prod's included, through the pipeline)."""
    allowed = (
        Principal.role(DEV, f"cdk-hnb659fds-cfn-exec-role-{DEV}-eu-west-1"),
        Principal.role(DEV, "innovate-security-delivery-pipeline-application"),
        sso_role(DEV, "BreakGlassAdmin"),
    )
    refused = (
        sso_role(DEV, "PlatformEngineer"),
        sso_role(DEV, "Developer"),
        Principal.role(DEV, "innovate-dev-ci-runner"),
        # The deploy role itself is no pipeline role: it cannot restart or rewrite builds.
        Principal.role(DEV, "innovate-dev-deployer"),
    )
    for action, pattern in DELIVERY_CHANGES:
        resource = pattern.format(a=DEV)
        for principal in allowed:
            assert _delivery(estate, principal, action, resource).allowed, (action, principal)
        for principal in refused:
            decision = _delivery(estate, principal, action, resource)
            assert decision is Decision.EXPLICIT_DENY, (action, principal)
    # Approving, retrying and rolling back stay with the people who run releases.
    engineer = sso_role(DEV, "PlatformEngineer")
    for action in (
        "codepipeline:PutApprovalResult",
        "codepipeline:RollbackStage",
        "codepipeline:RetryStageExecution",
    ):
        resource = f"arn:aws:codepipeline:eu-west-1:{DEV}:innovate-delivery/DeployProd"
        assert _delivery(estate, engineer, action, resource).allowed, action
