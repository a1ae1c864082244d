"""Ids outside infra/config that must follow it (docs/deploy.md, "Checklist"): a changed
account id in organization.yaml with an unchanged copy elsewhere fails here, naming both."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from innovate_infra.app import INFRA_DIR
from innovate_infra.config import PlatformConfig

CHART = INFRA_DIR.parent / "deploy" / "charts" / "innovate-api"
ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/")


def chart_repositories() -> list[tuple[Path, str]]:
    found = []
    for path in sorted(CHART.glob("values*.yaml")):
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        repository = (values.get("image") or {}).get("repository")
        if isinstance(repository, str):
            found.append((path, repository))
    return found


def test_the_charts_image_registry_is_the_development_accounts(platform: PlatformConfig) -> None:
    """Images are built and pushed in Development (docs/architecture.md)."""
    development = platform.account_id("development")
    problems = []
    repositories = chart_repositories()
    assert repositories, f"no image.repository in {CHART}/values*.yaml: the check read nothing"
    for path, repository in repositories:
        match = ECR.match(repository)
        if match is None:
            problems.append(f"{path.name}: image.repository {repository!r} is not private ECR")
            continue
        account, region = match.groups()
        if (account, region) != (development, platform.home_region):
            problems.append(
                f"{path.relative_to(INFRA_DIR.parent)}: image.repository names {account} in "
                f"{region}; organization.yaml accounts.development.id is {development}, "
                f"home_region {platform.home_region}"
            )
    assert not problems, "\n".join(problems)
