"""The accounts stage is part of the app ``make synth`` builds, and the environments' network
logs land in its archive, admitted by its bucket policy and key."""

from __future__ import annotations

import fnmatch
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_networkfirewall as nfw
from aws_cdk import aws_route53resolver as resolver
from innovate_infra.compliance.policy_eval import Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth


def test_build_platform_adds_the_accounts_stage_next_to_the_environment_stages(
    synth: Synth, platform: PlatformConfig
) -> None:
    assert [stage.stage_name for stage in synth.built.environments] == ["dev", "staging", "prod"]
    stages = [c for c in synth.app.node.children if isinstance(c, cdk.Stage)]
    assert [s.stage_name for s in stages] == [
        "dev", "staging", "prod", "accounts", "delivery", "pipeline",
    ]  # fmt: skip
    for stack in synth.accounts.stacks():
        scope = stack.stack_name.split("-")[1]
        assert stack.account == platform.account_id(
            "management" if scope == "management" else "security"
        )


def test_environments_deliver_network_logs_to_the_archive_bucket(
    templates: dict[str, dict[str, Any]], naming: Naming
) -> None:
    """The bucket the environments' flow and firewall logs go to is derived, not
    configured: it is the network-log bucket the log-archive stack creates."""
    bucket_name = naming.log_bucket_name("flowlogs")
    archive = templates[naming.stack_name("security", "log-archive")]
    buckets = [
        r["Properties"].get("BucketName")
        for r in archive["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket"
    ]
    assert bucket_name in buckets
    for env in ("dev", "staging", "prod"):
        network = templates[naming.stack_name(env, "network")]
        destinations = [
            r["Properties"]["LogDestination"]
            for r in network["Resources"].values()
            if r["Type"] == "AWS::EC2::FlowLog" and r["Properties"]["LogDestinationType"] == "s3"
        ]
        assert destinations == [f"arn:aws:s3:::{bucket_name}/vpc-flow-logs/{env}"]


def _resolve_arn(value: Any, bucket_logical_id: str, bucket_arn: str) -> str:
    """A bucket-policy resource as a plain ARN (the bucket's ``Arn``, alone or joined)."""
    own_arn = {"Fn::GetAtt": [bucket_logical_id, "Arn"]}
    parts = value["Fn::Join"][1] if isinstance(value, dict) and "Fn::Join" in value else [value]
    return "".join(bucket_arn if part == own_arn else part for part in parts)


def _allows(statement: dict[str, Any], action: str, arn: str, context: dict[str, str]) -> bool:
    actions = (
        statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    )
    resources = statement["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    conditions = statement.get("Condition", {})
    return (
        statement["Effect"] == "Allow"
        and statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        and action in actions
        and any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources)
        and set(conditions) == {"StringEquals"}
        # StringEquals with a list matches any of its values.
        and all(
            context.get(k) in (v if isinstance(v, list) else [v])
            for k, v in conditions["StringEquals"].items()
        )
        and bool({"aws:SourceOrgID", "aws:SourceAccount"} & set(conditions["StringEquals"]))
    )


def test_archive_bucket_policy_admits_every_environments_network_logs(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    """The keys the environments' flow logs (Parquet, Hive partitions) and Network Firewall
    flow logs are delivered to, by ``delivery.logs.amazonaws.com`` on behalf of the workload
    account, are allowed by the network-log bucket's policy, bounded by aws:SourceOrgID and
    the workload accounts (aws:SourceAccount);
    the archive key lets the same service encrypt them for those accounts only."""
    stages = synth.built.environments
    archive_stack = synth.accounts.log_archive
    bucket = archive_stack.archive.buckets["flowlogs"]
    assert bucket.policy is not None
    bucket_name = naming.log_bucket_name("flowlogs")
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    logical_id = archive_stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    statements = archive_stack.resolve(bucket.policy.document.to_json())["Statement"]
    for statement in statements:
        statement["Resource"] = [
            _resolve_arn(r, logical_id, bucket_arn)
            for r in (statement["Resource"] if isinstance(statement["Resource"], list)
                      else [statement["Resource"]])
        ]  # fmt: skip

    org_id = platform.accounts.organization.organization_id
    workload_accounts = {platform.account_id(k) for k in ("development", "production")}
    deliveries: list[tuple[str, str]] = []  # (source account, object key)
    for stage in stages:
        assert stage.account in workload_accounts
        for node in stage.node.find_all():
            stack = cdk.Stack.of(node) if not isinstance(node, cdk.Stage) else None
            if isinstance(node, ec2.CfnFlowLog) and node.log_destination_type == "s3":
                destination = str(stack.resolve(node.log_destination))  # type: ignore[union-attr]
                assert destination.startswith(bucket_arn + "/"), destination
                prefix = destination.removeprefix(bucket_arn + "/")
                assert prefix == f"vpc-flow-logs/{stage.stage_name}"
                deliveries += [
                    (stage.account, f"{prefix}/AWSLogs/aws-account-id={stage.account}/"
                     f"aws-service=vpcflowlogs/aws-region={stage.region}/year=2026/month=11/"
                     "day=29/hour=18/flow.log.parquet"),
                    (stage.account, f"{prefix}/AWSLogs/{stage.account}/vpcflowlogs/"
                     f"{stage.region}/2026/11/29/flow.log.parquet"),
                ]  # fmt: skip
            if isinstance(node, nfw.CfnLoggingConfiguration):
                config_ = stack.resolve(node.logging_configuration)  # type: ignore[union-attr]
                for dest in config_["logDestinationConfigs"]:
                    if dest["logDestinationType"] != "S3":
                        continue
                    assert dest["logDestination"]["bucketName"] == bucket_name
                    prefix = dest["logDestination"]["prefix"]
                    assert prefix == f"network-firewall/{stage.stage_name}"
                    deliveries.append(
                        (stage.account, f"{prefix}/AWSLogs/{stage.account}/network-firewall/"
                         f"flow/{stage.region}/fw/2026/11/29/18/flow.log.gz")
                    )  # fmt: skip
            if isinstance(node, resolver.CfnResolverQueryLoggingConfig):
                destination = str(stack.resolve(node.destination_arn))  # type: ignore[union-attr]
                prefix = destination.removeprefix(bucket_arn + "/")
                assert prefix == f"dns-query-logs/{stage.stage_name}"
                deliveries.append(
                    (stage.account, f"{prefix}/AWSLogs/{stage.account}/vpcdnsquerylogs/"
                     "vpc-0123456789abcdef0/2026/11/29/query.log.gz")
                )  # fmt: skip
    kinds = {key.split("/")[0] for _, key in deliveries}
    assert kinds == {"vpc-flow-logs", "network-firewall", "dns-query-logs"}

    for account, key in deliveries:
        context = {"aws:SourceOrgID": org_id, "aws:SourceAccount": account}
        assert any(
            _allows(s, "s3:PutObject", f"{bucket_arn}/{key}", context) for s in statements
        ), key
        assert any(_allows(s, "s3:GetBucketAcl", bucket_arn, context) for s in statements)
        # Outside the organization, or from a member account that runs no workload
        # (management, security), the same delivery is refused.
        outsider = {"aws:SourceOrgID": "o-outsider0000", "aws:SourceAccount": "999999999999"}
        non_workload = {
            "aws:SourceOrgID": org_id,
            "aws:SourceAccount": platform.account_id("management"),
        }
        for refused in (outsider, non_workload):
            assert not any(
                _allows(s, "s3:PutObject", f"{bucket_arn}/{key}", refused) for s in statements
            ), key
        denied = [
            s for s in statements
            if s["Effect"] == "Deny" and "s3:PutObject" in s["Action"]
        ]  # fmt: skip
        assert not denied

    # The bucket is SSE-KMS with the archive key: the delivery service must be able to use it.
    key = archive_stack.archive.key.node.default_child
    assert isinstance(key, kms.CfnKey)
    key_policy = archive_stack.resolve(key.key_policy)
    service = Principal.of_service("delivery.logs.amazonaws.com")
    key_arn = f"arn:aws:kms:{platform.home_region}:{platform.account_id('security')}:key/k"

    def may_encrypt(source_account: str) -> bool:
        return authorize(
            Request(service, "kms:GenerateDataKey", key_arn, {"aws:SourceAccount": source_account}),
            resource_policy=key_policy,
            resource_account=platform.account_id("security"),
            resource_policy_required=True,
        ).allowed

    assert all(may_encrypt(account) for account, _ in deliveries)
    assert not may_encrypt(platform.account_id("management"))
    assert not may_encrypt("999999999999")


def _bucket_policy(synth: Synth, purpose: str, bucket_arn: str) -> dict[str, Any]:
    """An archive bucket's policy with its own ARN rendered (for ``policy_eval``)."""
    archive_stack = synth.accounts.log_archive
    bucket = archive_stack.archive.buckets[purpose]  # type: ignore[index]
    assert bucket.policy is not None
    logical_id = archive_stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    document: dict[str, Any] = archive_stack.resolve(bucket.policy.document.to_json())
    for statement in document["Statement"]:
        resources = statement["Resource"]
        statement["Resource"] = [
            _resolve_arn(r, logical_id, bucket_arn)
            for r in (resources if isinstance(resources, list) else [resources])
        ]
    return document


def test_archive_admits_the_request_paths_logs_for_their_own_account_only(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    """#10: CloudFront standard logs v2 (log delivery service) and the Firehose streams of
    the WAF and API logs land in the WAF/API bucket, ALB access logs in the ALB bucket,
    each only for the organization's workload accounts and under their own prefix; no
    change to the archive was needed, and this proves it."""
    security = platform.account_id("security")
    org_id = platform.accounts.organization.organization_id
    tls = {"aws:SecureTransport": True, "s3:TlsVersion": 1.3}
    waf_bucket = naming.log_bucket_name("waf-api")
    waf_policy = _bucket_policy(synth, "waf-api", f"arn:aws:s3:::{waf_bucket}")
    alb_bucket = naming.log_bucket_name("alb")
    alb_policy = _bucket_policy(synth, "alb", f"arn:aws:s3:::{alb_bucket}")
    anything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }

    def put(
        policy: dict[str, Any],
        principal: Principal,
        key: str,
        bucket: str,
        context: dict[str, Any],
    ) -> bool:
        return authorize(
            Request(principal, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", {**tls, **context}),
            resource_policy=policy,
            resource_account=security,
            identity_policies=[] if principal.is_service else [anything],
        ).allowed

    delivery = Principal.of_service("delivery.logs.amazonaws.com")
    elb = Principal.of_service("logdelivery.elasticloadbalancing.amazonaws.com")
    for stage in synth.built.environments:
        env, account = stage.stage_name, stage.account
        assert account is not None
        own = {"aws:SourceOrgID": org_id, "aws:SourceAccount": account}
        cloudfront_key = f"cloudfront/{env}/AWSLogs/{account}/CloudFront/E1/2026/12/01/x.parquet"
        assert put(waf_policy, delivery, cloudfront_key, waf_bucket, own)
        outsider = {"aws:SourceOrgID": "o-other", "aws:SourceAccount": "999999999999"}
        assert not put(waf_policy, delivery, cloudfront_key, waf_bucket, outsider)

        role = Principal.role(account, f"innovate-{env}-firehose")
        in_org = {"aws:PrincipalOrgID": org_id}
        for scope in ("api", "cloudfront-waf"):
            key = f"firehose/{account}/{env}/{scope}/2026/12/01/00/stream-1"
            assert put(waf_policy, role, key, waf_bucket, in_org)
        other = next(a for a in naming.workload_account_ids.values() if a != account)
        assert not put(waf_policy, role, f"firehose/{other}/{env}/api/x", waf_bucket, in_org)
        assert not put(
            waf_policy,
            Principal.role("999999999999", "intruder"),
            "firehose/999999999999/x",
            waf_bucket,
            {"aws:PrincipalOrgID": "o-other"},
        )

        alb_key = f"alb/{env}/AWSLogs/{account}/elasticloadbalancing/eu-west-1/2026/12/01/x.gz"
        assert put(alb_policy, elb, alb_key, alb_bucket, {})
        assert not put(
            alb_policy, elb, "alb/x/AWSLogs/999999999999/elasticloadbalancing/x", alb_bucket, {}
        )
