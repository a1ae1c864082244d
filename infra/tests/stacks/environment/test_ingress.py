"""The API's entry per environment: REST API -> VPC link v2 -> internal ALB, the web ACL
on the stage, throttling, logs, the target group for the chart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig

from tests.helpers import ref, resources_of

ENVIRONMENTS = ["dev", "staging", "prod"]
Templates = dict[str, dict[str, Any]]


def ingress(templates: Templates, env: str) -> dict[str, Any]:
    return templates[f"innovate-{env}-ingress"]


def only(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = resources_of(template, cfn_type).items()
    return logical_id, resource["Properties"]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_only_api_proxy_is_exposed_over_the_vpc_link_to_the_alb(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = ingress(templates, env_name)
    resources = resources_of(template, "AWS::ApiGateway::Resource")
    assert sorted(r["Properties"]["PathPart"] for r in resources.values()) == [
        "api",
        "{proxy+}",
    ]
    _, method = only(template, "AWS::ApiGateway::Method")
    integration = method["Integration"]
    alb_id, _ = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    link_id, link = only(template, "AWS::ApiGatewayV2::VpcLink")
    assert method["HttpMethod"] == "ANY"
    assert integration["Type"] == "HTTP_PROXY"
    assert integration["ConnectionType"] == "VPC_LINK"
    assert ref(integration["ConnectionId"]) == link_id
    assert ref(integration["IntegrationTarget"]) == alb_id
    host = platform.environment(env_name).edge.api.alb_host_name
    assert integration["Uri"] == f"https://{host}/api/{{proxy}}"
    # The VPC link sits in the private subnets with its own security group.
    assert len(link["SubnetIds"]) == len(platform.environment(env_name).availability_zones)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_stage_logs_throttles_and_traces(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = ingress(templates, env_name)
    api = platform.environment(env_name).edge.api
    _, stage = only(template, "AWS::ApiGateway::Stage")
    assert stage["StageName"] == "live"
    assert stage["TracingEnabled"] is True
    assert '"status":"$context.status"' in stage["AccessLogSetting"]["Format"]
    # The encrypted group of the logging stack (a cross-stack export).
    assert "ApiAccessLogs" in json.dumps(stage["AccessLogSetting"]["DestinationArn"])
    [settings] = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == api.throttle_rate_limit
    assert settings["ThrottlingBurstLimit"] == api.throttle_burst_limit
    assert settings["DataTraceEnabled"] is False


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alb_is_internal_https_only_and_logged(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = ingress(templates, env_name)
    env = platform.environment(env_name)
    _, alb = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internal"
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == str(env.retain_stateful_resources).lower()
    assert attributes["access_logs.s3.enabled"] == "true"
    security = platform.account_id("security")
    assert attributes["access_logs.s3.bucket"] == f"innovate-logs-alb-{security}-eu-west-1"
    assert attributes["access_logs.s3.prefix"] == f"alb/{env_name}"
    [listener] = [
        r["Properties"]
        for r in resources_of(template, "AWS::ElasticLoadBalancingV2::Listener").values()
    ]
    assert listener["Protocol"] == "HTTPS"
    assert listener["Port"] == 443
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["Certificates"] == [{"CertificateArn": env.edge.api.alb_certificate_arn}]
    if env_name == "prod":
        assert attributes["deletion_protection.enabled"] == "true"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alb_admits_only_the_vpc_link(templates: Templates, env_name: str) -> None:
    template = ingress(templates, env_name)
    groups = resources_of(template, "AWS::EC2::SecurityGroup")
    _, alb = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    [alb_sg] = [ref(g) for g in alb["SecurityGroups"]]
    [link_sg] = [g for g in groups if g != alb_sg]
    assert "SecurityGroupIngress" not in groups[alb_sg]["Properties"]
    rules = [
        r["Properties"] for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
    ]
    ingress_rules = [r for r in rules if r["GroupId"] == {"Fn::GetAtt": [alb_sg, "GroupId"]}]
    # The only other rule this stack holds: the ALB into the pods (the cluster's group,
    # imported), on the API port only (stages.py::_connect).
    [to_pods] = [r for r in rules if r not in ingress_rules]
    assert to_pods["SourceSecurityGroupId"] == {"Fn::GetAtt": [alb_sg, "GroupId"]}
    assert (to_pods["FromPort"], to_pods["ToPort"]) == (8000, 8000)
    assert "ClusterSecurityGroupId" in to_pods["GroupId"]["Fn::ImportValue"]
    assert ingress_rules == [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "GroupId": {"Fn::GetAtt": [alb_sg, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [link_sg, "GroupId"]},
            "Description": "HTTPS from the API Gateway VPC link",
        }
    ]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_target_group_is_published_for_the_chart(templates: Templates, env_name: str) -> None:
    template = ingress(templates, env_name)
    tg_id, tg = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert tg["TargetType"] == "ip"
    assert tg["Port"] == 8000
    assert tg["HealthCheckPath"] == "/readyz"
    _, parameter = only(template, "AWS::SSM::Parameter")
    assert parameter["Name"] == f"/innovate/{env_name}/deploy/target-group-arn"
    assert ref(parameter["Value"]) == tg_id


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_api_web_acl_rules_and_association(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = ingress(templates, env_name)
    waf = platform.environment(env_name).edge.waf
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert list(rules) == [
        "RequireCloudFrontOrigin",
        "RateLimitSignInPerIp",
        "RateLimitPerIp",
        "BodySizeLimit",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    ]
    origin = rules["RequireCloudFrontOrigin"]["Statement"]["NotStatement"]["Statement"]
    match = origin["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"SingleHeader": {"Name": "x-origin-verify"}}
    assert match["PositionalConstraint"] == "EXACTLY"
    assert "resolve:secretsmanager" in str(match["SearchString"])
    login = rules["RateLimitSignInPerIp"]["Statement"]["RateBasedStatement"]
    assert login["Limit"] == waf.login_rate_limit_per_ip
    assert login["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == (
        "/api/v1/auth/login"
    )
    assert rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == (
        waf.rate_limit_per_ip
    )
    size = rules["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]
    assert size["Size"] == waf.body_size_limit_bytes
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    for name in ("RequireCloudFrontOrigin", "RateLimitSignInPerIp", "BodySizeLimit"):
        assert rules[name]["Action"] == {"Block": {}}
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert ref(association["WebACLArn"]) == acl_id
    _, logging = only(template, "AWS::WAFv2::LoggingConfiguration")
    assert ref(logging["ResourceArn"]) == acl_id


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_api_and_waf_logs_ship_to_the_archive_through_firehose(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = ingress(templates, env_name)
    account = platform.environment_account_id(platform.environment(env_name))
    stream_id, stream = only(template, "AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == (
        "CUSTOMER_MANAGED_CMK"
    )
    s3 = stream["ExtendedS3DestinationConfiguration"]
    security = platform.account_id("security")
    assert s3["BucketARN"] == f"arn:aws:s3:::aws-waf-logs-innovate-logs-{security}-eu-west-1"
    assert s3["Prefix"].startswith(f"firehose/{account}/{env_name}/api/")
    subscriptions = resources_of(template, "AWS::Logs::SubscriptionFilter")
    assert len(subscriptions) == 2  # the stage's access logs and the web ACL's logs
    for sub in subscriptions.values():
        assert ref(sub["Properties"]["DestinationArn"]) == stream_id


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_origin_secret_is_encrypted_and_replicated_to_us_east_1(
    templates: Templates, env_name: str
) -> None:
    template = ingress(templates, env_name)
    _, secret = only(template, "AWS::SecretsManager::Secret")
    assert secret["Name"] == f"innovate/{env_name}/origin-verify"
    assert secret["KmsKeyId"]
    assert secret["ReplicaRegions"] == [
        {"Region": "us-east-1", "KmsKeyId": f"alias/innovate/{env_name}/edge"}
    ]
    generate = secret["GenerateSecretString"]
    assert generate["GenerateStringKey"] == "value"
    assert generate["PasswordLength"] == 48


@pytest.mark.parametrize("stack", ["ingress", "edge"])
@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_log_shipping_roles_trust_only_this_accounts_service(
    templates: Templates, platform: PlatformConfig, env_name: str, stack: str
) -> None:
    """Firehose (for this account's streams, sts:ExternalId) and CloudWatch Logs (for this
    account's log groups) may assume the roles; the same services for another account,
    and people, may not."""
    from innovate_infra.compliance.policy_eval import Principal, Request, authorize

    template = templates[f"innovate-{env_name}-{stack}"]
    account = platform.environment_account_id(platform.environment(env_name))
    region = "eu-west-1" if stack == "ingress" else "us-east-1"
    roles = resources_of(template, "AWS::IAM::Role")

    def trust_of(service: str) -> dict[str, Any]:
        [trust] = [
            r["Properties"]["AssumeRolePolicyDocument"]
            for r in roles.values()
            if service in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
        ]
        return trust

    def assume(trust: dict[str, Any], principal: Principal, context: dict[str, Any]) -> bool:
        return authorize(
            Request(principal, "sts:AssumeRole", "role", context),
            resource_policy=trust,
            resource_account=account,
            resource_policy_required=True,
        ).allowed

    firehose = Principal.of_service("firehose.amazonaws.com")
    delivery = trust_of("firehose.amazonaws.com")
    assert assume(delivery, firehose, {"sts:ExternalId": account})
    assert not assume(delivery, firehose, {"sts:ExternalId": "999999999999"})
    assert not assume(delivery, firehose, {})

    logs = Principal.of_service("logs.amazonaws.com")
    subscription = trust_of("logs.amazonaws.com")
    own = {
        "aws:SourceAccount": account,
        "aws:SourceArn": f"arn:aws:logs:{region}:{account}:log-group:aws-waf-logs-x:*",
    }
    assert assume(subscription, logs, own)
    assert not assume(
        subscription,
        logs,
        {
            "aws:SourceAccount": "999999999999",
            "aws:SourceArn": f"arn:aws:logs:{region}:999999999999:log-group:x:*",
        },
    )
    assert not assume(subscription, Principal.role(account, "developer"), own)
