"""Amazon Security Lake: off by default (nothing deployed), complete when switched on."""

from __future__ import annotations

import json

from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth
from tests.helpers import calls_of


def test_off_by_default_creates_nothing(synth: Synth) -> None:
    assert synth.accounts.security_lake is None
    assert not any("SecurityLake" in p.name for p in synth.template_files())
    management = synth.template(synth.accounts.security_services)
    assert not calls_of(management, "SecurityLake", "RegisterDataLakeDelegatedAdministrator")
    trusted = {
        json.loads(c["text"])["parameters"]["ServicePrincipal"]
        for c in calls_of(management, "Organizations", "EnableAWSServiceAccess")
    }
    assert "securitylake.amazonaws.com" not in trusted
    for stack in synth.accounts.stacks():
        assert not synth.template(stack).find_resources("AWS::SecurityLake::DataLake")


def test_on_creates_the_lake_after_the_organization_security_stack(
    synth_lake: Synth,
) -> None:
    lake = synth_lake.accounts.security_lake
    assert lake is not None
    assert synth_lake.accounts.security_organization in lake.dependencies
    assert lake.account == synth_lake.platform.account_id("security")
    management = synth_lake.template(synth_lake.accounts.security_services)
    [delegation] = calls_of(management, "SecurityLake", "RegisterDataLakeDelegatedAdministrator")
    assert json.loads(delegation["text"])["parameters"] == {
        "AccountId": synth_lake.platform.account_id("security")
    }


def test_data_lake_encryption_and_retention(synth_lake: Synth) -> None:
    assert synth_lake.accounts.security_lake is not None
    template = synth_lake.template(synth_lake.accounts.security_lake)
    lake_config = synth_lake.platform.accounts.security_lake
    [lake] = template.find_resources("AWS::SecurityLake::DataLake").values()
    props = lake["Properties"]
    [key_id] = template.find_resources("AWS::KMS::Key")
    assert props["EncryptionConfiguration"] == {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    assert props["LifecycleConfiguration"] == {
        "Expiration": {"Days": lake_config.retention_days},
        "Transitions": [
            {"Days": lake_config.transition_to_glacier_after_days, "StorageClass": "GLACIER"}
        ],
    }
    [role_id] = [
        lid
        for lid, r in template.find_resources("AWS::IAM::Role").items()
        if r["Properties"].get("RoleName") == "AmazonSecurityLakeMetaStoreManagerV2"
    ]
    assert props["MetaStoreManagerRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    [admins] = template.find_resources("AWS::LakeFormation::DataLakeSettings").values()
    [admin] = admins["Properties"]["Admins"]
    assert admin["DataLakePrincipalIdentifier"].endswith(
        f"cfn-exec-role-{synth_lake.platform.account_id('security')}-"
        f"{synth_lake.platform.home_region}"
    )


def test_sources_cover_the_seed_list_for_every_account(
    synth_lake: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    assert synth_lake.accounts.security_lake is not None
    template = synth_lake.template(synth_lake.accounts.security_lake)
    sources = template.find_resources("AWS::SecurityLake::AwsLogSource")
    names = {s["Properties"]["SourceName"] for s in sources.values()}
    seed = {"CLOUD_TRAIL_MGMT", "VPC_FLOW", "WAF", "EKS_AUDIT", "SH_FINDINGS", "ROUTE53"}
    assert names == set(platform.accounts.security_lake.sources)
    assert seed <= names
    every_account = sorted(
        [platform.account_id("management")]
        + [platform.account_id(key) for key in platform.accounts.accounts]
    )
    for source in sources.values():
        assert sorted(source["Properties"]["Accounts"]) == every_account
        assert source["Properties"]["SourceVersion"] == "2.0"
    # Updates to one lake are serialized: each source waits for the previous one.
    chained = [s for s in sources.values() if s.get("DependsOn")]
    assert len(chained) >= len(sources) - 1


def test_athena_subscriber(synth_lake: Synth, platform: PlatformConfig, naming: Naming) -> None:
    assert synth_lake.accounts.security_lake is not None
    template = synth_lake.template(synth_lake.accounts.security_lake)
    [subscriber] = template.find_resources("AWS::SecurityLake::Subscriber").values()
    props = subscriber["Properties"]
    assert props["AccessTypes"] == ["LAKEFORMATION"]
    assert props["SubscriberIdentity"] == {
        "Principal": platform.account_id("security"),
        "ExternalId": platform.accounts.security_lake.subscriber_external_id,
    }
    assert [s["AwsLogSource"]["SourceName"] for s in props["Sources"]] == list(
        platform.accounts.security_lake.sources
    )
    assert len(subscriber["DependsOn"]) >= len(platform.accounts.security_lake.sources)
