"""Every policy of the environment stacks, evaluated (compliance/policy_eval.py): may this
principal, with this request context, do this action on this resource? For each key
policy, endpoint policy, topic policy, role trust and role policy, the principals that
must pass pass, and the ones that must be refused (developers and engineers with
PowerUserAccess, other accounts, other services, other environments) are refused.

These are the tests of issue #8 items 5 (key administration), 6 (endpoint policies) and
9 (the alarm topic), and of the "evaluate, don't read" review of the environment stacks.
"""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import (
    Decision,
    Principal,
    PrincipalMatch,
    Request,
    TemplateContext,
    authorize,
    evaluate_document,
    resolve,
)
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.aws_managed_policies import ADMINISTRATOR_ACCESS, POWER_USER_ACCESS
from tests.helpers import resources_of

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]
PURPOSES = ["logs", "data", "secrets", "cluster", "alarms"]
REGION = "eu-west-1"
OTHER_ACCOUNT = "999999999999"
ORG = "o-exampleorg1"
FOREIGN_ORG = "o-foreignorg99"
SSO_PATH = f"/aws-reserved/sso.amazonaws.com/{REGION}/"


@pytest.fixture(params=ENVIRONMENTS)
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def account_of(platform: PlatformConfig, env: str) -> str:
    return platform.environment_account_id(platform.environment(env))


def exports_of(templates: Templates) -> dict[str, str]:
    """Every export of every template, valued by a readable placeholder of what it exports."""
    result: dict[str, str] = {}
    for template in templates.values():
        for output in template.get("Outputs", {}).values():
            export = output.get("Export", {}).get("Name")
            if isinstance(export, str):
                result[export] = f"<{export}>"
    return result


def people(account: str) -> dict[str, Principal]:
    """The human roles Identity Center creates in a workload account."""
    return {
        "developer": Principal.role(account, "AWSReservedSSO_Developer_0a1b2c3d", path=SSO_PATH),
        "engineer": Principal.role(
            account, "AWSReservedSSO_PlatformEngineer_4e5f6a7b", path=SSO_PATH
        ),
    }


def deployer(naming: Naming, account: str) -> Principal:
    return Principal(arn=naming.cdk_exec_role_arn(account, REGION))


def break_glass(account: str) -> Principal:
    return Principal.role(account, "AWSReservedSSO_BreakGlassAdmin_99aa88bb", path=SSO_PATH)


# --------------------------------------------------------------------------- keys


def key_policies(templates: Templates, env: str) -> dict[str, dict[str, Any]]:
    template = templates[f"innovate-{env}-keys"]
    keys = resources_of(template, "AWS::KMS::Key")
    result = {}
    for alias in resources_of(template, "AWS::KMS::Alias").values():
        purpose = alias["Properties"]["AliasName"].rsplit("/", 1)[1]
        key = keys[alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]]
        result[purpose] = key["Properties"]["KeyPolicy"]
    return result


def key_decision(
    policy: dict[str, Any],
    principal: Principal,
    action: str,
    account: str,
    *,
    identity: list[dict[str, Any]] | None = None,
    context: dict[str, Any] | None = None,
) -> Decision:
    return authorize(
        Request(principal, action, f"arn:aws:kms:{REGION}:{account}:key/k", context or {}),
        resource_policy=policy,
        resource_account=account,
        identity_policies=identity or [],
        resource_policy_required=True,
    )


def test_every_environment_has_one_key_per_purpose(templates: Templates, env_name: str) -> None:
    assert sorted(key_policies(templates, env_name)) == sorted(PURPOSES)


@pytest.mark.parametrize(
    "action",
    [
        "kms:PutKeyPolicy",
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ScheduleKeyDeletion",
        "kms:DisableKey",
        "kms:CreateAlias",
    ],
)
def test_power_users_cannot_administer_use_or_grant_any_key_directly(
    templates: Templates, platform: PlatformConfig, env_name: str, action: str
) -> None:
    """Item 5: PowerUserAccess (kms:*) in Development and Production neither changes a key
    policy, nor creates a grant, nor decrypts outside the approved services."""
    account = account_of(platform, env_name)
    for purpose, policy in key_policies(templates, env_name).items():
        for who, principal in people(account).items():
            decision = key_decision(
                policy, principal, action, account, identity=[POWER_USER_ACCESS]
            )
            assert not decision.allowed, f"{env_name}/{purpose}: {who} may {action}"


@pytest.mark.parametrize(
    "action",
    [
        "kms:PutKeyPolicy",
        "kms:GetKeyPolicy",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:UpdateKeyDescription",
        "kms:ListResourceTags",
    ],
)
def test_deployment_role_and_break_glass_administer_every_key(
    templates: Templates,
    platform: PlatformConfig,
    naming: Naming,
    env_name: str,
    action: str,
) -> None:
    """Without these the next deploy fails (CloudFormation updates the policy, tags,
    rotation and aliases as the execution role) and the key could become unmanageable."""
    account = account_of(platform, env_name)
    for purpose, policy in key_policies(templates, env_name).items():
        for principal in (deployer(naming, account), break_glass(account)):
            decision = key_decision(
                policy, principal, action, account, identity=[ADMINISTRATOR_ACCESS]
            )
            assert decision.allowed, f"{env_name}/{purpose}: {principal.arn} {action}"


@pytest.mark.parametrize("action", ["kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"])
def test_administrators_do_not_use_keys_or_grant(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str, action: str
) -> None:
    account = account_of(platform, env_name)
    for purpose, policy in key_policies(templates, env_name).items():
        decision = key_decision(
            policy, deployer(naming, account), action, account, identity=[ADMINISTRATOR_ACCESS]
        )
        assert not decision.allowed, f"{env_name}/{purpose}: deployer may {action}"


def test_the_same_role_names_in_another_account_get_nothing(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str
) -> None:
    account = account_of(platform, env_name)
    outsiders = [
        deployer(naming, OTHER_ACCOUNT),
        break_glass(OTHER_ACCOUNT),
        *people(OTHER_ACCOUNT).values(),
    ]
    for purpose, policy in key_policies(templates, env_name).items():
        for principal in outsiders:
            for action in ("kms:PutKeyPolicy", "kms:Decrypt", "kms:DescribeKey"):
                context = {
                    "kms:CallerAccount": OTHER_ACCOUNT,
                    "kms:ViaService": f"s3.{REGION}.amazonaws.com",
                }
                decision = key_decision(
                    policy,
                    principal,
                    action,
                    account,
                    identity=[ADMINISTRATOR_ACCESS],
                    context=context,
                )
                assert not decision.allowed, f"{purpose}: {principal.arn} {action}"


def test_account_principals_read_key_metadata(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    developer = people(account)["developer"]
    for purpose, policy in key_policies(templates, env_name).items():
        for action in ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListResourceTags"):
            decision = key_decision(
                policy, developer, action, account, identity=[POWER_USER_ACCESS]
            )
            assert decision.allowed, f"{purpose}: {action}"


@pytest.mark.parametrize(
    ("purpose", "services", "grants"),
    [
        ("data", ["s3", "rds", "ec2", "backup"], True),
        ("secrets", ["secretsmanager", "ssm"], True),
        ("cluster", ["eks"], True),
    ],
)
def test_workloads_use_keys_only_through_their_services(
    templates: Templates,
    platform: PlatformConfig,
    env_name: str,
    purpose: str,
    services: list[str],
    grants: bool,
) -> None:
    account = account_of(platform, env_name)
    policy = key_policies(templates, env_name)[purpose]
    workload = Principal.role(account, "workload-role")
    admin = [ADMINISTRATOR_ACCESS]
    for service in services:
        via = {"kms:CallerAccount": account, "kms:ViaService": f"{service}.{REGION}.amazonaws.com"}
        assert key_decision(
            policy, workload, "kms:Decrypt", account, identity=admin, context=via
        ).allowed
        assert key_decision(
            policy, workload, "kms:GenerateDataKey", account, identity=admin, context=via
        ).allowed
        grant = key_decision(
            policy,
            workload,
            "kms:CreateGrant",
            account,
            identity=admin,
            context={**via, "kms:GrantIsForAWSResource": True},
        )
        assert grant.allowed is grants
        # A grant for a principal rather than an AWS resource: refused.
        assert not key_decision(
            policy,
            workload,
            "kms:CreateGrant",
            account,
            identity=admin,
            context={**via, "kms:GrantIsForAWSResource": False},
        ).allowed
    # Through any other service, or directly: refused.
    other = {"kms:CallerAccount": account, "kms:ViaService": f"lambda.{REGION}.amazonaws.com"}
    assert not key_decision(
        policy, workload, "kms:Decrypt", account, identity=admin, context=other
    ).allowed
    assert not key_decision(policy, workload, "kms:Decrypt", account, identity=admin).allowed


def test_logs_key_serves_only_cloudwatch_logs_of_this_account(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    policy = key_policies(templates, env_name)["logs"]
    logs = Principal.of_service(f"logs.{REGION}.amazonaws.com")
    group = f"arn:aws:logs:{REGION}:{account}:log-group:/innovate/{env_name}/vpc/flow-logs"
    context = {"kms:EncryptionContext:aws:logs:arn": group}
    for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"):
        assert key_decision(policy, logs, action, account, context=context).allowed, action
    foreign = f"arn:aws:logs:{REGION}:{OTHER_ACCOUNT}:log-group:stolen"
    assert not key_decision(
        policy,
        logs,
        "kms:Decrypt",
        account,
        context={"kms:EncryptionContext:aws:logs:arn": foreign},
    ).allowed
    # No encryption context (a direct Decrypt), another region's Logs, another service.
    assert not key_decision(policy, logs, "kms:Decrypt", account).allowed
    other_region = Principal.of_service("logs.us-east-1.amazonaws.com")
    assert not key_decision(policy, other_region, "kms:Decrypt", account, context=context).allowed
    s3 = Principal.of_service("s3.amazonaws.com")
    assert not key_decision(policy, s3, "kms:Decrypt", account, context=context).allowed


def test_alarms_key_serves_only_this_environments_alarms(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    policy = key_policies(templates, env_name)["alarms"]
    cloudwatch = Principal.of_service("cloudwatch.amazonaws.com")

    def alarm(env: str, account_id: str = account) -> dict[str, Any]:
        return {
            "aws:SourceAccount": account_id,
            "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{account_id}:alarm:innovate-{env}-x",
        }

    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert key_decision(policy, cloudwatch, action, account, context=alarm(env_name)).allowed
    # dev and staging share the Development account: neither may use the other's key.
    for other in set(ENVIRONMENTS) - {env_name}:
        assert not key_decision(
            policy, cloudwatch, "kms:GenerateDataKey", account, context=alarm(other)
        ).allowed
    assert not key_decision(
        policy,
        cloudwatch,
        "kms:GenerateDataKey",
        account,
        context=alarm(env_name, OTHER_ACCOUNT),
    ).allowed
    assert not key_decision(policy, cloudwatch, "kms:GenerateDataKey", account).allowed
    events = Principal.of_service("events.amazonaws.com")
    assert not key_decision(
        policy, events, "kms:GenerateDataKey", account, context=alarm(env_name)
    ).allowed


# --------------------------------------------------------------------------- alarm topic


def topic_policy(templates: Templates, env: str) -> dict[str, Any]:
    template = templates[f"innovate-{env}-monitoring"]
    [policy] = resources_of(template, "AWS::SNS::TopicPolicy").values()
    [topic_id] = resources_of(template, "AWS::SNS::Topic")
    return dict(
        resolve(
            policy["Properties"]["PolicyDocument"],
            TemplateContext(account="-", region=REGION, references={topic_id: "TOPIC"}),
        )
    )


def test_alarm_topic_admits_only_this_environments_alarms_over_tls(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    policy = topic_policy(templates, env_name)
    cloudwatch = Principal.of_service("cloudwatch.amazonaws.com")

    def publish(principal: Principal, **context: Any) -> Decision:
        return authorize(
            Request(principal, "sns:Publish", "TOPIC", {"aws:SecureTransport": True, **context}),
            resource_policy=policy,
            resource_account=account,
        )

    own = (
        f"arn:aws:cloudwatch:{REGION}:{account}:alarm:innovate-{env_name}-network-firewall-blocked"
    )
    assert publish(cloudwatch, **{"aws:SourceAccount": account, "aws:SourceArn": own}).allowed
    other_env = own.replace(f"innovate-{env_name}-", "innovate-other-")
    assert not publish(
        cloudwatch, **{"aws:SourceAccount": account, "aws:SourceArn": other_env}
    ).allowed
    assert not publish(
        cloudwatch, **{"aws:SourceAccount": OTHER_ACCOUNT, "aws:SourceArn": own}
    ).allowed
    assert not publish(Principal.role(OTHER_ACCOUNT, "x")).allowed
    plain = authorize(
        Request(
            cloudwatch,
            "sns:Publish",
            "TOPIC",
            {"aws:SecureTransport": False, "aws:SourceAccount": account, "aws:SourceArn": own},
        ),
        resource_policy=policy,
        resource_account=account,
    )
    assert plain is Decision.EXPLICIT_DENY


# --------------------------------------------------------------------------- network


def network_template(templates: Templates, env: str) -> dict[str, Any]:
    return templates[f"innovate-{env}-network"]


def endpoint_policies(templates: Templates, env: str) -> dict[str, dict[str, Any]]:
    """Service (``s3``, ``sts``, ``ecr.api``...) -> endpoint policy document."""
    result = {}
    for endpoint in resources_of(
        network_template(templates, env), "AWS::EC2::VPCEndpoint"
    ).values():
        props = endpoint["Properties"]
        name = props["ServiceName"]
        # The gateway endpoint's service name is a Join of the region: only S3 has one.
        service = name.replace(f"com.amazonaws.{REGION}.", "") if isinstance(name, str) else "s3"
        assert "PolicyDocument" in props, f"{env}: {service} endpoint has no policy"
        result[service] = props["PolicyDocument"]
    return result


def through_endpoint(policy: dict[str, Any], request: Request) -> bool:
    """An endpoint policy admits a request when it allows it (naming the caller, or '*')
    and denies nothing; identity and resource policies are decided elsewhere."""
    result = evaluate_document(policy, request, resource_policy=True)
    return not result.denied and result.allowed is PrincipalMatch.DIRECT


def org_context(principal_org: str | None, resource_org: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if principal_org:
        context["aws:PrincipalOrgID"] = principal_org
    if resource_org:
        context["aws:ResourceOrgID"] = resource_org
    return context


def test_every_endpoint_has_a_policy(templates: Templates, env_name: str) -> None:
    assert sorted(endpoint_policies(templates, env_name)) == sorted(
        [
            "s3",
            "ecr.api",
            "ecr.dkr",
            "sts",
            "secretsmanager",
            "logs",
            "kms",
            *CLUSTER_ENDPOINT_ACTIONS,
            *SESSION_CHANNELS,
        ]
    )


# The cluster's endpoints (issue #9), with an action that writes to a resource.
CLUSTER_ENDPOINT_ACTIONS = {
    "ec2": ("ec2:CreateTags", "arn:aws:ec2:x:y:instance/i-1"),
    "eks": ("eks:DescribeCluster", "arn:aws:eks:x"),
    "eks-auth": ("eks-auth:AssumeRoleForPodIdentity", "arn:aws:eks:x"),
    "ssm": ("ssm:PutParameter", "arn:aws:ssm:x"),
    "elasticloadbalancing": ("elasticloadbalancing:AddTags", "arn:aws:elasticloadbalancing:x"),
    "autoscaling": ("autoscaling:UpdateAutoScalingGroup", "arn:aws:autoscaling:x"),
    "sqs": ("sqs:SendMessage", "arn:aws:sqs:x"),
}
# Session Manager's channels have no resource types: bound by the principal only.
SESSION_CHANNELS = ("ssmmessages", "ec2messages")


def test_endpoints_admit_the_organization_to_its_own_resources_only(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    workload = Principal.role(account, "workload-role")
    actions = {
        "s3": ("s3:PutObject", "arn:aws:s3:::some-bucket/key"),
        "sts": ("sts:AssumeRole", f"arn:aws:iam::{OTHER_ACCOUNT}:role/r"),
        "secretsmanager": ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:x"),
        "logs": ("logs:PutLogEvents", "arn:aws:logs:x"),
        "kms": ("kms:Decrypt", "arn:aws:kms:x"),
        "ecr.api": ("ecr:PutImage", "arn:aws:ecr:x"),
        "ecr.dkr": ("ecr:PutImage", "arn:aws:ecr:x"),
        **CLUSTER_ENDPOINT_ACTIONS,
    }
    for service, policy in endpoint_policies(templates, env_name).items():
        if service in SESSION_CHANNELS:
            continue
        action, resource = actions[service]

        def admitted(principal: Principal, context: dict[str, Any]) -> bool:
            return through_endpoint(policy, Request(principal, action, resource, context))  # noqa: B023

        assert admitted(workload, org_context(ORG, ORG)), service
        # Exfiltration: our principal writing to another organization's resource, or to
        # a resource outside any organization.
        assert not admitted(workload, org_context(ORG, FOREIGN_ORG)), service
        assert not admitted(workload, org_context(ORG, None)), service
        # Someone else's credentials used from inside our VPC.
        outsider = Principal.role(OTHER_ACCOUNT, "attacker")
        assert not admitted(outsider, org_context(FOREIGN_ORG, ORG)), service
        assert not admitted(outsider, org_context(None, ORG)), service
        # AWS services acting on their own behalf pass.
        aws_service = Principal.of_service("ec2.amazonaws.com")
        assert admitted(aws_service, {}), service


def test_s3_endpoint_admits_only_the_documented_aws_owned_buckets(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    policy = endpoint_policies(templates, env_name)["s3"]
    workload = Principal.role(account_of(platform, env_name), "workload-role")
    anonymous = Principal(arn="arn:aws:iam::602401143452:role/ecr-presigner")

    def admitted(principal: Principal, action: str, bucket_key: str) -> bool:
        return through_endpoint(policy, Request(principal, action, f"arn:aws:s3:::{bucket_key}"))

    for readable in (
        f"prod-{REGION}-starport-layer-bucket/sha256/layer",
        f"al2023-repos-{REGION}-de612dc2/core/mirrors",
        f"amazonlinux-2-repos-{REGION}/2/core",
        f"amazon-ssm-{REGION}/latest/linux_amd64/amazon-ssm-agent.rpm",
        f"amazoncloudwatch-agent-{REGION}/amazon_linux/amd64/latest",
        f"prod-registry-k8s-io-{REGION}/containers/images/sha256",
    ):
        assert admitted(anonymous, "s3:GetObject", readable), readable
        assert admitted(workload, "s3:GetObject", readable), readable
        assert not admitted(workload, "s3:PutObject", readable), readable
    response = f"cloudformation-custom-resource-response-{REGION.replace('-', '')}/presigned"
    assert admitted(anonymous, "s3:PutObject", response)
    # Lookalikes and other regions' buckets are not exceptions.
    for refused in (
        f"prod-{REGION}-starport-layer-bucket-evil/x",
        "prod-us-east-1-starport-layer-bucket/x",
        "attacker-bucket/x",
        f"al2023-repos-{REGION}-00000000/x",
    ):
        assert not admitted(workload, "s3:GetObject", refused), refused
    assert not admitted(workload, "s3:PutObject", "cloudformation-custom-resource-response-x/y")


def test_sts_endpoint_admits_pod_identities_into_organization_roles_only(
    templates: Templates, env_name: str
) -> None:
    policy = endpoint_policies(templates, env_name)["sts"]
    pod = Principal(federated="arn:aws:iam::333333333333:oidc-provider/oidc.eks.eu-west-1/id/X")

    def assume(context: dict[str, Any], action: str = "sts:AssumeRoleWithWebIdentity") -> bool:
        return through_endpoint(
            policy, Request(pod, action, "arn:aws:iam::333333333333:role/pod", context)
        )

    assert assume({"aws:ResourceOrgID": ORG})
    assert not assume({"aws:ResourceOrgID": FOREIGN_ORG})
    assert not assume({})
    assert not assume({"aws:ResourceOrgID": ORG}, "sts:AssumeRoleWithSAML")
    for other in ("s3", "kms", "logs", "secretsmanager"):
        assert not through_endpoint(
            endpoint_policies(templates, env_name)[other],
            Request(pod, "sts:AssumeRoleWithWebIdentity", "*", {"aws:ResourceOrgID": ORG}),
        )


def test_ecr_endpoints_admit_pulls_of_aws_owned_images_not_pushes(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    workload = Principal.role(account_of(platform, env_name), "node-role")
    aws_repo = f"arn:aws:ecr:{REGION}:602401143452:repository/amazon-k8s-cni"
    for service in ("ecr.api", "ecr.dkr"):
        policy = endpoint_policies(templates, env_name)[service]
        for action in (
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:GetAuthorizationToken",
        ):
            assert through_endpoint(
                policy, Request(workload, action, aws_repo, org_context(ORG, None))
            ), action
        assert not through_endpoint(
            policy, Request(workload, "ecr:PutImage", aws_repo, org_context(ORG, FOREIGN_ORG))
        )
        outsider = Principal.role(OTHER_ACCOUNT, "x")
        assert not through_endpoint(
            policy, Request(outsider, "ecr:BatchGetImage", aws_repo, org_context(FOREIGN_ORG, None))
        )


def test_cluster_endpoints_admit_what_nodes_and_karpenter_do_with_aws_owned_resources(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    """Launching from an AWS-owned AMI, describing, reading AWS's public parameters, the
    SSM agent and Session Manager channels: no resource of this organization is named, so
    the principal's organization is what the endpoint checks."""
    policies = endpoint_policies(templates, env_name)
    node = Principal.role(account_of(platform, env_name), "node-role")
    outsider = Principal.role(OTHER_ACCOUNT, "attacker")
    ami = f"arn:aws:ec2:{REGION}::image/ami-0123"
    public_parameter = (
        f"arn:aws:ssm:{REGION}::parameter/aws/service/bottlerocket/"
        "aws-k8s-1.35/arm64/latest/image_id"
    )
    cases = [
        ("ec2", "ec2:RunInstances", ami),
        ("ec2", "ec2:DescribeInstanceTypes", "*"),
        ("ssm", "ssm:GetParameter", public_parameter),
        ("ssm", "ssm:UpdateInstanceInformation", "*"),
        ("elasticloadbalancing", "elasticloadbalancing:DescribeLoadBalancers", "*"),
        ("ssmmessages", "ssmmessages:OpenDataChannel", "*"),
        ("ec2messages", "ec2messages:GetMessages", "*"),
    ]
    for service, action, resource in cases:
        policy = policies[service]
        assert through_endpoint(policy, Request(node, action, resource, org_context(ORG, None))), (
            action
        )
        assert not through_endpoint(
            policy, Request(outsider, action, resource, org_context(FOREIGN_ORG, None))
        ), action
        assert not through_endpoint(policy, Request(outsider, action, resource, {})), action
    # The exceptions are narrow: another account's parameter, or a write outside the
    # organization, is still refused.
    foreign_parameter = f"arn:aws:ssm:{REGION}:{OTHER_ACCOUNT}:parameter/x"
    assert not through_endpoint(
        policies["ssm"],
        Request(node, "ssm:GetParameter", foreign_parameter, org_context(ORG, FOREIGN_ORG)),
    )
    assert not through_endpoint(
        policies["ec2"], Request(node, "ec2:CreateTags", "*", org_context(ORG, FOREIGN_ORG))
    )


def flow_log_role(templates: Templates, env: str) -> dict[str, Any]:
    roles = resources_of(network_template(templates, env), "AWS::IAM::Role")
    [role] = [
        r
        for r in roles.values()
        if "vpc-flow-logs.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    return role


def test_flow_log_role_is_trusted_by_this_accounts_flow_logs_only(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    trust = flow_log_role(templates, env_name)["Properties"]["AssumeRolePolicyDocument"]
    flow_logs = Principal.of_service("vpc-flow-logs.amazonaws.com")
    own = {
        "aws:SourceAccount": account,
        "aws:SourceArn": f"arn:aws:ec2:{REGION}:{account}:vpc-flow-log/fl-0123",
    }

    def assume(principal: Principal, context: dict[str, Any]) -> bool:
        return authorize(
            Request(principal, "sts:AssumeRole", "role", context),
            resource_policy=trust,
            resource_account=account,
            identity_policies=[ADMINISTRATOR_ACCESS],
            resource_policy_required=True,
        ).allowed

    assert assume(flow_logs, own)
    # Confused deputy: the flow-logs service acting for another account.
    assert not assume(
        flow_logs,
        {
            "aws:SourceAccount": OTHER_ACCOUNT,
            "aws:SourceArn": f"arn:aws:ec2:{REGION}:{OTHER_ACCOUNT}:vpc-flow-log/fl-1",
        },
    )
    assert not assume(flow_logs, {})
    assert not assume(Principal.of_service("ec2.amazonaws.com"), own)
    assert not assume(people(account)["developer"], own)


def test_flow_log_role_writes_to_its_log_group_only(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    template = network_template(templates, env_name)
    [managed] = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    role = flow_log_role(templates, env_name)
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Ref": next(iter(resources_of(template, "AWS::IAM::ManagedPolicy")))}
    ]
    assert "Policies" not in role["Properties"]
    exports = exports_of(templates)
    [flow_group_export] = [
        e
        for e in exports
        if e.startswith(f"innovate-{env_name}-logging:") and "VpcFlowLogs" in e and "Arn" in e
    ]
    group_arn = f"arn:aws:logs:{REGION}:{account}:log-group:/innovate/{env_name}/vpc/flow-logs:*"
    document = resolve(
        managed["Properties"]["PolicyDocument"],
        TemplateContext(account=account, region=REGION, exports={flow_group_export: group_arn}),
    )
    flow_logs_role = Principal.role(account, "flow-logs-delivery")

    def may(action: str, resource: str) -> bool:
        return authorize(
            Request(flow_logs_role, action, resource), identity_policies=[document]
        ).allowed

    assert may("logs:PutLogEvents", group_arn)
    assert may("logs:CreateLogStream", group_arn)
    other = f"arn:aws:logs:{REGION}:{account}:log-group:/innovate/{env_name}/other:*"
    assert not may("logs:PutLogEvents", other)
    assert not may("logs:DeleteLogGroup", group_arn)
    assert not may("s3:GetObject", "*")
