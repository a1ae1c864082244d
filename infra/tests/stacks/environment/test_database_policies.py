"""The database stack's resource policies, evaluated (compliance/policy_eval.py): the
backup vault's access policy and the app secret's resource policy, for the principals
that must pass and those that must be refused. The data key's use by AWS Backup (via
``backup.<region>``): ``test_policies.py::test_workloads_use_keys_only_through_their_services``.
"""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.aws_managed_policies import ADMINISTRATOR_ACCESS, POWER_USER_ACCESS
from tests.helpers import resources_of
from tests.stacks.environment.test_policies import (
    OTHER_ACCOUNT,
    REGION,
    account_of,
    break_glass,
    deployer,
    people,
)

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]
READ_SECRET = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
}


def vault_policy(templates: Templates, env: str) -> dict[str, Any]:
    [vault] = resources_of(
        templates[f"innovate-{env}-database"], "AWS::Backup::BackupVault"
    ).values()
    policy = vault["Properties"]["AccessPolicy"]
    assert isinstance(policy, dict)
    return policy


def secret_policy(templates: Templates, env: str) -> dict[str, Any]:
    [policy] = resources_of(
        templates[f"innovate-{env}-database"], "AWS::SecretsManager::ResourcePolicy"
    ).values()
    document = policy["Properties"]["ResourcePolicy"]
    assert isinstance(document, dict)
    return document


def decide(
    policy: dict[str, Any],
    principal: Principal,
    action: str,
    resource: str,
    account: str,
    identity: list[dict[str, Any]],
) -> Decision:
    return authorize(
        Request(principal, action, resource),
        resource_policy=policy,
        resource_account=account,
        identity_policies=identity,
    )


def app_secret(account: str, env: str) -> str:
    name = f"innovate/{env}/database/innovate_app-AbCdEf"
    return f"arn:aws:secretsmanager:{REGION}:{account}:secret:{name}"


def recovery_point(account: str) -> str:
    return f"arn:aws:backup:{REGION}:{account}:recovery-point:continuous:db-abc-1"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize(
    "action", ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]
)
def test_recovery_points_cannot_be_deleted_or_shortened_by_people(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str, action: str
) -> None:
    account = account_of(platform, env_name)
    policy = vault_policy(templates, env_name)
    resource = recovery_point(account)
    for who, person in people(account).items():
        for identity in (POWER_USER_ACCESS, ADMINISTRATOR_ACCESS):
            decision = decide(policy, person, action, resource, account, [identity])
            assert decision is Decision.EXPLICIT_DENY, f"{env_name}: {who} may {action}"
    assert decide(
        policy, break_glass(account), action, resource, account, [ADMINISTRATOR_ACCESS]
    ).allowed
    # Deployments may clear a disposable environment's vault, never prod's.
    by_deployer = decide(
        policy, deployer(naming, account), action, resource, account, [ADMINISTRATOR_ACCESS]
    )
    assert by_deployer.allowed is (env_name != "prod"), f"{env_name}: {by_deployer}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize(
    "action",
    [
        "backup:PutBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultAccessPolicy",
        "backup:DeleteBackupVault",
    ],
)
def test_only_deployments_and_break_glass_change_the_vault_policy(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str, action: str
) -> None:
    account = account_of(platform, env_name)
    policy = vault_policy(templates, env_name)
    vault = f"arn:aws:backup:{REGION}:{account}:backup-vault:innovate-{env_name}-database"
    for principal in (deployer(naming, account), break_glass(account)):
        assert decide(policy, principal, action, vault, account, [ADMINISTRATOR_ACCESS]).allowed
    for who, person in people(account).items():
        decision = decide(policy, person, action, vault, account, [ADMINISTRATOR_ACCESS])
        assert decision is Decision.EXPLICIT_DENY, f"{env_name}: {who} may {action}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_app_secret_is_read_only_by_principals_of_its_account_that_iam_allows(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    account = account_of(platform, env_name)
    policy = secret_policy(templates, env_name)
    secret = app_secret(account, env_name)
    api = Principal.role(account, f"innovate-{env_name}-api-pod")
    read = "secretsmanager:GetSecretValue"
    assert decide(policy, api, read, secret, account, [READ_SECRET]).allowed
    # The policy grants nothing by itself: a role without an identity grant is refused.
    assert decide(policy, api, read, secret, account, []) is Decision.IMPLICIT_DENY
    for outsider in (
        Principal.role(OTHER_ACCOUNT, f"innovate-{env_name}-api-pod"),
        break_glass(OTHER_ACCOUNT),
    ):
        decision = decide(policy, outsider, read, secret, account, [ADMINISTRATOR_ACCESS])
        assert decision is Decision.EXPLICIT_DENY, outsider.arn


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize(
    "action", ["secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy"]
)
def test_only_deployments_and_break_glass_change_the_app_secrets_policy(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str, action: str
) -> None:
    account = account_of(platform, env_name)
    policy = secret_policy(templates, env_name)
    for principal in (deployer(naming, account), break_glass(account)):
        assert decide(
            policy,
            principal,
            action,
            app_secret(account, env_name),
            account,
            [ADMINISTRATOR_ACCESS],
        ).allowed
    for who, person in people(account).items():
        for identity in (POWER_USER_ACCESS, ADMINISTRATOR_ACCESS):
            decision = decide(
                policy, person, action, app_secret(account, env_name), account, [identity]
            )
            assert decision is Decision.EXPLICIT_DENY, f"{env_name}: {who} may {action}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_nobody_deletes_the_app_secret_while_its_policy_stands(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str
) -> None:
    """CDK's attachment adds a deny of DeleteSecret for the whole account: a deletion
    (CloudFormation's or break-glass's) first has to remove the policy, which only they may."""
    account = account_of(platform, env_name)
    policy = secret_policy(templates, env_name)
    for principal in (deployer(naming, account), break_glass(account), *people(account).values()):
        decision = decide(
            policy,
            principal,
            "secretsmanager:DeleteSecret",
            app_secret(account, env_name),
            account,
            [ADMINISTRATOR_ACCESS],
        )
        assert decision is Decision.EXPLICIT_DENY, principal.arn
