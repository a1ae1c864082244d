"""``edge:`` of the environment files: clear errors naming file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import edit, issues_of


def one_issue(config_dir: Path, file: str, change: Any) -> tuple[str, str, str]:
    edit(config_dir / f"environments/{file}", change)
    [issue] = issues_of(config_dir)
    return issue


def test_login_limit_must_be_stricter(config_dir: Path) -> None:
    file, field, reason = one_issue(
        config_dir, "dev.yaml", lambda d: d["edge"]["waf"].update(login_rate_limit_per_ip=5000)
    )
    assert file == "dev.yaml"
    assert field.startswith("edge.waf")
    assert "must be below rate_limit_per_ip" in reason


def test_body_limit_cannot_exceed_what_waf_inspects(config_dir: Path) -> None:
    _, field, _ = one_issue(
        config_dir, "dev.yaml", lambda d: d["edge"]["waf"].update(body_size_limit_bytes=65536)
    )
    assert field == "edge.waf.body_size_limit_bytes"


def test_domain_needs_exactly_one_way_to_its_certificate(config_dir: Path) -> None:
    def both(d: dict[str, Any]) -> None:
        d["edge"]["web"]["certificate_arn"] = (
            "arn:aws:acm:us-east-1:444444444444:certificate/00000000-0000-4000-8000-000000000009"
        )

    _, field, reason = one_issue(config_dir, "prod.yaml", both)
    assert field.startswith("edge.web")
    assert "exactly one of hosted_zone_id" in reason


def test_cloudfront_certificate_must_be_in_us_east_1(config_dir: Path) -> None:
    def eu(d: dict[str, Any]) -> None:
        web = d["edge"]["web"]
        web.pop("hosted_zone_id")
        web["certificate_arn"] = (
            "arn:aws:acm:eu-west-1:444444444444:certificate/00000000-0000-4000-8000-000000000009"
        )

    _, _, reason = one_issue(config_dir, "prod.yaml", eu)
    assert "from us-east-1 only" in reason


def test_alb_certificate_must_be_in_the_environments_region(config_dir: Path) -> None:
    def elsewhere(d: dict[str, Any]) -> None:
        d["edge"]["api"]["alb_certificate_arn"] = (
            "arn:aws:acm:us-east-1:333333333333:certificate/00000000-0000-4000-8000-000000000009"
        )

    _, _, reason = one_issue(config_dir, "dev.yaml", elsewhere)
    assert "environment's region eu-west-1" in reason


def test_alb_certificate_must_be_in_the_environments_account(config_dir: Path) -> None:
    def foreign(d: dict[str, Any]) -> None:
        d["edge"]["api"]["alb_certificate_arn"] = (
            "arn:aws:acm:eu-west-1:999999999999:certificate/00000000-0000-4000-8000-000000000009"
        )

    _, field, reason = one_issue(config_dir, "staging.yaml", foreign)
    assert field == "edge.api.alb_certificate_arn"
    assert "development account (333333333333)" in reason


def test_alb_certificate_is_required(config_dir: Path) -> None:
    _, field, _ = one_issue(
        config_dir, "dev.yaml", lambda d: d["edge"]["api"].pop("alb_certificate_arn")
    )
    assert field == "edge.api.alb_certificate_arn"
