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
        "Source", "Test", "Build", "DeployDev", "DeployStaging", "ApproveProd", "DeployProd",
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
    assert sorted(build) == ["DeployTools", "Image", "WebBundle"]
    assert [o["Name"] for o in build["DeployTools"]["OutputArtifacts"]] == ["Tools"]
    variables = json.loads(build["Image"]["Configuration"]["EnvironmentVariables"])
    assert {
        "name": "GIT_SHA",
        "value": "#{SourceVariables.CommitId}",
        "type": "PLAINTEXT",
    } in variables


def test_only_prod_waits_for_an_approval_that_is_announced(templates: Templates) -> None:
    stages = {s["Name"]: s for s in stages_of(templates)}
    approvals = [n for n, s in stages.items() if any(
        a["ActionTypeId"]["Category"] == "Approval" for a in s["Actions"]
    )]  # fmt: skip
    assert approvals == ["ApproveProd"]
    [approval] = stages["ApproveProd"]["Actions"]
    assert "NotificationArn" in approval["Configuration"]
    names = list(stages)
    assert names.index("ApproveProd") == names.index("DeployProd") - 1


def test_each_deploy_stage_releases_then_publishes_and_rolls_back_on_failure(
    templates: Templates, naming: Naming
) -> None:
    stages = {s["Name"]: s for s in stages_of(templates)}
    for env in ENVIRONMENTS:
        stage = stages[f"Deploy{env.capitalize()}"]
        # Back to the stage's last successful execution (commit, digest, SPA).
        assert stage["OnFailure"] == {"Result": "ROLLBACK"}
        release, publish = stage["Actions"]
        assert (release["Name"], release["RunOrder"]) == ("Release", 1)
        assert (publish["Name"], publish["RunOrder"]) == ("Publish", 2)
        assert release["Configuration"]["ProjectName"] == f"innovate-deploy-{env}"
        assert publish["Configuration"]["ProjectName"] == f"innovate-publish-{env}"
        assert [i["Name"] for i in release["InputArtifacts"]] == ["Source", "Tools"]
        assert [i["Name"] for i in publish["InputArtifacts"]] == ["Source", "Web"]
        # No outputs: CodePipeline cannot take outputs from a build in another account.
        assert not release.get("OutputArtifacts")
        assert not publish.get("OutputArtifacts")
        variables = json.loads(release["Configuration"]["EnvironmentVariables"])
        assert {
            "name": "IMAGE_DIGEST",
            "value": "#{Image.IMAGE_DIGEST}",
            "type": "PLAINTEXT",
        } in variables
        # prod's projects are in Production: the actions run as its action role.
        expected_role = (
            naming.pipeline_action_role_arn("prod", "444444444444") if env == "prod" else None
        )
        assert release.get("RoleArn") == publish.get("RoleArn") == expected_role


def projects(templates: Templates, stack: str = PIPELINE) -> dict[str, dict[str, Any]]:
    return {
        p["Properties"]["Name"]: p["Properties"]
        for p in resources_of(templates[stack], "AWS::CodeBuild::Project").values()
    }


def test_build_projects_use_the_buildspecs_and_encrypted_logs(templates: Templates) -> None:
    found = projects(templates)
    assert sorted(found) == sorted(
        [
            "innovate-test", "innovate-image", "innovate-web", "innovate-commit-status",
            "innovate-deploy-tools",
            *(f"innovate-{v}-{e}" for v in ("deploy", "publish") for e in ("dev", "staging")),
        ]
    )  # fmt: skip
    prod = projects(templates, TARGET)
    assert sorted(prod) == ["innovate-deploy-prod", "innovate-publish-prod"]
    found.update(prod)
    for name, project in found.items():
        assert project["Source"]["BuildSpec"].startswith("deploy/buildspecs/"), name
        assert "EncryptionKey" in project, name
        env = name.rsplit("-", 1)[1]
        deploys = name.startswith(("innovate-deploy-", "innovate-publish-")) and env in ENVIRONMENTS
        group = f"/innovate/{env}/delivery/deploy" if deploys else "/innovate/delivery/codebuild"
        assert project["LogsConfig"]["CloudWatchLogs"] == {
            "Status": "ENABLED",
            "GroupName": group,
            "StreamName": name,
        }, name
        # Only the image build runs Docker.
        assert project["Environment"]["PrivilegedMode"] is (name == "innovate-image"), name
        # Only the release projects join a VPC (the private cluster endpoint's).
        in_vpc = name in {f"innovate-deploy-{e}" for e in ENVIRONMENTS}
        assert ("VpcConfig" in project) is in_vpc, name
    assert found["innovate-deploy-prod"]["Source"]["BuildSpec"] == "deploy/buildspecs/deploy.yml"
    assert found["innovate-publish-prod"]["Source"]["BuildSpec"] == "deploy/buildspecs/publish.yml"
    assert found["innovate-deploy-tools"]["Source"]["BuildSpec"] == "deploy/buildspecs/tools.yml"
    status = found["innovate-commit-status"]["Source"]
    assert status["Type"] == "GITHUB"
    assert status["ReportBuildStatus"] is True
    assert status["Auth"]["Type"] == "CODECONNECTIONS"


def test_release_projects_run_in_their_environments_private_subnets(
    templates: Templates, platform: PlatformConfig, naming: Naming
) -> None:
    """The network comes from the environment's published parameters, resolved by
    CloudFormation in the project's account: one subnet per AZ, the runner's group."""
    for env, stack in (("dev", PIPELINE), ("staging", PIPELINE), ("prod", TARGET)):
        template = templates[stack]
        parameters = template.get("Parameters", {})
        vpc = projects(templates, stack)[f"innovate-deploy-{env}"]["VpcConfig"]

        def parameter_of(ref: dict[str, Any], parameters: dict[str, Any] = parameters) -> str:
            return str(parameters[ref["Ref"]]["Default"])

        assert parameter_of(vpc["VpcId"]) == naming.deployment_parameter_name(env, "runner-vpc-id")
        [group] = vpc["SecurityGroupIds"]
        assert parameter_of(group) == naming.deployment_parameter_name(
            env, "runner-security-group-id"
        )
        subnets = vpc["Subnets"]
        assert len(subnets) == len(platform.environments[env].availability_zones)
        for index, subnet in enumerate(subnets):
            position, listing = subnet["Fn::Select"]
            assert position == index
            assert parameter_of(listing) == naming.deployment_parameter_name(
                env, "runner-subnet-ids"
            )
        assert {parameters[r["Ref"]]["Type"] for r in (vpc["VpcId"], group, listing)} == {
            "AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>",
            "AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>",
            "AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>",
        }


def test_each_environment_publishes_the_deploy_runners_network(
    templates: Templates, naming: Naming
) -> None:
    """The cluster stack owns the runner's group: HTTPS out only, and the control plane's
    additional group admits it on 443 (nothing else reaches the API endpoint through it)."""
    for env in ENVIRONMENTS:
        template = templates[f"innovate-{env}-cluster"]
        groups = resources_of(template, "AWS::EC2::SecurityGroup")
        [runner_id] = [lid for lid in groups if lid.startswith("DeployRunnerSecurityGroup")]
        runner = groups[runner_id]["Properties"]
        assert [(e["IpProtocol"], e["FromPort"], e["ToPort"], e["CidrIp"]) for e in (
            runner["SecurityGroupEgress"]
        )] == [("tcp", 443, 443, "0.0.0.0/0")]  # fmt: skip
        assert "SecurityGroupIngress" not in runner
        [plane_id] = [lid for lid in groups if "ControlPlaneSecurityGroup" in lid]
        assert "SecurityGroupIngress" not in groups[plane_id]["Properties"]
        ingress = [
            r["Properties"]
            for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
            if r["Properties"]["GroupId"] == {"Fn::GetAtt": [plane_id, "GroupId"]}
        ]
        assert [
            (i["IpProtocol"], i["FromPort"], i["ToPort"], i["SourceSecurityGroupId"])
            for i in ingress
        ] == [("tcp", 443, 443, {"Fn::GetAtt": [runner_id, "GroupId"]})]
        published = {
            p["Properties"]["Name"]: p["Properties"]
            for p in resources_of(template, "AWS::SSM::Parameter").values()
            if isinstance(p["Properties"].get("Name"), str)
        }
        subnets = published[naming.deployment_parameter_name(env, "runner-subnet-ids")]
        assert subnets["Type"] == "StringList"
        group = published[naming.deployment_parameter_name(env, "runner-security-group-id")]
        assert group["Value"] == {"Fn::GetAtt": [runner_id, "GroupId"]}
        assert naming.deployment_parameter_name(env, "runner-vpc-id") in published


def test_every_delivery_role_has_its_own_delivery_pipeline_name(
    templates: Templates, naming: Naming
) -> None:
    roles = resources_of(templates[PIPELINE], "AWS::IAM::Role")
    names = sorted(r["Properties"]["RoleName"] for r in roles.values())
    assert all(n.startswith("innovate-security-delivery-pipeline-") for n in names), names
    assert len(names) == len(set(names)) == 12
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


def test_daily_rebuild_starts_the_pipeline_on_the_released_commit(
    templates: Templates, platform: PlatformConfig
) -> None:
    template = templates[PIPELINE]
    schedule = one(template, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == platform.delivery.rebuild.schedule
    [(machine_id, machine)] = resources_of(template, "AWS::StepFunctions::StateMachine").items()
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [machine_id, "Arn"]}
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    states = json.loads(props["DefinitionString"])["States"]
    find = states[json.loads(props["DefinitionString"])["StartAt"]]
    assert find["Resource"].endswith("codepipeline:listPipelineExecutions")
    # What production runs: the newest execution that got through the last deploy stage.
    assert find["Parameters"] == {
        "PipelineName": "innovate-delivery",
        "MaxResults": 1,
        "Filter": {"SucceededInStage": {"StageName": "DeployProd"}},
    }
    choice = states[find["Next"]]
    [released] = choice["Choices"]
    rebuild = states[released["Next"]]["Parameters"]
    assert rebuild["Name"] == "innovate-delivery"
    assert rebuild["Variables"] == [{"Name": "REBUILD", "Value": "true"}]
    [revision] = rebuild["SourceRevisions"]
    assert revision["ActionName"] == stages_of(templates)[0]["Actions"][0]["Name"]
    assert revision["RevisionType"] == "COMMIT_ID"
    assert revision["RevisionValue.$"] == (
        "$.released.PipelineExecutionSummaries[0].SourceRevisions[0].RevisionId"
    )
    # Nothing released yet (or the pipeline's structure changed): the branch head.
    head = states[choice["Default"]]["Parameters"]
    assert head == {
        "Name": "innovate-delivery",
        "Variables": [{"Name": "REBUILD", "Value": "true"}],
    }
    assert all(state.get("End") for state in (states[released["Next"]], states[choice["Default"]]))


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
