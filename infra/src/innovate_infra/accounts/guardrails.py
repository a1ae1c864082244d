"""Values substituted into the reviewed policy documents, derived from the accounts config."""

from __future__ import annotations

from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.policies import ParamValue

SSO_ROLE_PATH = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/"
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"


def break_glass_principal_arns() -> list[str]:
    """Roles Identity Center creates for the BreakGlassAdmin permission set, in any account."""
    return [SSO_ROLE_PATH + "*AWSReservedSSO_BreakGlassAdmin_*"]


def platform_automation_principal_arns(config: AccountsConfig) -> list[str]:
    """Principals that may change security tooling and the protected roles.

    * the CDK execution role: CloudFormation deploying reviewed code;
    * the platform's own security automation roles (``<security_role_prefix>*``);
    * ``OrganizationAccountAccessRole`` and ``stacksets-exec-*``: assumable only from the
      management account (whose administrators can detach any SCP anyway); needed to
      bootstrap member accounts and for the Config-recorder StackSet;
    * break-glass.
    """
    g = config.guardrails
    return [
        f"arn:aws:iam::*:role/cdk-{g.cdk_qualifier}-cfn-exec-role-*",
        f"arn:aws:iam::*:role/{g.security_role_prefix}*",
        f"arn:aws:iam::*:role/{ORGANIZATION_ACCESS_ROLE}",
        "arn:aws:iam::*:role/stacksets-exec-*",
        *break_glass_principal_arns(),
    ]


def protected_role_arns(config: AccountsConfig) -> list[str]:
    """Roles nobody but platform automation may modify."""
    g = config.guardrails
    return [
        f"arn:aws:iam::*:role/{g.security_role_prefix}*",
        f"arn:aws:iam::*:role/cdk-{g.cdk_qualifier}-*",
        f"arn:aws:iam::*:role/{ORGANIZATION_ACCESS_ROLE}",
        SSO_ROLE_PATH + "*",
    ]


def policy_parameters(config: AccountsConfig) -> dict[str, ParamValue]:
    g = config.guardrails
    t = g.tagging
    return {
        "AllowedRegions": list(g.allowed_regions),
        "OrganizationId": config.organization.organization_id,
        "ProtectedRoleArns": protected_role_arns(config),
        "PlatformAutomationPrincipalArns": platform_automation_principal_arns(config),
        "BreakGlassPrincipalArns": break_glass_principal_arns(),
        "CdkQualifier": g.cdk_qualifier,
        "SecurityAccountId": config.security_account_id,
        "ProjectValues": list(t.project),
        "EnvironmentValues": list(t.environment),
        "OwnerValues": list(t.owner),
        "CostCenterValues": list(t.cost_center),
        "DataClassificationValues": list(t.data_classification),
        "EnforcedResourceTypes": list(t.enforced_for),
    }


def security_automation_role_name(config: AccountsConfig, purpose: str) -> str:
    """Name of a platform security role (covered by the SCP exemption and protection)."""
    return f"{config.guardrails.security_role_prefix}{purpose}"
