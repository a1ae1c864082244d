"""``organization.yaml``: the project, the four accounts, regions, the tag standard and the
egress allow-list: the settings every account and environment shares."""

from __future__ import annotations

from pydantic import Field, model_validator

from innovate_infra.config.types import (
    AccountId,
    AccountKey,
    AllowedDomain,
    Email,
    Model,
    ProjectName,
    Region,
    TagValue,
)

REQUIRED_TAG_KEYS = ("Project", "Environment", "Owner", "CostCenter", "DataClassification")
# Account-level stacks carry this Environment tag value.
SHARED_ENVIRONMENT = "shared"


class Account(Model):
    id: AccountId = Field(description="12-digit AWS account id")
    email: Email = Field(description="root e-mail address of the account")


class Accounts(Model):
    """The four accounts of the seed design. All are required."""

    management: Account
    security: Account
    development: Account
    production: Account

    def by_key(self, key: AccountKey) -> Account:
        account: Account = getattr(self, key)
        return account

    @model_validator(mode="after")
    def _distinct_ids(self) -> Accounts:
        ids = [self.management.id, self.security.id, self.development.id, self.production.id]
        if len(set(ids)) != len(ids):
            raise ValueError("the four accounts must have four different account ids")
        return self


class TagStandard(Model):
    """Allowed values of the mandatory tags (the keys are fixed: see ``REQUIRED_TAG_KEYS``)."""

    environments: list[TagValue] = Field(min_length=1)
    data_classifications: list[TagValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _shared(self) -> TagStandard:
        if SHARED_ENVIRONMENT not in self.environments:
            raise ValueError(
                f"environments must include {SHARED_ENVIRONMENT!r} (the account-level stacks)"
            )
        return self


class OrganizationConfig(Model):
    project: ProjectName
    owner: TagValue
    cost_center: TagValue
    home_region: Region
    allowed_regions: list[Region] = Field(min_length=1)
    accounts: Accounts
    tag_standard: TagStandard
    egress_allowed_domains: list[AllowedDomain] = Field(min_length=1)

    @model_validator(mode="after")
    def _regions(self) -> OrganizationConfig:
        if self.home_region not in self.allowed_regions:
            raise ValueError(
                f"home_region {self.home_region!r} is not in allowed_regions {self.allowed_regions}"
            )
        # The CloudFront certificate and web ACL live in us-east-1 (docs/architecture.md).
        if "us-east-1" not in self.allowed_regions:
            raise ValueError("allowed_regions: must include us-east-1 (CloudFront certificate/WAF)")
        return self
