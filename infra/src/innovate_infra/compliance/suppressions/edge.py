"""Suppressions of the request-path stacks (issue #10: edge-logging, edge, web in
us-east-1; ingress in the environment's region), each with its reason. Collected by
``suppressions/__init__.py``."""

from __future__ import annotations

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import AWS, MANAGED, both
from innovate_infra.config.environment import ENVIRONMENT_ACCOUNT, ENVIRONMENT_NAMES
from innovate_infra.naming import Naming
from innovate_infra.stacks.environment.edge import EdgeStack
from innovate_infra.stacks.environment.ingress import IngressStack
from innovate_infra.stacks.environment.web import WebStack

SPA_BUCKETS = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(WebStack,),
    path=rf"{WebStack.SITE_ID}/(Bucket|AccessLogs)/Resource",
    description="the SPA bucket and its same-region server-access-log bucket",
)
SPA_ACCESS_LOG_BUCKET = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(WebStack,),
    path=rf"{WebStack.SITE_ID}/AccessLogs/Resource",
    description="the SPA bucket's server-access-log bucket",
)
DISTRIBUTION = ResourceMatcher(
    cfn_type="AWS::CloudFront::Distribution",
    stacks=(WebStack,),
    path=rf"{WebStack.SITE_ID}/Distribution/Resource",
    description="the SPA's CloudFront distribution",
)
API_METHOD = ResourceMatcher(
    cfn_type="AWS::ApiGateway::Method",
    stacks=(IngressStack,),
    path=rf"{IngressStack.API_ID}/RestApi/Default/api/\{{proxy\+\}}/ANY/Resource",
    description="the REST API's only method, ANY /api/{proxy+}",
)
API_STAGE = ResourceMatcher(
    cfn_type="AWS::ApiGateway::Stage",
    stacks=(IngressStack,),
    path=rf"{IngressStack.API_ID}/RestApi/DeploymentStage\.live/Resource",
    description="the REST API's stage",
)
API_CLOUDWATCH_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(IngressStack,),
    path=rf"{IngressStack.API_ID}/RestApi/CloudWatchRole/Resource",
    description="API Gateway's account-level role for writing access logs to CloudWatch Logs",
)
ALB = ResourceMatcher(
    cfn_type="AWS::ElasticLoadBalancingV2::LoadBalancer",
    stacks=(IngressStack,),
    path=rf"{IngressStack.ALB_ID}/LoadBalancer/Resource",
    description="the internal API load balancer",
)
TARGET_GROUP = ResourceMatcher(
    cfn_type="AWS::ElasticLoadBalancingV2::TargetGroup",
    stacks=(IngressStack,),
    path=rf"{IngressStack.ALB_ID}/ApiTargets/Resource",
    description="the API pods' IP target group",
)
ORIGIN_VERIFY = ResourceMatcher(
    cfn_type="AWS::SecretsManager::Secret",
    stacks=(IngressStack,),
    path=r"OriginVerify/Resource",
    description="the CloudFront origin-verify header value",
)
DELIVERY_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(IngressStack, EdgeStack),
    path=r"ArchiveLogs/DeliveryPolicy/Resource",
    description="the log delivery stream's policy for writing to the archive",
)


def _delivery_objects(naming: Naming) -> tuple[str, ...]:
    return tuple(
        AWS + f"IAM5[Resource::{arn}]"
        for env in ENVIRONMENT_NAMES
        for scope in ("api", "cloudfront-waf")
        for arn in [
            naming.firehose_archive_objects(
                naming.workload_account_ids[ENVIRONMENT_ACCOUNT[env]], env, scope
            )
        ]
    )


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    return (
        NagAcknowledgment(
            rule_ids=both("S3DefaultEncryptionKMS"),
            matcher=SPA_BUCKETS,
            reason=(
                "SSE-S3 (AES-256), TLS-only, private, versioned. The SPA bucket holds the public "
                "build of the front end (HTML, JS, CSS that every visitor downloads); SSE-KMS "
                "would protect nothing confidential and would need a key policy tied to the "
                "distribution for Origin Access Control. S3 server access logging delivers only "
                "to SSE-S3 buckets, so the access-log bucket cannot use KMS at all."
            ),
        ),
        NagAcknowledgment(
            rule_ids=both("S3BucketReplicationEnabled"),
            matcher=SPA_BUCKETS,
            reason=(
                "The SPA build is reproducible from git by the pipeline (re-upload after a loss); "
                "the access logs are operational, the audit copy of every request is in the "
                "central archive (CloudFront standard logs v2, WAF logs)."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "S1",),
            matcher=SPA_ACCESS_LOG_BUCKET,
            reason=(
                "This is the server-access-log bucket itself; logging it into itself would loop. "
                "Object-level API calls are recorded by the organization trail. It is private, "
                "versioned, SSE-S3, TLS-only and expires objects after 400 days."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "CFR1",),
            matcher=DISTRIBUTION,
            reason=(
                "The application serves users without a country restriction; abuse is handled "
                "by the CloudFront web ACL (IP reputation, per-IP and sign-in rate limits, managed "
                "common, known-bad-inputs and SQL injection rule groups)."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "CFR3",),
            matcher=DISTRIBUTION,
            reason=(
                "CFR3 looks only at legacy access logging. The distribution uses CloudFront "
                "standard logging v2 (AWS::Logs::DeliverySource/Destination/Delivery in the same "
                "stack) to the organization archive: legacy logging needs object ACLs, which the "
                "BucketOwnerEnforced, SSE-KMS archive buckets refuse. Asserted by "
                "tests/stacks/environment/test_web.py."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "CFR4",),
            matcher=DISTRIBUTION,
            reason=(
                "Only environments without a custom domain (edge.web.domain_name) use CloudFront's "
                "default *.cloudfront.net certificate, whose security policy CloudFront fixes; "
                "with a domain the viewer policy is TLSv1.2_2021 (asserted by test_web.py). "
                "Origins are reached over TLS 1.2 only."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "APIG4", AWS + "COG4"),
            matcher=API_METHOD,
            reason=(
                "The API authenticates every request itself (short-lived bearer tokens checked "
                "against revocation in PostgreSQL, docs/api.md); sign-up and sign-in must be "
                "reachable without credentials. Direct calls are refused by the web ACL's "
                "origin check: only CloudFront reaches the stage."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + f"IAM4[{MANAGED}service-role/AmazonAPIGatewayPushToCloudWatchLogs]",),
            matcher=API_CLOUDWATCH_ROLE,
            reason=(
                "The AWS-managed policy API Gateway documents for its account-level CloudWatch "
                "role (needed for stage access logs); trusted by apigateway.amazonaws.com only. It "
                "grants log-group writes only and nothing on data, keys or other services."
            ),
        ),
        NagAcknowledgment(
            rule_ids=both("APIGWCacheEnabledAndEncrypted"),
            matcher=API_STAGE,
            reason=(
                "No API cache: every response is per user and authenticated; caching would risk "
                "serving one user's notes to another. Nothing is stored at rest by the stage; the "
                "CloudFront /api/* behaviour uses the managed CachingDisabled policy too."
            ),
        ),
        NagAcknowledgment(
            rule_ids=both("APIGWSSLEnabled"),
            matcher=API_STAGE,
            reason=(
                "Backend client certificates apply to HTTP integrations over the internet. The "
                "integration is private (VPC link v2 to an internal ALB that admits only the "
                "link's security group) over HTTPS, and API Gateway verifies the ALB's certificate "
                "against edge.api.alb_host_name."
            ),
        ),
        NagAcknowledgment(
            rule_ids=both("ALBWAFEnabled"),
            matcher=ALB,
            reason=(
                "The ALB is internal and reachable only from the API Gateway VPC link; the web "
                "ACLs are on the REST API stage and on CloudFront, in front of it, and apply the "
                "same managed rule groups and rate limits to every request that reaches it."
            ),
        ),
        NagAcknowledgment(
            rule_ids=both("ELBDeletionProtectionEnabled"),
            matcher=ALB,
            reason=(
                "Deletion protection follows retain_stateful_resources: on in prod (validated to "
                "be true there, asserted by test_ingress.py), off in the disposable dev and "
                "staging environments so they can be torn down."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "SMG4", *both("SecretsManagerRotationEnabled")),
            matcher=ORIGIN_VERIFY,
            reason=(
                "The value is copied at deploy time into the distribution's origin header and the "
                "API web ACL's rule; an automatic rotation would desynchronize them and refuse "
                "all API traffic. It is rotated by changing the secret and redeploying ingress "
                "then web (docs/infrastructure.md). It is not a credential to any data."
            ),
        ),
        NagAcknowledgment(
            rule_ids=(
                *_delivery_objects(naming),
                AWS + f"IAM5[Resource::{naming.log_archive_key_arn_pattern}]",
            ),
            matcher=DELIVERY_POLICY,
            reason=(
                "Firehose writes objects with generated names under its own account's and "
                "environment's prefix of the archive bucket (the archive admits each account only "
                "under firehose/<account>/). The archive key is in the security/logs account and "
                "IAM cannot name a key by alias: the key/* wildcard is bound to that key by "
                "kms:ResourceAliases and to S3 by kms:ViaService."
            ),
        ),
    )


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return (
        CheckovSkip(
            "CKV_AWS_120",
            API_STAGE,
            "No API cache: every response is per user and authenticated; caching would risk "
            "serving one user's notes to another. Nothing is stored at rest by the stage; the "
            "CloudFront /api/* behaviour uses the managed CachingDisabled policy too.",
        ),
        CheckovSkip(
            "CKV_AWS_59",
            API_METHOD,
            "The API authenticates every request itself (bearer tokens, docs/api.md); sign-up "
            "and sign-in need no credentials. Only CloudFront reaches the stage (the web ACL's "
            "origin check refuses other callers), after its rate limits and managed rules.",
        ),
        CheckovSkip(
            "CKV_AWS_18",
            SPA_ACCESS_LOG_BUCKET,
            "This is the server-access-log bucket itself; logging it into itself would loop. "
            "Object-level API calls are recorded by the organization trail. It is private, "
            "versioned, SSE-S3, TLS-only and expires objects after 400 days.",
        ),
        CheckovSkip(
            "CKV_AWS_86",
            DISTRIBUTION,
            "CKV_AWS_86 looks only at legacy access logging. The distribution uses CloudFront "
            "standard logging v2 (AWS::Logs::Delivery in the same stack) to the organization "
            "archive, which legacy logging cannot write to (it needs object ACLs).",
        ),
        CheckovSkip(
            "CKV_AWS_174",
            DISTRIBUTION,
            "Only environments without a custom domain use CloudFront's default certificate, "
            "whose security policy CloudFront fixes; with a domain the viewer policy is "
            "TLSv1.2_2021 (asserted by test_web.py), and origins are reached over TLS 1.2 only.",
        ),
    )
