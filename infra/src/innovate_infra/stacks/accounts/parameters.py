"""Values substituted into the reviewed policy documents (``infra/policies``), from the
configuration and the naming module."""

from __future__ import annotations

from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.organization.policies import ParamValue
from innovate_infra.naming import Naming


def policy_parameters(platform: PlatformConfig, naming: Naming) -> dict[str, ParamValue]:
    org = platform.organization
    guardrails = platform.accounts.guardrails
    standard = org.tag_standard
    return {
        "AllowedRegions": list(org.allowed_regions),
        "OrganizationId": platform.accounts.organization.organization_id,
        "ProtectedRoleArns": naming.protected_role_arns(),
        "PlatformAutomationPrincipalArns": naming.platform_automation_principal_arns(),
        "BreakGlassPrincipalArns": naming.break_glass_principal_arns(),
        "CdkQualifier": guardrails.cdk_qualifier,
        "ManagementAccountId": platform.account_id("management"),
        "SecurityAccountId": platform.account_id("security"),
        "DevelopmentAccountId": platform.account_id("development"),
        "ProductionAccountId": platform.account_id("production"),
        "DeploymentPrincipalArns": naming.deployment_principal_arns(),
        "DeliveryPrincipalArns": naming.delivery_principal_arns(),
        "DeliveryAutomationPrincipalArns": naming.delivery_automation_principal_arns(),
        "Project": org.project,
        "ProjectValues": [org.project],
        "EnvironmentValues": list(standard.environments),
        "OwnerValues": [org.owner],
        "CostCenterValues": [org.cost_center],
        "DataClassificationValues": list(standard.data_classifications),
        "EnforcedResourceTypes": list(guardrails.tag_policy_enforced_for),
    }
