"""What crosses an environment's stacks (stages.py::_connect): the pods' security group
into the database and from the ALB, the API's signing key, and the Pod Identity roles of
the API and of its migration Job, evaluated (compliance/policy_eval.py) for the secrets
each must and must not read."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Principal, Request, TemplateContext, authorize
from innovate_infra.compliance.policy_eval import resolve as resolve_intrinsics
from innovate_infra.naming import Naming

from tests.helpers import resources_of

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]
ACCOUNT = {"dev": "333333333333", "staging": "333333333333", "prod": "444444444444"}
REGION = "eu-west-1"


def secret_arn(env: str, name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT[env]}:secret:{name}-AbCdEf"


def identity_policy(template: dict[str, Any], prefix: str, env: str) -> dict[str, Any]:
    [policy] = [
        r["Properties"]["PolicyDocument"]
        for lid, r in resources_of(template, "AWS::IAM::ManagedPolicy").items()
        if lid.startswith(f"{prefix}Policy")
    ]
    app = secret_arn(env, f"innovate/{env}/database/innovate_app")
    master = secret_arn(env, "rds!db-0f1e2d3c")
    signing = secret_arn(env, f"innovate/{env}/api/jwt-signing-key")
    database = f"innovate-{env}-database:ExportsOutput"
    exports = {
        f"{database}RefAppSecretAttachment3293DD547E95CB12": app,
        f"{database}FnGetAttPostgresInstanceEC667DB9MasterUserSecretSecretArn2E23F68F": master,
        f"innovate-{env}-keys:ExportsOutputFnGetAttSecretsKey0D2EC683Arn131978FF": (
            f"arn:aws:kms:{REGION}:{ACCOUNT[env]}:key/secrets"
        ),
    }
    [signing_id] = [
        lid
        for lid in resources_of(template, "AWS::SecretsManager::Secret")
        if lid.startswith("ApiSigningKey")
    ]
    ctx = TemplateContext(
        account=ACCOUNT[env], region=REGION, references={signing_id: signing}, exports=exports
    )
    resolved = resolve_intrinsics(policy, ctx)
    assert isinstance(resolved, dict)
    return resolved


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_database_admits_the_pods_and_the_alb_reaches_them(
    templates: Templates, env_name: str
) -> None:
    cluster = templates[f"innovate-{env_name}-cluster"]
    [rule] = [
        r["Properties"]
        for r in resources_of(cluster, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("FromPort") == 5432
    ]
    assert rule["ToPort"] == 5432
    assert "PostgresSecurityGroup" in rule["GroupId"]["Fn::ImportValue"]
    assert rule["SourceSecurityGroupId"] == {
        "Fn::GetAtt": [rule["SourceSecurityGroupId"]["Fn::GetAtt"][0], "ClusterSecurityGroupId"]
    }
    database = templates[f"innovate-{env_name}-database"]
    # The database stack itself admits no client: only the rotation function's group.
    for ingress in resources_of(database, "AWS::EC2::SecurityGroupIngress").values():
        assert ingress["Properties"]["FromPort"] == 5432
        assert "RotationSecurityGroup" in str(ingress["Properties"]["SourceSecurityGroupId"])


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_signing_key_is_generated_and_encrypted(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    cluster = templates[f"innovate-{env_name}-cluster"]
    [key] = [
        r
        for lid, r in resources_of(cluster, "AWS::SecretsManager::Secret").items()
        if lid.startswith("ApiSigningKey")
    ]
    props = key["Properties"]
    assert props["Name"] == naming.api_signing_key_secret_name(env_name)
    assert "SecretString" not in props
    assert props["GenerateSecretString"]["PasswordLength"] >= 32  # the API's minimum
    assert "SecretsKey" in props["KmsKeyId"]["Fn::ImportValue"]
    assert key["DeletionPolicy"] == ("Retain" if env_name == "prod" else "Delete")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_pod_identities_read_exactly_their_secrets(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    cluster = templates[f"innovate-{env_name}-cluster"]
    associations = {
        r["Properties"]["ServiceAccount"]: r["Properties"]
        for r in resources_of(cluster, "AWS::EKS::PodIdentityAssociation").values()
    }
    for account in (naming.api_service_account, naming.migration_service_account):
        assert associations[account]["Namespace"] == naming.application_namespace
    role = Principal.role(ACCOUNT[env_name], "api-pods")
    app = secret_arn(env_name, f"innovate/{env_name}/database/innovate_app")
    master = secret_arn(env_name, "rds!db-0f1e2d3c")
    signing = secret_arn(env_name, f"innovate/{env_name}/api/jwt-signing-key")
    grafana = secret_arn(env_name, "HelmAddonsGrafanaAdminPassword")

    def may_read(policy: dict[str, Any], secret: str) -> bool:
        request = Request(role, "secretsmanager:GetSecretValue", secret)
        return authorize(request, identity_policies=[policy]).allowed

    api = identity_policy(cluster, "ApiIdentity", env_name)
    assert may_read(api, app)
    assert may_read(api, signing)
    assert not may_read(api, master)  # never DDL or role management
    assert not may_read(api, grafana)
    migration = identity_policy(cluster, "MigrationIdentity", env_name)
    assert may_read(migration, master)
    assert may_read(migration, app)
    assert not may_read(migration, grafana)
    # Decrypt only through Secrets Manager, never directly.
    key = f"arn:aws:kms:{REGION}:{ACCOUNT[env_name]}:key/secrets"
    via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    assert authorize(Request(role, "kms:Decrypt", key, via), identity_policies=[api]).allowed
    assert not authorize(Request(role, "kms:Decrypt", key), identity_policies=[api]).allowed
