"""Which CloudFormation resource types cost money, and how each is priced.

Every resource type in the synthesized templates must be in exactly one of two explicit
sets: ``BILLABLE`` (a rule that turns the resource into priced lines: hourly or monthly
quantities read from its properties, plus the usage keys it incurs) or ``FREE`` (with the
reason it costs nothing by itself). A type in neither fails the report: nothing silently
costs zero. Prices come from ``prices.yaml``; assumed volumes from
``infra/config/cost/usage.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from innovate_infra.cost.prices import CostError, PriceTable

Resource = Mapping[str, Any]
Template = Mapping[str, Any]
FixedFn = Callable[[Resource, Template, PriceTable], Sequence["Fixed"]]


@dataclass(frozen=True)
class Fixed:
    """A quantity that accrues whatever the traffic: ``count`` units for every hour of the
    month (``hourly``) or once a month."""

    label: str
    price: float
    unit: str
    count: float
    hourly: bool


@dataclass(frozen=True)
class Rule:
    fixed: Callable[[Resource, Template, PriceTable], Sequence[Fixed]] = field(
        default=lambda _r, _t, _p: ()
    )
    usage: tuple[tuple[str, str], ...] = ()
    """(usage key in usage.yaml, price key in prices.yaml)."""


def _props(resource: Resource) -> Mapping[str, Any]:
    props: Mapping[str, Any] = resource.get("Properties", {})
    return props


def _intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Condition")
    ) or (isinstance(value, dict) and any(str(k).startswith("Fn::") for k in value))


def _literal(resource: Resource, name: str, default: Any = None) -> Any:
    """A property the estimate depends on; an unresolved intrinsic cannot be priced."""
    value = _props(resource).get(name, default)
    if _intrinsic(value) or (
        isinstance(value, dict) and any(_intrinsic(v) for v in value.values())
    ):
        raise CostError(
            f"{resource['Type']}: property {name} is {value}, not a literal: the estimate "
            "cannot count it (give the construct a literal value)"
        )
    return value


def _length(resource: Resource, name: str) -> int:
    value = _props(resource).get(name)
    if not isinstance(value, list):
        raise CostError(f"{resource['Type']}: property {name} is not a list: cannot count it")
    return len(value)


def hourly(
    price_key: str, label: str, count: Callable[[Resource], float] = lambda _r: 1
) -> FixedFn:
    def fixed(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
        price = prices.price(price_key)
        return [Fixed(label, price.usd, price.unit, count(resource), hourly=True)]

    return fixed


def monthly(
    price_key: str, label: str, count: Callable[[Resource], float] = lambda _r: 1
) -> FixedFn:
    def fixed(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
        price = prices.price(price_key)
        return [Fixed(label, price.usd, price.unit, count(resource), hourly=False)]

    return fixed


def _vpc_endpoint(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    kind = _literal(resource, "VpcEndpointType", "Gateway")
    if kind == "Gateway":
        return []  # S3 and DynamoDB gateway endpoints have no charge
    if kind != "Interface":
        raise CostError(f"AWS::EC2::VPCEndpoint: no price for endpoint type {kind!r}")
    price = prices.price("interface_endpoint_az_hour")
    azs = _length(resource, "SubnetIds")
    return [Fixed("interface endpoint, per AZ", price.usd, price.unit, azs, hourly=True)]


def _instance(prices: PriceTable, instance_type: str, count: float, what: str) -> Fixed:
    price = prices.instance("ec2_instance_hour", instance_type)
    return Fixed(f"{what} {instance_type}", price.usd, "instance-hour", count, hourly=True)


def _nodegroup(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    scaling = _literal(resource, "ScalingConfig", {}) or {}
    minimum = scaling.get("MinSize", scaling.get("DesiredSize", 1))
    types = _literal(resource, "InstanceTypes") or ["t3.medium"]  # EKS's default
    disk = _literal(resource, "DiskSize", 20)
    gp3 = prices.price("ebs_gp3_gb_month")
    return [
        _instance(prices, types[0], minimum, "EKS nodes (minimum) of"),
        Fixed("node root volumes", gp3.usd, gp3.unit, minimum * disk, hourly=False),
    ]


def _auto_scaling_group(
    resource: Resource, template: Template, prices: PriceTable
) -> Sequence[Fixed]:
    minimum = int(_literal(resource, "MinSize", 0))
    spec = _props(resource).get("LaunchTemplate") or {}
    ref = spec.get("LaunchTemplateId", {})
    logical = ref.get("Ref") if isinstance(ref, dict) else None
    launch = template.get("Resources", {}).get(logical or "", {})
    data = _props(launch).get("LaunchTemplateData", {}) if launch else {}
    instance_type = data.get("InstanceType")
    if not isinstance(instance_type, str):
        raise CostError(
            "AWS::AutoScaling::AutoScalingGroup: its instance type is not a literal of a "
            "launch template in the same stack: the estimate cannot price it"
        )
    return [_instance(prices, instance_type, minimum, "Auto Scaling (minimum) of")]


def _ec2_instance(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    return [_instance(prices, _literal(resource, "InstanceType", "m1.small"), 1, "EC2")]


def _multi_az(resource: Resource) -> int:
    value = _literal(resource, "MultiAZ", False)
    return 2 if value in (True, "true", "True") else 1


def _db_instance(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    klass = _literal(resource, "DBInstanceClass")
    if not isinstance(klass, str):
        raise CostError("AWS::RDS::DBInstance: DBInstanceClass is missing: cannot price it")
    copies = _multi_az(resource)
    price = prices.instance("rds_instance_hour", klass)
    lines = [
        Fixed(
            f"database {klass}" + (" Multi-AZ" if copies == 2 else ""),
            price.usd,
            "instance-hour",
            copies,
            hourly=True,
        )
    ]
    if _props(resource).get("DBClusterIdentifier") is None:  # Aurora storage is the cluster's
        storage = _literal(resource, "StorageType", "gp2")
        size = float(_literal(resource, "AllocatedStorage", 20))
        key = {"gp3": "rds_gp3_gb_month", "gp2": "rds_gp2_gb_month"}.get(storage)
        if key is None:
            raise CostError(f"AWS::RDS::DBInstance: no price for storage type {storage!r}")
        gb = prices.price(key)
        lines.append(Fixed(f"database storage {storage}", gb.usd, gb.unit, size * copies, False))
    return lines


def _load_balancer(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    kind = _literal(resource, "Type", "application")
    key = {"application": "alb_hour", "network": "nlb_hour"}.get(kind)
    if key is None:
        raise CostError(f"AWS::ElasticLoadBalancingV2::LoadBalancer: no price for {kind!r}")
    price = prices.price(key)
    return [Fixed(f"{kind} load balancer", price.usd, price.unit, 1, hourly=True)]


def _web_acl(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    acl = prices.price("waf_web_acl_month")
    rule = prices.price("waf_rule_month")
    rules = len(_props(resource).get("Rules", []) or [])
    return [
        Fixed("WAF web ACL", acl.usd, acl.unit, 1, hourly=False),
        Fixed("WAF rules", rule.usd, rule.unit, rules, hourly=False),
    ]


def _pipeline(resource: Resource, _t: Template, prices: PriceTable) -> Sequence[Fixed]:
    if _literal(resource, "PipelineType", "V1") == "V2":
        return []  # V2 is priced per action minute (usage)
    price = prices.price("codepipeline_v1_month")
    return [Fixed("V1 pipeline", price.usd, price.unit, 1, hourly=False)]


def _firewall_endpoints(resource: Resource) -> int:
    return _length(resource, "SubnetMappings")


LOGS = (("logs_ingest_gb", "logs_ingest_gb"), ("logs_stored_gb", "logs_storage_gb_month"))

BILLABLE: dict[str, Rule] = {
    # networking
    "AWS::EC2::NatGateway": Rule(
        hourly("nat_gateway_hour", "NAT gateway"), (("nat_gb", "nat_gateway_gb"),)
    ),
    "AWS::EC2::EIP": Rule(hourly("public_ipv4_hour", "public IPv4 address (Elastic IP)")),
    "AWS::NetworkFirewall::Firewall": Rule(
        hourly("firewall_endpoint_hour", "Network Firewall endpoint", _firewall_endpoints),
        (("firewall_gb", "firewall_gb"),),
    ),
    "AWS::EC2::VPCEndpoint": Rule(
        _vpc_endpoint, (("interface_endpoint_gb", "interface_endpoint_gb"),)
    ),
    "AWS::EC2::FlowLog": Rule(usage=(("vended_logs_gb", "vended_logs_s3_gb"),)),
    "AWS::NetworkFirewall::LoggingConfiguration": Rule(
        usage=(("vended_logs_gb", "vended_logs_s3_gb"),)
    ),
    "AWS::Route53Resolver::FirewallRuleGroupAssociation": Rule(
        usage=(("dns_million_queries", "dns_firewall_million_queries"),)
    ),
    "AWS::Route53::HostedZone": Rule(monthly("hosted_zone_month", "hosted zone")),
    # keys, logs, metrics, alarms, notifications
    "AWS::KMS::Key": Rule(
        monthly("kms_key_month", "KMS key"), (("kms_10k_requests", "kms_10k_requests"),)
    ),
    "AWS::KMS::ReplicaKey": Rule(monthly("kms_key_month", "KMS replica key")),
    "AWS::Logs::LogGroup": Rule(usage=LOGS),
    "AWS::Logs::MetricFilter": Rule(
        monthly(
            "custom_metric_month",
            "custom metric of a metric filter",
            lambda r: len(_props(r).get("MetricTransformations", [1])),
        )
    ),
    "AWS::CloudWatch::Alarm": Rule(monthly("cloudwatch_alarm_month", "metric alarm")),
    "AWS::SNS::Topic": Rule(usage=(("sns_email_100k", "sns_email_100k"),)),
    "AWS::S3::Bucket": Rule(usage=(("s3_gb", "s3_standard_gb_month"),)),
    "AWS::Lambda::Function": Rule(usage=(("lambda_million_requests", "lambda_million_requests"),)),
    "AWS::Budgets::Budget": Rule(monthly("budget_month", "budget")),
    # detection and audit
    "AWS::CloudTrail::Trail": Rule(
        usage=(("cloudtrail_data_events_100k", "cloudtrail_data_events_100k"),)
    ),
    "AWS::Config::ConfigurationRecorder": Rule(usage=(("config_items", "config_item"),)),
    "AWS::GuardDuty::Detector": Rule(
        usage=(
            ("guardduty_million_events", "guardduty_million_events"),
            ("guardduty_logs_gb", "guardduty_logs_gb"),
        )
    ),
    "AWS::SecurityHub::Hub": Rule(usage=(("security_hub_checks", "security_hub_check"),)),
    # compute, data, edge, delivery (priced as those stacks land)
    "AWS::EKS::Cluster": Rule(hourly("eks_cluster_hour", "EKS cluster")),
    "AWS::EKS::Nodegroup": Rule(_nodegroup),
    "AWS::AutoScaling::AutoScalingGroup": Rule(_auto_scaling_group),
    "AWS::EC2::Instance": Rule(_ec2_instance),
    "AWS::RDS::DBInstance": Rule(_db_instance, (("rds_backup_gb", "rds_backup_gb_month"),)),
    "AWS::RDS::DBCluster": Rule(
        usage=(
            ("aurora_storage_gb", "aurora_storage_gb_month"),
            ("rds_backup_gb", "rds_backup_gb_month"),
        )
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Rule(
        _load_balancer, (("alb_lcu", "alb_lcu_hour"),)
    ),
    "AWS::CloudFront::Distribution": Rule(
        usage=(("cloudfront_gb", "cloudfront_gb"), ("cloudfront_10k_https", "cloudfront_10k_https"))
    ),
    "AWS::CloudFront::Function": Rule(
        usage=(("cloudfront_function_million", "cloudfront_function_million"),)
    ),
    "AWS::ApiGateway::RestApi": Rule(usage=(("apigw_million_requests", "apigw_rest_million"),)),
    "AWS::ApiGatewayV2::Api": Rule(usage=(("apigw_million_requests", "apigw_http_million"),)),
    "AWS::WAFv2::WebACL": Rule(_web_acl, (("waf_million_requests", "waf_million_requests"),)),
    "AWS::KinesisFirehose::DeliveryStream": Rule(usage=(("firehose_gb", "firehose_gb"),)),
    "AWS::ECR::Repository": Rule(usage=(("ecr_gb", "ecr_gb_month"),)),
    "AWS::CodePipeline::Pipeline": Rule(
        _pipeline, (("codepipeline_action_minutes", "codepipeline_v2_action_minute"),)
    ),
    "AWS::CodeBuild::Project": Rule(usage=(("codebuild_minutes", "codebuild_minute"),)),
    "AWS::SecretsManager::Secret": Rule(
        monthly("secret_month", "secret"), (("secrets_10k_calls", "secrets_10k_calls"),)
    ),
    "AWS::SQS::Queue": Rule(usage=(("sqs_million_requests", "sqs_million_requests"),)),
    "AWS::DynamoDB::Table": Rule(usage=(("dynamodb_gb", "dynamodb_gb_month"),)),
}

_CONFIG = "configuration only; no charge of its own"
_PRICED_ELSEWHERE = "priced through the resource it belongs to"
_ORGANIZATIONS = "AWS Organizations has no charge"
_IDENTITY_CENTER = "IAM Identity Center has no charge"
_IAM = "IAM has no charge"
_CUSTOM = (
    "a custom resource runs once per deployment in its provider Lambda, priced under "
    "AWS::Lambda::Function"
)

FREE: dict[str, str] = {
    "AWS::ApiGateway::RequestValidator": (
        "API configuration; requests are priced under the REST API"
    ),
    "AWS::CodeStarNotifications::NotificationRule": (
        "AWS CodeStar Notifications has no charge; its SNS deliveries are e-mails (free tier)"
    ),
    "AWS::ECR::RegistryScanningConfiguration": (
        "registry configuration; basic scanning has no charge (enhanced scanning, off in the "
        "committed config, is billed by Amazon Inspector per image and is not modelled)"
    ),
    "AWS::Lambda::LayerVersion": (
        "layers are billed as function code storage, inside Lambda's free 75 GB per region"
    ),
    "AWS::Logs::Delivery": (
        "vended-log configuration; CloudFront standard logs v2 are charged per GB delivered "
        "(usage, not modelled: a few GB a month at the committed traffic)"
    ),
    "AWS::Logs::DeliveryDestination": "vended-log configuration (see AWS::Logs::Delivery)",
    "AWS::Logs::DeliverySource": "vended-log configuration (see AWS::Logs::Delivery)",
    "AWS::Scheduler::Schedule": (
        "EventBridge Scheduler's first 14 million invocations a month have no charge (one "
        "daily rebuild)"
    ),
    "AWS::StepFunctions::StateMachine": (
        "Standard workflows are billed per state transition, 4,000 a month free; the daily "
        "rebuild makes 3 a day"
    ),
    "Custom::AWSCDK-EKS-HelmChart": _CUSTOM,
    "Custom::AWSCDK-EKS-KubernetesResource": _CUSTOM,
    "AWS::AccessAnalyzer::Analyzer": "external-access analyzers have no charge",
    "AWS::CloudFormation::StackSet": "CloudFormation has no charge for AWS resource types",
    "AWS::Config::ConfigurationAggregator": "Config aggregators have no charge",
    "AWS::Config::DeliveryChannel": "priced through the recorder (configuration items)",
    "AWS::EC2::InternetGateway": "internet gateways have no hourly charge",
    "AWS::EC2::Route": _CONFIG,
    "AWS::EC2::RouteTable": _CONFIG,
    "AWS::EC2::SecurityGroup": _CONFIG,
    "AWS::EC2::SecurityGroupIngress": _CONFIG,
    "AWS::EC2::SecurityGroupEgress": _CONFIG,
    "AWS::EC2::Subnet": _CONFIG,
    "AWS::EC2::SubnetRouteTableAssociation": _CONFIG,
    "AWS::EC2::VPC": "a VPC has no charge",
    "AWS::EC2::VPCGatewayAttachment": _CONFIG,
    "AWS::EC2::NetworkAcl": _CONFIG,
    "AWS::EC2::NetworkAclEntry": _CONFIG,
    "AWS::EC2::SubnetNetworkAclAssociation": _CONFIG,
    "AWS::EC2::LaunchTemplate": "priced through the instances launched from it",
    "AWS::IAM::ManagedPolicy": _IAM,
    "AWS::IAM::Policy": _IAM,
    "AWS::IAM::Role": _IAM,
    "AWS::IAM::InstanceProfile": _IAM,
    "AWS::IAM::OIDCProvider": _IAM,
    "AWS::IAM::ServiceLinkedRole": _IAM,
    "AWS::KMS::Alias": "aliases have no charge",
    "AWS::NetworkFirewall::FirewallPolicy": "priced through the firewall endpoints",
    "AWS::NetworkFirewall::RuleGroup": "priced through the firewall endpoints",
    "AWS::Organizations::Account": _ORGANIZATIONS,
    "AWS::Organizations::OrganizationalUnit": _ORGANIZATIONS,
    "AWS::Organizations::Policy": _ORGANIZATIONS,
    "AWS::Route53Resolver::FirewallDomainList": "priced through the queries DNS Firewall inspects",
    "AWS::Route53Resolver::FirewallRuleGroup": "priced through the queries DNS Firewall inspects",
    "AWS::Route53Resolver::ResolverQueryLoggingConfig": "priced as vended logs at the destination",
    "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation": _CONFIG,
    "AWS::Route53::RecordSet": "alias records to AWS resources are not charged per query",
    "AWS::S3::BucketPolicy": _CONFIG,
    "AWS::SNS::Subscription": "priced through the topic's deliveries",
    "AWS::SNS::TopicPolicy": _CONFIG,
    "AWS::SQS::QueuePolicy": _CONFIG,
    "AWS::SSO::Assignment": _IDENTITY_CENTER,
    "AWS::SSO::PermissionSet": _IDENTITY_CENTER,
    "AWS::SecurityHub::ConfigurationPolicy": _PRICED_ELSEWHERE + " (the hub's security checks)",
    "AWS::SecurityHub::DelegatedAdmin": _CONFIG,
    "AWS::SecurityHub::FindingAggregator": "cross-region aggregation has no charge",
    "AWS::SecurityHub::OrganizationConfiguration": _CONFIG,
    "AWS::SecurityHub::PolicyAssociation": _CONFIG,
    "AWS::SecurityHub::Standard": _PRICED_ELSEWHERE + " (the hub's security checks)",
    "AWS::SecretsManager::RotationSchedule": "priced through the secret and its Lambda",
    "AWS::SecretsManager::ResourcePolicy": _CONFIG,
    "AWS::SecretsManager::SecretTargetAttachment": _CONFIG,
    "AWS::Lambda::Permission": _CONFIG,
    "AWS::Lambda::EventSourceMapping": "priced through the function's invocations",
    "AWS::Events::Rule": "rules on AWS service events have no charge",
    "AWS::EKS::Addon": "EKS add-ons have no charge of their own",
    "AWS::EKS::AccessEntry": _CONFIG,
    "AWS::EKS::PodIdentityAssociation": _CONFIG,
    "AWS::ElasticLoadBalancingV2::Listener": "priced through the load balancer",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "priced through the load balancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "priced through the load balancer",
    "AWS::RDS::DBSubnetGroup": _CONFIG,
    "AWS::RDS::DBParameterGroup": _CONFIG,
    "AWS::RDS::DBClusterParameterGroup": _CONFIG,
    "AWS::RDS::OptionGroup": _CONFIG,
    "AWS::CloudFront::OriginAccessControl": _CONFIG,
    "AWS::CloudFront::ResponseHeadersPolicy": _CONFIG,
    "AWS::CloudFront::CachePolicy": _CONFIG,
    "AWS::CloudFront::OriginRequestPolicy": _CONFIG,
    "AWS::CertificateManager::Certificate": "public ACM certificates have no charge",
    "AWS::ApiGateway::Account": _CONFIG,
    "AWS::ApiGateway::Deployment": "priced through the API's requests",
    "AWS::ApiGateway::Stage": "priced through the API's requests",
    "AWS::ApiGateway::Method": "priced through the API's requests",
    "AWS::ApiGateway::Resource": "priced through the API's requests",
    "AWS::ApiGateway::VpcLink": "priced through the network load balancer it reaches",
    "AWS::ApiGatewayV2::Stage": "priced through the API's requests",
    "AWS::ApiGatewayV2::Route": "priced through the API's requests",
    "AWS::ApiGatewayV2::Integration": "priced through the API's requests",
    "AWS::ApiGatewayV2::VpcLink": "HTTP API VPC links have no charge",
    "AWS::WAFv2::WebACLAssociation": _CONFIG,
    "AWS::WAFv2::LoggingConfiguration": "priced through the delivery (Firehose, S3)",
    "AWS::WAFv2::IPSet": _CONFIG,
    "AWS::WAFv2::RegexPatternSet": _CONFIG,
    "AWS::WAFv2::RuleGroup": "priced as one rule of each web ACL that uses it",
    "AWS::ECR::RegistryPolicy": _CONFIG,
    "AWS::ECR::ReplicationConfiguration": _CONFIG,
    "AWS::CodeStarConnections::Connection": "connections have no charge",
    "AWS::CodeConnections::Connection": "connections have no charge",
    "AWS::Logs::ResourcePolicy": _CONFIG,
    "AWS::Logs::SubscriptionFilter": "priced through its destination",
    "AWS::SSM::Parameter": "standard-tier parameters have no charge",
    "AWS::Backup::BackupVault": "the vault has no charge; backups are priced as rds_backup_gb",
    "AWS::Backup::BackupPlan": "the plan has no charge; backup storage is priced as rds_backup_gb",
    "AWS::Backup::BackupSelection": _CONFIG,
    "AWS::Events::EventBus": "priced through the events put on it (custom events)",
    "AWS::SNS::TopicInlinePolicy": _CONFIG,
    "AWS::CloudFront::KeyGroup": _CONFIG,
    "AWS::CloudFront::PublicKey": _CONFIG,
    "AWS::ElasticLoadBalancingV2::ListenerCertificate": _CONFIG,
    "AWS::EKS::IdentityProviderConfig": _CONFIG,
    "AWS::CodePipeline::Webhook": "webhooks have no charge",
    "AWS::CodeBuild::ReportGroup": "priced through the builds (report storage in S3)",
    "AWS::ECR::RepositoryCreationTemplate": _CONFIG,
    "Custom::AWS": _CUSTOM,
    "Custom::VpcRestrictDefaultSG": _CUSTOM,
    "Custom::S3AutoDeleteObjects": _CUSTOM,
    "Custom::CDKBucketDeployment": _CUSTOM,
}


def classify(resource_type: str) -> Rule | None:
    """The rule of a billable type, None for a known-free one; anything else is an error."""
    if resource_type in BILLABLE:
        return BILLABLE[resource_type]
    if resource_type in FREE:
        return None
    raise CostError(
        f"resource type {resource_type} is neither priced nor known to be free: add it to "
        "BILLABLE (with its prices in prices.yaml) or to FREE (with the reason) in "
        "innovate_infra/cost/catalogue.py"
    )
