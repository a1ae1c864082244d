"""``delivery.yaml``: the GitHub source, the image repository and its scanning, the daily
rebuild and the notification address of the delivery pipeline (issue #11)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from innovate_infra.config.types import Email, Model, check_retention

Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]
SEVERITIES: tuple[Severity, ...] = (
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNDEFINED",
)

GitHubName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
# A branch name git accepts that is also safe in a pipeline trigger filter.
BranchName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")]
ConnectionArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
    ),
]
RepositoryName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*$")]

# EventBridge Scheduler: cron(minutes hours day-of-month month day-of-week year) or rate().
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_RATE = re.compile(r"^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$")
_TIMEZONE = re.compile(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$")


class SourceConfig(Model):
    owner: GitHubName = Field(description="GitHub user or organization")
    repository: GitHubName
    branch: BranchName
    connection_arn: ConnectionArn | None = Field(
        default=None,
        description="existing CodeConnections connection; null creates one (manual handshake)",
    )

    @property
    def full_repository_id(self) -> str:
        return f"{self.owner}/{self.repository}"


class ImageConfig(Model):
    repository: RepositoryName
    keep_tagged_images: int = Field(ge=10, le=10000)
    untagged_expiry_days: int = Field(ge=1, le=365)
    enhanced_scanning: bool
    scan_alarm_thresholds: dict[Severity, int] = Field(min_length=1)

    @field_validator("scan_alarm_thresholds")
    @classmethod
    def _positive(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        bad = [f"{severity}={count}" for severity, count in value.items() if count < 1]
        if bad:
            raise ValueError(f"thresholds must be at least 1 finding; got {', '.join(bad)}")
        return value


class RebuildConfig(Model):
    schedule: str
    timezone: str = "Etc/UTC"

    @field_validator("schedule")
    @classmethod
    def _expression(cls, value: str) -> str:
        if not (_CRON.fullmatch(value) or _RATE.fullmatch(value)):
            raise ValueError(
                f"{value!r} is not an EventBridge Scheduler expression: use "
                "cron(minutes hours day-of-month month day-of-week year) or rate(N unit)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not _TIMEZONE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an IANA time zone name (e.g. Etc/UTC, Europe/Dublin)"
            )
        return value


class DeliveryConfig(Model):
    source: SourceConfig
    notification_email: Email
    image: ImageConfig
    rebuild: RebuildConfig
    log_retention_days: int

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)
