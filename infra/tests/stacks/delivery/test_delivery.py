"""The delivery stacks as synthesized: the image repository, the application pipeline and
its projects, notifications, the daily rebuild, the scan alarms, the prod deployer and the
infrastructure pipeline (issue #11)."""

from __future__ import annotations

import json
from typing import Any

from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth
from tests.helpers import resources_of

Templates = dict[str, dict[str, Any]]
ARTIFACTS = "innovate-development-delivery-artifacts"
PIPELINE = "innovate-development-delivery-pipeline"
TARGET = "innovate-production-delivery-target"
INFRA = "innovate-development-infrastructure-pipeline"
ENVIRONMENTS = ("dev", "staging", "prod")


def one(template: dict[str, Any], cfn_type: str) -> dict[str, Any]:
    [resource] = resources_of(template, cfn_type).values()
    return resource["Properties"]


def test_image_repository_is_immutable_scanned_encrypted_and_pruned(
    templates: Templates, platform: PlatformConfig
) -> None:
    repo = one(templates[ARTIFACTS], "AWS::ECR::Repository")
    assert repo["RepositoryName"] == "innovate-api"
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert repo["EncryptionConfiguration"]["EncryptionType"] == "KMS"
    assert "Ref" in json.dumps(
        repo["EncryptionConfiguration"]["KmsKey"]
    ) or "Fn::GetAtt" in json.dumps(repo["EncryptionConfiguration"]["KmsKey"])
    rules = json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "tagged"]
    assert rules[1]["selection"]["countNumber"] == platform.delivery.image.keep_tagged_images
    scanning = one(templates[ARTIFACTS], "AWS::ECR::RegistryScanningConfiguration")
    expected = "ENHANCED" if platform.delivery.image.enhanced_scanning else "BASIC"
    assert scanning["ScanType"] == expected


def test_artifact_bucket_and_logs_are_encrypted_with_the_delivery_key(templates: Templates) -> None:
    template = templates[ARTIFACTS]
    buckets = resources_of(template, "AWS::S3::Bucket")
    artifacts = next(b for lid, b in buckets.items() if lid.startswith("Artifacts"))["Properties"]
    [rule] = artifacts["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert artifacts["VersioningConfiguration"] == {"Status": "Enabled"}
    assert artifacts["LoggingConfiguration"]["LogFilePrefix"] == "artifacts/"
    for group in resources_of(template, "AWS::Logs::LogGroup").values():
        assert "KmsKeyId" in group["Properties"]
        assert group["Properties"]["RetentionInDays"] == 365


def stages_of(templates: Templates) -> list[dict[str, Any]]:
    return list(one(templates[PIPELINE], "AWS::CodePipeline::Pipeline")["Stages"])


def test_pipeline_is_v2_from_github_and_releases_in_order(
    templates: Templates, platform: PlatformConfig
) -> None:
    pipeline = one(templates[PIPELINE], "AWS::CodePipeline::Pipeline")
    assert pipeline["PipelineType"] == "V2"
    assert pipeline["ExecutionMode"] == "QUEUED"
    assert [s["Name"] for s in pipeline["Stages"]] == [
        "Source", "Test", "Build", "DeployDev", "DeployStaging", "DeployProd",
    ]  # fmt: skip
    [source] = pipeline["Stages"][0]["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    config = platform.delivery.source
    assert source["Configuration"]["ConnectionArn"] == config.connection_arn
    assert source["Configuration"]["FullRepositoryId"] == config.full_repository_id
    [trigger] = pipeline["Triggers"]
    assert trigger["GitConfiguration"]["Push"][0]["Branches"]["Includes"] == [config.branch]
    assert pipeline["ArtifactStore"]["EncryptionKey"]["Type"] == "KMS"
    build = {a["Name"]: a for a in pipeline["Stages"][2]["Actions"]}
    assert sorted(build) == ["Image", "WebBundle"]
    variables = json.loads(build["Image"]["Configuration"]["EnvironmentVariables"])
    assert {
        "name": "GIT_SHA",
        "value": "#{SourceVariables.CommitId}",
        "type": "PLAINTEXT",
    } in variables


def test_only_prod_waits_for_an_approval_that_is_announced(templates: Templates) -> None:
    for stage in stages_of(templates)[3:]:
        kinds = [a["ActionTypeId"]["Category"] for a in stage["Actions"]]
        if stage["Name"] == "DeployProd":
            assert kinds == ["Approval", "Build"]
            approval = stage["Actions"][0]
            assert "NotificationArn" in approval["Configuration"]
            assert stage["Actions"][1]["RunOrder"] > approval["RunOrder"]
        else:
            assert kinds == ["Build"]
        deploy = stage["Actions"][-1]
        assert [i["Name"] for i in deploy["InputArtifacts"]] == ["Source", "Web"]
        variables = json.loads(deploy["Configuration"]["EnvironmentVariables"])
        assert {
            "name": "IMAGE_TAG",
            "value": "#{Image.IMAGE_TAG}",
            "type": "PLAINTEXT",
        } in variables


def projects(templates: Templates) -> dict[str, dict[str, Any]]:
    return {
        p["Properties"]["Name"]: p["Properties"]
        for p in resources_of(templates[PIPELINE], "AWS::CodeBuild::Project").values()
    }


def test_build_projects_use_the_buildspecs_and_encrypted_logs(templates: Templates) -> None:
    found = projects(templates)
    assert sorted(found) == sorted(
        [
            "innovate-test", "innovate-image", "innovate-web", "innovate-commit-status",
            *(f"innovate-{v}-{e}" for v in ("deploy", "rollback") for e in ENVIRONMENTS),
        ]
    )  # fmt: skip
    for name, project in found.items():
        assert project["Source"]["BuildSpec"].startswith("deploy/buildspecs/"), name
        assert "EncryptionKey" in project, name
        logs = project["LogsConfig"]["CloudWatchLogs"]
        assert logs == {
            "Status": "ENABLED",
            "GroupName": "/innovate/delivery/codebuild",
            "StreamName": name,
        }
        # Only the image build runs Docker.
        assert project["Environment"]["PrivilegedMode"] is (name == "innovate-image"), name
    assert found["innovate-deploy-prod"]["Source"]["BuildSpec"] == "deploy/buildspecs/deploy.yml"
    assert (
        found["innovate-rollback-prod"]["Source"]["BuildSpec"] == "deploy/buildspecs/rollback.yml"
    )
    variables = {
        v["Name"]: v["Value"]
        for v in found["innovate-deploy-prod"]["Environment"]["EnvironmentVariables"]
    }
    assert variables["DEPLOY_ROLE_ARN"] == (
        "arn:aws:iam::444444444444:role/innovate-security-delivery-deployer-prod"
    )
    status = found["innovate-commit-status"]["Source"]
    assert status["Type"] == "GITHUB"
    assert status["ReportBuildStatus"] is True
    assert status["Auth"]["Type"] == "CODECONNECTIONS"


def test_every_delivery_role_has_its_own_delivery_pipeline_name(
    templates: Templates, naming: Naming
) -> None:
    roles = resources_of(templates[PIPELINE], "AWS::IAM::Role")
    names = sorted(r["Properties"]["RoleName"] for r in roles.values())
    assert all(n.startswith("innovate-security-delivery-pipeline-") for n in names), names
    assert len(names) == len(set(names)) == 9
    # No CDK grant slipped in: every permission is in the reviewed managed policies.
    assert resources_of(templates[PIPELINE], "AWS::IAM::Policy") == {}


def test_failures_and_approvals_are_mailed_from_an_encrypted_topic(
    templates: Templates, platform: PlatformConfig
) -> None:
    template = templates[PIPELINE]
    topic = one(template, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic
    [subscription] = resources_of(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == platform.delivery.notification_email
    rule = one(template, "AWS::CodeStarNotifications::NotificationRule")
    assert set(rule["EventTypeIds"]) >= {
        "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-manual-approval-needed",
    }


def test_daily_rebuild_starts_the_pipeline_with_rebuild_true(
    templates: Templates, platform: PlatformConfig
) -> None:
    schedule = one(templates[PIPELINE], "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == platform.delivery.rebuild.schedule
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:codepipeline:startPipelineExecution"
    assert json.loads(target["Input"]) == {
        "Name": "innovate-delivery",
        "Variables": [{"Name": "REBUILD", "Value": "true"}],
    }


def test_one_scan_rule_metric_and_alarm_per_configured_severity(
    templates: Templates, platform: PlatformConfig
) -> None:
    template = templates[PIPELINE]
    thresholds = platform.delivery.image.scan_alarm_thresholds
    rules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::Events::Rule").values()
    }
    alarms = [a["Properties"] for a in resources_of(template, "AWS::CloudWatch::Alarm").values()]
    assert len(rules) == len(alarms) == len(thresholds)
    for severity, threshold in thresholds.items():
        rule = rules[f"innovate-delivery-image-scan-{severity.lower()}"]
        pattern = rule["EventPattern"]
        assert pattern["detail"]["repository-name"] == ["innovate-api"]
        assert pattern["detail"]["finding-severity-counts"] == {
            severity: [{"numeric": [">=", threshold]}]
        }
        assert set(pattern["detail-type"]) == {"ECR Image Scan", "Inspector2 Scan"}
        [alarm] = [
            a for a in alarms if a["Dimensions"] == [{"Name": "RuleName", "Value": rule["Name"]}]
        ]
        assert alarm["Namespace"] == "AWS/Events"
        assert alarm["MetricName"] == "MatchedEvents"
        assert alarm["Threshold"] == 1
        assert len(alarm["AlarmActions"]) == 1


def test_infrastructure_pipeline_deploys_every_stage_with_approvals(
    templates: Templates, synth: Synth
) -> None:
    pipeline = one(templates[INFRA], "AWS::CodePipeline::Pipeline")
    names = [s["Name"] for s in pipeline["Stages"]]
    assert names == [
        "Source", "Build", "UpdatePipeline", "Assets",
        "accounts", "dev", "staging", "prod", "delivery",
    ]  # fmt: skip
    by_name = {s["Name"]: s for s in pipeline["Stages"]}
    for stage, approved in {
        "accounts": True,
        "dev": False,
        "staging": False,
        "prod": True,
        "delivery": False,
    }.items():
        kinds = {a["ActionTypeId"]["Category"] for a in by_name[stage]["Actions"]}
        assert ("Approval" in kinds) is approved, stage
    synth_project = next(
        p["Properties"]
        for p in resources_of(templates[INFRA], "AWS::CodeBuild::Project").values()
        if "make infra-synth infra-check" in json.dumps(p["Properties"]["Source"])
    )
    assert synth_project
    # The roles that reach into production and the security account carry the
    # delivery-pipeline name that the deployment-roles SCP admits.
    roles = {
        r["Properties"].get("RoleName")
        for r in resources_of(templates[INFRA], "AWS::IAM::Role").values()
    }
    assert {"innovate-security-delivery-pipeline-infrastructure",
            "innovate-security-delivery-pipeline-infrastructure-assets"} <= roles  # fmt: skip
    assert pipeline["RoleArn"]


def test_each_environments_deployer_has_an_access_entry_to_its_cluster_only(
    templates: Templates, naming: Naming
) -> None:
    """EKS side of the deploy (issue #9): the deployer role of each environment maps to the
    deployer group (RBAC in the application namespace), with no EKS access policy."""
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    for stack in (PIPELINE, TARGET):
        template = templates[stack]
        roles = resources_of(template, "AWS::IAM::Role")
        for entry in resources_of(template, "AWS::EKS::AccessEntry").values():
            props = entry["Properties"]
            [role_id, attribute] = props["PrincipalArn"]["Fn::GetAtt"]
            assert attribute == "Arn"
            entries[props["ClusterName"]] = (roles[role_id]["Properties"]["RoleName"], props)
    assert sorted(entries) == sorted(naming.cluster_name(e) for e in ("dev", "staging", "prod"))
    for env in ("dev", "staging", "prod"):
        role_name, props = entries[naming.cluster_name(env)]
        assert role_name == naming.deployer_role_name(env)
        assert props["Type"] == "STANDARD"
        assert props["KubernetesGroups"] == [naming.deployer_group]
        assert "AccessPolicies" not in props
