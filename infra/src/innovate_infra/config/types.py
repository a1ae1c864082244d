"""Types shared by every configuration domain, defined once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

# The four accounts of the seed design, one spelling everywhere (YAML keys included).
AccountKey = Literal["management", "security", "development", "production"]
MemberKey = Literal["security", "development", "production"]
WorkloadAccountKey = Literal["development", "production"]
ACCOUNT_KEYS: tuple[AccountKey, ...] = ("management", "security", "development", "production")
WORKLOAD_ACCOUNT_KEYS: tuple[WorkloadAccountKey, ...] = ("development", "production")

# Retention values that CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)  # fmt: skip

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
# The project name feeds every stack, bucket and role name: lower case, short, DNS-safe.
ProjectName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,19}$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_ .:/=+\-@]+$", max_length=256)]
DomainName = Annotated[
    str,
    StringConstraints(
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$", max_length=253
    ),
]
# Network Firewall domain list entry: a domain, optionally with a leading dot
# (the domain and its subdomains); "{region}" is substituted per environment.
AllowedDomain = Annotated[
    str, StringConstraints(pattern=r"^\.?([a-z0-9{}]([a-z0-9{}-]{0,61}[a-z0-9{}])?\.)+[a-z]{2,}$")
]
S3Prefix = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$")
]
OuPath = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9-]*(/[A-Za-z][A-Za-z0-9-]*)*$")
]
IsoHours = Annotated[str, StringConstraints(pattern=r"^PT([1-9]|1[0-2])H$")]


class Model(BaseModel):
    """Base of every config model: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}"
        )
    return value
