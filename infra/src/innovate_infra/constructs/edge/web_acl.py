"""A WAF web ACL for CloudFront (us-east-1, CLOUDFRONT scope) or for the API's stage
(REGIONAL): AWS managed rule groups, per-IP rate limits, optional body-size limit and
origin check, logging to a CloudWatch log group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# Evaluated in this order (lower priority first), after the origin check and rate rules.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
LOGIN_PATH = "/api/v1/auth/login"


@dataclass(frozen=True)
class OriginCheck:
    """Requests must carry ``header_name`` with ``value`` (a secret dynamic reference)."""

    header_name: str
    value: str


@dataclass(frozen=True)
class WebAclProps:
    name: str
    scope: Literal["CLOUDFRONT", "REGIONAL"]
    rate_limit_per_ip: int
    evaluation_window_seconds: int
    log_group: logs.ILogGroup
    login_rate_limit_per_ip: int | None = None
    body_size_limit_bytes: int | None = None
    origin_check: OriginCheck | None = None


def _visibility(metric: str) -> dict[str, Any]:
    return {
        "cloud_watch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def _camel(value: Any) -> Any:
    """Rules are written as snake_case dicts; jsii takes struct keys in camelCase."""
    if isinstance(value, dict):
        return {
            (k.split("_")[0] + "".join(p.title() for p in k.split("_")[1:])): _camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


class WebAcl(Construct):
    ACL_ID: ClassVar[str] = "WebAcl"

    def __init__(self, scope: Construct, construct_id: str, *, props: WebAclProps) -> None:
        super().__init__(scope, construct_id)
        rules: list[Any] = []

        def add(name: str, statement: dict[str, Any], *, block: bool = True) -> None:
            rules.append(
                {
                    "name": name,
                    "priority": len(rules),
                    "statement": statement,
                    "action": {"block": {}} if block else None,
                    "visibility_config": _visibility(name),
                }
            )

        if props.origin_check is not None:
            # Only CloudFront knows the value: direct calls to the stage are refused.
            add(
                "RequireCloudFrontOrigin",
                {
                    "not_statement": {
                        "statement": {
                            "byte_match_statement": {
                                "field_to_match": {
                                    "single_header": {"Name": props.origin_check.header_name}
                                },
                                "positional_constraint": "EXACTLY",
                                "search_string": props.origin_check.value,
                                "text_transformations": [{"priority": 0, "type": "NONE"}],
                            }
                        }
                    }
                },
            )
        if props.login_rate_limit_per_ip is not None:
            add(
                "RateLimitSignInPerIp",
                self._rate(
                    props.login_rate_limit_per_ip,
                    props.evaluation_window_seconds,
                    scope_down={
                        "byte_match_statement": {
                            "field_to_match": {"uri_path": {}},
                            "positional_constraint": "STARTS_WITH",
                            "search_string": LOGIN_PATH,
                            "text_transformations": [{"priority": 0, "type": "LOWERCASE"}],
                        }
                    },
                ),
            )
        add(
            "RateLimitPerIp",
            self._rate(props.rate_limit_per_ip, props.evaluation_window_seconds),
        )
        if props.body_size_limit_bytes is not None:
            add(
                "BodySizeLimit",
                {
                    "size_constraint_statement": {
                        "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                        "comparison_operator": "GT",
                        "size": props.body_size_limit_bytes,
                        "text_transformations": [{"priority": 0, "type": "NONE"}],
                    }
                },
            )
        for group in MANAGED_RULE_GROUPS:
            rules.append(
                {
                    "name": group,
                    "priority": len(rules),
                    "statement": {
                        "managed_rule_group_statement": {"vendor_name": "AWS", "name": group}
                    },
                    "override_action": {"none": {}},
                    "visibility_config": _visibility(group),
                }
            )
        for rule in rules:
            if rule.get("action") is None:
                rule.pop("action", None)

        self.web_acl = wafv2.CfnWebACL(
            self,
            self.ACL_ID,
            name=props.name,
            scope=props.scope,
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=props.name,
                sampled_requests_enabled=True,
            ),
            rules=_camel(rules),
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[props.log_group.log_group_arn],
        )

    @staticmethod
    def _rate(limit: int, window: int, scope_down: dict[str, Any] | None = None) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "limit": limit,
            "aggregate_key_type": "IP",
            "evaluation_window_sec": window,
        }
        if scope_down is not None:
            statement["scope_down_statement"] = scope_down
        return {"rate_based_statement": statement}
