"""Names come from one place: the naming module, fed by the configured project name."""

from __future__ import annotations

import re

from innovate_infra.app import INFRA_DIR, build_platform, create_app
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

SRC = INFRA_DIR / "src" / "innovate_infra"
NAMING_MODULE = SRC / "naming.py"
# The package's own name is not a use of the project name.
PACKAGE_NAME = re.compile(r"innovate_infra", re.IGNORECASE)


def test_no_project_name_outside_the_naming_module(platform: PlatformConfig) -> None:
    """Neither the code nor the reviewed policy documents spell the project name: a
    different project name in organization.yaml renames everything."""
    project = re.compile(re.escape(platform.project), re.IGNORECASE)
    files = [p for p in SRC.rglob("*.py") if p != NAMING_MODULE]
    files += [*sorted((INFRA_DIR / "policies").rglob("*.json")), INFRA_DIR / "app.py"]
    offenders = [
        f"{path.relative_to(INFRA_DIR)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if project.search(PACKAGE_NAME.sub("", line))
    ]
    assert len(files) > 40
    assert not offenders, "\n".join(offenders)


def test_stack_names_follow_the_configured_project(platform: PlatformConfig) -> None:
    renamed = platform.model_copy(
        update={"organization": platform.organization.model_copy(update={"project": "acme"})}
    )
    app = create_app()
    built = build_platform(app, renamed)
    stacks = [s for stage in built.stages() for s in stage.stacks()]
    assert sorted(s.stack_name for s in stacks) == sorted(
        [
            f"acme-{env}-{p}"
            for env in ("dev", "staging", "prod")
            for p in (
                "keys",
                "logging",
                "network",
                "database",
                "monitoring",
                "cluster",
                "edge-logging",
                "ingress",
                "edge",
                "web",
            )
        ]
        + [
            "acme-management-organization",
            "acme-management-identity",
            "acme-management-audit-data",
            "acme-management-security-services",
            "acme-security-log-archive",
            "acme-security-detection",
            "acme-security-organization",
            "acme-security-detection-us-east-1",
            "acme-management-delegation-us-east-1",
            "acme-security-organization-us-east-1",
            "acme-management-cost",
            "acme-development-delivery-artifacts",
            "acme-development-delivery-pipeline",
            "acme-production-delivery-target",
            "acme-development-infrastructure-pipeline",
            "acme-development-infrastructure-pipeline-replica-us-east-1",
        ]
    )


def test_derived_names(naming: Naming) -> None:
    assert naming.stack_name("dev", "network") == "innovate-dev-network"
    assert naming.stack_name("security", "log-archive") == "innovate-security-log-archive"
    assert naming.log_bucket_name("flowlogs") == "innovate-logs-flowlogs-222222222222-eu-west-1"
    assert naming.log_bucket_name("waf-api").startswith("aws-waf-logs-innovate-logs-")
    assert naming.key_alias("prod", "data") == "alias/innovate/prod/data"
    assert naming.organization_trail_arn == (
        "arn:aws:cloudtrail:eu-west-1:111111111111:trail/innovate-organization-trail"
    )
    assert naming.log_archive_key_alias_arn == (
        "arn:aws:kms:eu-west-1:222222222222:alias/innovate-log-archive"
    )
