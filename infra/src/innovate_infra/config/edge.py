"""``edge:`` of ``environments/<name>.yaml``: the request path of one environment: the
SPA's CloudFront distribution and its web ACL (us-east-1), the API's REST API, its web
ACL and the internal ALB behind it (docs/infrastructure.md, "Request path")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from innovate_infra.config.types import DomainName, Model

# arn:aws:acm:<region>:<account>:certificate/<uuid>
CertificateArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws:acm:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:certificate/[0-9a-f-]{36}$"
    ),
]
HostedZoneId = Annotated[str, StringConstraints(pattern=r"^Z[A-Z0-9]{1,31}$")]
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
# WAF inspects the first 16 KB of a body for CloudFront and API Gateway unless the web
# ACL's association config buys more; a larger limit would silently not be enforced.
WAF_DEFAULT_BODY_INSPECTION_BYTES = 16 * 1024


def certificate_region(arn: str) -> str:
    return arn.split(":")[3]


def certificate_account(arn: str) -> str:
    return arn.split(":")[4]


class WebConfig(Model):
    """The SPA's CloudFront distribution."""

    # PriceClass_100 (North America, Europe, Israel) is the cheap non-prod choice.
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    # The SPA's own name; absent: the distribution's *.cloudfront.net name (TLS there
    # is CloudFront's default certificate, whose minimum protocol CloudFront fixes).
    domain_name: DomainName | None = None
    # How the us-east-1 certificate for domain_name comes to exist, exactly one of:
    # a Route 53 hosted zone in this account (CloudFormation creates and DNS-validates
    # it), or an ACM certificate in us-east-1 validated out of band.
    hosted_zone_id: HostedZoneId | None = None
    certificate_arn: CertificateArn | None = None

    @model_validator(mode="after")
    def _certificate(self) -> WebConfig:
        if self.domain_name is None:
            if self.hosted_zone_id or self.certificate_arn:
                raise ValueError(
                    "hosted_zone_id / certificate_arn need domain_name (the SPA's custom domain)"
                )
            return self
        if (self.hosted_zone_id is None) == (self.certificate_arn is None):
            raise ValueError(
                f"domain_name {self.domain_name}: set exactly one of hosted_zone_id (the "
                "certificate is created and DNS-validated) or certificate_arn (validated "
                "out of band)"
            )
        if self.certificate_arn and certificate_region(self.certificate_arn) != (
            CLOUDFRONT_CERTIFICATE_REGION
        ):
            raise ValueError(
                "certificate_arn: CloudFront takes certificates from "
                f"{CLOUDFRONT_CERTIFICATE_REGION} only, "
                f"got {certificate_region(self.certificate_arn)}"
            )
        return self


class ApiConfig(Model):
    """The REST API (regional) and the internal ALB behind it."""

    # Stage throttling: steady requests per second and burst, for the whole stage.
    throttle_rate_limit: float = Field(gt=0, le=10000)
    throttle_burst_limit: int = Field(gt=0, le=5000)
    # The ALB's HTTPS listener certificate (ACM, the environment's region). Required in
    # every environment: the listener is HTTPS only and API Gateway verifies it.
    alb_certificate_arn: CertificateArn
    # The name on that certificate: API Gateway sends it as the TLS server name and
    # verifies the ALB's certificate against it (the VPC link routes to the ALB).
    alb_host_name: DomainName
    # Optional regional custom domain for the API (TLS 1.2 security policy).
    domain_name: DomainName | None = None
    certificate_arn: CertificateArn | None = None

    @model_validator(mode="after")
    def _domain(self) -> ApiConfig:
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise ValueError("domain_name and certificate_arn: set both or neither")
        if self.throttle_burst_limit < self.throttle_rate_limit:
            raise ValueError("throttle_burst_limit must be at least throttle_rate_limit")
        return self


class WafConfig(Model):
    """Rate limits are requests per client IP per evaluation window (WAF counts them
    over a sliding window; the minimum limit WAF accepts is 10)."""

    evaluation_window_seconds: Literal[60, 120, 300, 600] = 300
    rate_limit_per_ip: int = Field(ge=10, le=2_000_000_000)
    # POST /api/v1/auth/login: stricter (the API adds its own per-account slow-down).
    login_rate_limit_per_ip: int = Field(ge=10, le=2_000_000_000)
    # Request bodies above this are blocked by the API's web ACL.
    body_size_limit_bytes: int = Field(ge=1024, le=WAF_DEFAULT_BODY_INSPECTION_BYTES)

    @model_validator(mode="after")
    def _login_stricter(self) -> WafConfig:
        if self.login_rate_limit_per_ip >= self.rate_limit_per_ip:
            raise ValueError(
                f"login_rate_limit_per_ip ({self.login_rate_limit_per_ip}) must be below "
                f"rate_limit_per_ip ({self.rate_limit_per_ip})"
            )
        return self


class EdgeConfig(Model):
    web: WebConfig
    api: ApiConfig
    waf: WafConfig
