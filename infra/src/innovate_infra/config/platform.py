"""The one typed object for the whole platform: organization, accounts and environments.

Later domains (data, compute, edge) become further sections here, each with
its own module and YAML file, loaded by ``loader.load_platform``.
"""

from __future__ import annotations

from innovate_infra.config.accounts import AccountsConfig
from innovate_infra.config.delivery import DeliveryConfig
from innovate_infra.config.environment import EnvironmentConfig
from innovate_infra.config.errors import ConfigError, ConfigIssue
from innovate_infra.config.organization import SHARED_ENVIRONMENT, OrganizationConfig
from innovate_infra.config.types import AccountKey, Model


class PlatformConfig(Model):
    organization: OrganizationConfig
    accounts: AccountsConfig
    environments: dict[str, EnvironmentConfig]
    delivery: DeliveryConfig

    @property
    def project(self) -> str:
        return self.organization.project

    @property
    def home_region(self) -> str:
        return self.organization.home_region

    def account_id(self, key: AccountKey) -> str:
        return self.organization.accounts.by_key(key).id

    def environment(self, name: str) -> EnvironmentConfig:
        try:
            return self.environments[name]
        except KeyError:
            raise ConfigError(
                [
                    ConfigIssue(
                        "environments",
                        name,
                        f"unknown environment; known: {sorted(self.environments)}",
                    )
                ]
            ) from None

    def environment_account_id(self, env: EnvironmentConfig) -> str:
        return self.account_id(env.account)

    def allowed_domains(self, env: EnvironmentConfig) -> list[str]:
        """The egress allow-list of one environment, region substituted, de-duplicated, ordered."""
        domains = [
            *self.organization.egress_allowed_domains,
            *env.network.network_firewall.extra_allowed_domains,
        ]
        resolved = [d.replace("{region}", env.region) for d in domains]
        return list(dict.fromkeys(resolved))

    def tags(self, env: EnvironmentConfig) -> dict[str, str]:
        """The mandatory tags for every taggable resource of one environment."""
        return self._tags(env.name, env.data_classification)

    def shared_tags(self, classification: str) -> dict[str, str]:
        """The mandatory tags of an account-level stack (Environment ``shared``)."""
        if classification not in self.organization.tag_standard.data_classifications:
            raise ValueError(f"{classification!r} is not in tag_standard.data_classifications")
        return self._tags(SHARED_ENVIRONMENT, classification)

    def _tags(self, environment: str, classification: str) -> dict[str, str]:
        return {
            "Project": self.organization.project,
            "Environment": environment,
            "Owner": self.organization.owner,
            "CostCenter": self.organization.cost_center,
            "DataClassification": classification,
        }
