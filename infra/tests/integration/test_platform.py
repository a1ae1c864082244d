"""The app: one stage per environment in the right account and region, the accounts
stage beside them, stable stack names, stateful and stateless stacks apart, compliance
aspects on every stage."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects, Stack
from innovate_infra.app import load_context
from innovate_infra.compliance.checks import (
    ApplyCheckovSkips,
    ApplyNagAcknowledgments,
    stages_under,
)
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth

STATEFUL_TYPES = {
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
    "AWS::Backup::BackupVault",
    "AWS::SecretsManager::Secret",
}
# What the database stack holds beside its data: the instance's network, parameters and
# roles, the secret's policy, attachment and rotation, the backup plan. All of it lives
# and dies with the data, none of it in the stateless stacks.
DATABASE_SUPPORT_TYPES = {
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBParameterGroup",
    "AWS::IAM::Role",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    # The endpoint and secret ids it publishes for the deploy step (stages.py).
    "AWS::SSM::Parameter",
}


def test_one_stage_per_environment_in_its_account_and_region(
    synth: Synth, platform: PlatformConfig
) -> None:
    assert [stage.stage_name for stage in synth.built.environments] == ["dev", "staging", "prod"]
    for stage in synth.built.environments:
        env = platform.environment(stage.stage_name)
        assert stage.account == platform.environment_account_id(env)
        assert stage.region == env.region
        for stack in stage.node.children:
            assert isinstance(stack, Stack)
            assert stack.account == stage.account
            # CloudFront's web ACL, certificate and log delivery source live in us-east-1.
            us_east_1 = stack.node.id in ("EdgeLogging", "Edge", "Web")
            assert stack.region == ("us-east-1" if us_east_1 else stage.region)


def test_stack_names_and_ids_are_stable(synth: Synth) -> None:
    for stage in synth.built.environments:
        stacks = {child.node.id: child for child in stage.node.children if isinstance(child, Stack)}
        assert sorted(stacks) == [
            "Cluster",
            "Database",
            "Edge",
            "EdgeLogging",
            "Ingress",
            "Keys",
            "Logging",
            "Monitoring",
            "Network",
            "Web",
        ]
        for construct_id, stack in stacks.items():
            purpose = "edge-logging" if construct_id == "EdgeLogging" else construct_id.lower()
            assert stack.stack_name == f"innovate-{stage.stage_name}-{purpose}"


def test_every_stack_name_follows_one_scheme(synth: Synth, naming: Naming) -> None:
    """``<project>-<scope>-<purpose>``, lower case, scope an account (management,
    security, and development or production for the delivery stacks) or an environment
    name; the construct id in its stage follows from scope and purpose."""
    scopes = {
        "management", "security", "development", "production",
        *(s.stage_name for s in synth.built.environments),
    }  # fmt: skip
    for name in synth.templates():
        project, scope, purpose = name.split("-", 2)
        assert project == naming.project
        assert scope in scopes, name
        assert name == name.lower(), name
        assert purpose, name


def test_account_stacks_share_one_stage(synth: Synth) -> None:
    """Their dependencies cross the management and security/logs accounts; CDK refuses
    dependencies across stages, so the stage (the unit a pipeline deploys) holds them all."""
    accounts = synth.accounts
    assert accounts.stage_name == "accounts"
    assert {child for child in accounts.node.children if isinstance(child, Stack)} == set(
        accounts.stacks()
    )
    assert [s.node.id for s in accounts.stacks()] == [
        "ManagementOrganization",
        "ManagementIdentity",
        "SecurityLogArchive",
        "SecurityDetection",
        "ManagementAuditData",
        "ManagementSecurityServices",
        "SecurityOrganization",
        "SecurityDetectionUsEast1",
        "ManagementDelegationUsEast1",
        "SecurityOrganizationUsEast1",
        "ManagementCost",
    ]


def test_stateful_resources_live_outside_the_network_stack(
    synth: Synth, templates: dict[str, dict[str, Any]]
) -> None:
    environment_stacks = {s.stack_name for e in synth.built.environments for s in e.stacks()}
    for name, template in templates.items():
        if name not in environment_stacks:
            continue  # the account stacks: tests/stacks/accounts/test_stage.py
        types = {r["Type"] for r in template["Resources"].values()}
        if name.endswith("-cluster"):
            # The only stateful resources CDK puts there: the kubectl provider's two
            # Lambda log groups, which it creates with the functions; they are retained
            # (a replaced stack leaves them) and encrypted with the logs key.
            stateful = {
                lid: r for lid, r in template["Resources"].items() if r["Type"] in STATEFUL_TYPES
            }
            # And the generated secrets of its workloads (Grafana's password, the API's
            # signing key): regenerable, never data.
            secrets = {
                lid for lid, r in stateful.items() if r["Type"] == "AWS::SecretsManager::Secret"
            }
            api_key, grafana = sorted(secrets)
            assert api_key.startswith("ApiSigningKey"), name
            assert grafana.startswith("HelmAddonsGrafanaAdminPassword"), name
            stateful = {lid: r for lid, r in stateful.items() if lid not in secrets}
            assert {r["Type"] for r in stateful.values()} == {"AWS::Logs::LogGroup"}, name
            assert len(stateful) == 2, name
            for lid, group in stateful.items():
                assert lid.startswith("EksClusterKubectlProvider"), lid
                assert group["DeletionPolicy"] == "Retain", lid
                assert "KmsKeyId" in group["Properties"], lid
        elif name.endswith("-web"):
            # The SPA bucket holds only the pipeline's build of git (re-uploadable); its
            # bucket policy must name the distribution, so they share a stack.
            assert types & STATEFUL_TYPES == {"AWS::S3::Bucket"}, name
        elif name.endswith("-ingress"):
            # Only the origin-verify header value: regenerable by design (rotated by
            # changing it and redeploying ingress and web), never data.
            assert types & STATEFUL_TYPES == {"AWS::SecretsManager::Secret"}, name
        elif name.endswith(("-network", "-monitoring", "-edge")):
            assert not types & STATEFUL_TYPES, name
        elif name.endswith("-database"):
            assert "AWS::RDS::DBInstance" in types, name
            assert types <= STATEFUL_TYPES | DATABASE_SUPPORT_TYPES, name
        else:
            assert types <= STATEFUL_TYPES | {"AWS::KMS::Alias"}, name


def test_prod_and_account_stacks_are_termination_protected(synth: Synth) -> None:
    assert all(stack.termination_protection for stack in synth.accounts.stacks())
    for stage in synth.built.environments:
        for stack in stage.node.children:
            assert isinstance(stack, Stack)
            assert stack.termination_protection is (stage.stage_name == "prod")


def test_every_stage_gets_the_compliance_aspects(synth: Synth) -> None:
    stages = stages_under(synth.app)
    # the app, its three environment stages, accounts, delivery and the infrastructure pipeline
    assert len(stages) == 7
    for stage in stages:
        kinds = {type(aspect) for aspect in Aspects.of(stage).all}
        assert {ApplyNagAcknowledgments, ApplyCheckovSkips} <= kinds, stage.node.path


def test_context_holds_every_availability_zone_lookup(platform: PlatformConfig) -> None:
    """cdk.context.json must answer the AZ lookup of every account and region, so synth
    needs no credentials (the CLI test proves it with --no-lookups)."""
    context = load_context()
    for env in platform.environments.values():
        key = (
            f"availability-zones:account={platform.environment_account_id(env)}:region={env.region}"
        )
        assert key in context, key
        assert set(env.availability_zones) <= set(context[key])
