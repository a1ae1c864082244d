"""The cluster stack of every environment matches the design and its config: private
EKS with encrypted secrets and every log type, access entries only, the tainted system
node group (IMDSv2, encrypted volumes, SSM, no SSH), Karpenter (Pod Identity,
interruption queue, node class, node pools), the add-ons pinned and configured, and
the namespaces' network policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.helpers import ref, resources_of
from tests.stacks.environment.cluster_templates import TOKEN, charts, manifests, render

Templates = dict[str, dict[str, Any]]


@pytest.fixture(params=["dev", "staging", "prod"])
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def cluster_template(templates: Templates, env: str) -> dict[str, Any]:
    return templates[f"innovate-{env}-cluster"]


def one(template: dict[str, Any], cfn_type: str) -> dict[str, Any]:
    [resource] = resources_of(template, cfn_type).values()
    return resource["Properties"]  # type: ignore[no-any-return]


def imported_key(value: Any) -> str:
    """The export a key reference imports (``Fn::ImportValue`` of the keys stack)."""
    text = json.dumps(value)
    assert "Fn::ImportValue" in text, text
    return text


def key_export(templates: Templates, env: str, purpose: str) -> str:
    """The name of the keys stack's export of one key's ARN."""
    keys = templates[f"innovate-{env}-keys"]
    key_ids = [
        lid for lid in resources_of(keys, "AWS::KMS::Key") if lid.startswith(purpose.capitalize())
    ]
    [key_id] = key_ids
    [export] = [
        o["Export"]["Name"]
        for o in keys.get("Outputs", {}).values()
        if o.get("Value") == {"Fn::GetAtt": [key_id, "Arn"]}
    ]
    return str(export)


def test_control_plane_is_private_encrypted_and_logs_everything(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str
) -> None:
    env = platform.environment(env_name)
    cluster = one(cluster_template(templates, env_name), "AWS::EKS::Cluster")
    assert cluster["Name"] == naming.cluster_name(env_name)
    assert cluster["Version"] == env.cluster.kubernetes_version
    vpc = cluster["ResourcesVpcConfig"]
    assert vpc["EndpointPrivateAccess"] is True
    assert vpc["EndpointPublicAccess"] is False
    [encryption] = cluster["EncryptionConfig"]
    assert encryption["Resources"] == ["secrets"]
    assert key_export(templates, env_name, "cluster") in imported_key(
        encryption["Provider"]["KeyArn"]
    )
    assert sorted(t["Type"] for t in cluster["Logging"]["ClusterLogging"]["EnabledTypes"]) == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    # Access entries only (no aws-auth ConfigMap), and no admin for whoever created it.
    assert cluster["AccessConfig"]["AuthenticationMode"] == "API"
    assert cluster["AccessConfig"]["BootstrapClusterCreatorAdminPermissions"] is False
    # Managed node groups and Karpenter, not Auto Mode.
    assert cluster.get("ComputeConfig", {}).get("Enabled", False) is False


def test_access_entries_follow_config(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str
) -> None:
    env = platform.environment(env_name)
    account = platform.environment_account_id(env)
    entries = [
        e["Properties"]
        for e in resources_of(
            cluster_template(templates, env_name), "AWS::EKS::AccessEntry"
        ).values()
    ]
    standard = {
        e["PrincipalArn"]: e
        for e in entries
        if isinstance(e["PrincipalArn"], str) and e.get("Type", "STANDARD") == "STANDARD"
    }
    policy_of = {
        "cluster_admin": "AmazonEKSClusterAdminPolicy",
        "view": "AmazonEKSViewPolicy",
        "edit_application": "AmazonEKSEditPolicy",
    }
    for grant in env.cluster.access:
        arn = naming.identity_center_role_arn(grant.permission_set, account, grant.role_suffix)
        assert arn.startswith(
            f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{env.region}/"
        )
        [policy] = standard.pop(arn)["AccessPolicies"]
        assert render(policy["PolicyArn"]).endswith(
            f"cluster-access-policy/{policy_of[grant.access]}"
        )
        scope = policy["AccessScope"]
        if grant.access == "edit_application":
            assert scope == {"Type": "namespace", "Namespaces": [naming.application_namespace]}
        else:
            assert scope["Type"] == "cluster"
    # Nothing else has a standard entry with a literal ARN (the kubectl provider's role,
    # added by CDK, is a reference).
    assert standard == {}
    if env_name == "prod":
        assert {g.access for g in env.cluster.access} <= {"cluster_admin", "view"}
    # Karpenter's nodes join as EC2_LINUX, without access policies.
    [node_entry] = [e for e in entries if e.get("Type") == "EC2_LINUX"]
    assert not node_entry.get("AccessPolicies")


def test_system_node_group(templates: Templates, platform: PlatformConfig, env_name: str) -> None:
    nodes = platform.environment(env_name).cluster.system_nodes
    template = cluster_template(templates, env_name)
    group = one(template, "AWS::EKS::Nodegroup")
    assert group["ScalingConfig"] == {
        "MinSize": nodes.min_size,
        "DesiredSize": nodes.desired_size,
        "MaxSize": nodes.max_size,
    }
    assert group["InstanceTypes"] == nodes.instance_types
    assert group["AmiType"] == "BOTTLEROCKET_ARM_64"
    assert group["CapacityType"] == "ON_DEMAND"
    assert group["Taints"] == [
        {"Effect": "NO_SCHEDULE", "Key": "CriticalAddonsOnly", "Value": "true"}
    ]
    assert "RemoteAccess" not in group  # no SSH
    assert "DiskSize" not in group  # the launch template's volume instead
    subnets = json.dumps(group["Subnets"])
    assert "privateSubnet" in subnets
    assert "publicSubnet" not in subnets
    assert "isolated" not in subnets
    template_data = one(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert template_data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
    }
    [volume] = template_data["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True
    assert volume["Ebs"]["VolumeType"] == "gp3"
    assert volume["Ebs"]["VolumeSize"] == nodes.volume_size_gib
    assert key_export(templates, env_name, "data") in imported_key(volume["Ebs"]["KmsKeyId"])
    assert "KeyName" not in template_data
    assert "UserData" not in template_data
    role = resources_of(template, "AWS::IAM::Role")[ref(group["NodeRole"]) or ""]["Properties"]
    managed = json.dumps(role["ManagedPolicyArns"])
    for policy in (
        "AmazonSSMManagedInstanceCore",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryPullOnly",
    ):
        assert policy in managed


def test_karpenter(templates: Templates, platform: PlatformConfig, env_name: str) -> None:
    karpenter = platform.environment(env_name).cluster.karpenter
    template = cluster_template(templates, env_name)
    queue = one(template, "AWS::SQS::Queue")
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 300
    rules = [r["Properties"] for r in resources_of(template, "AWS::Events::Rule").values()]
    assert sorted(r["EventPattern"]["detail-type"][0] for r in rules) == [
        "AWS Health Event",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Spot Instance Interruption Warning",
    ]
    [chart] = [c for c in charts(template) if c.chart == "karpenter"]
    assert chart.version == karpenter.version
    assert chart.repository == "oci://public.ecr.aws/karpenter/karpenter"
    assert chart.values["settings"]["interruptionQueue"] == TOKEN
    assert chart.values["settings"]["isolatedVPC"] is True
    associations = [
        a["Properties"] for a in resources_of(template, "AWS::EKS::PodIdentityAssociation").values()
    ]
    assert {"Namespace": "kube-system", "ServiceAccount": "karpenter"}.items() <= next(
        a for a in associations if a["ServiceAccount"] == "karpenter"
    ).items()
    objects = manifests(template)
    [node_class] = [o for o in objects if o["kind"] == "EC2NodeClass"]
    spec = node_class["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert all(
        b["ebs"]["encrypted"] and b["ebs"]["kmsKeyID"] == TOKEN for b in spec["blockDeviceMappings"]
    )
    assert list(spec["subnetSelectorTerms"][0]["tags"]) == ["karpenter.sh/discovery"]
    assert list(spec["securityGroupSelectorTerms"][0]["tags"]) == ["aws:eks:cluster-name"]
    pools = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "NodePool"}
    assert set(pools) == {"baseline", "burst"}
    for name, config in (("baseline", karpenter.baseline), ("burst", karpenter.burst)):
        pool = pools[name]
        requirements = {r["key"]: r["values"] for r in pool["template"]["spec"]["requirements"]}
        assert requirements["karpenter.sh/capacity-type"] == config.capacity_types
        assert sorted(requirements["kubernetes.io/arch"]) == sorted(karpenter.architectures)
        assert pool["limits"] == {
            "cpu": str(config.cpu_limit),
            "memory": f"{config.memory_limit_gib}Gi",
        }
        assert pool["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert pools["baseline"]["weight"] > pools["burst"]["weight"]
    capacity = {
        r["key"]: r["values"] for r in pools["baseline"]["template"]["spec"]["requirements"]
    }
    if env_name == "prod":
        assert capacity["karpenter.sh/capacity-type"] == ["on-demand"]
    if env_name == "dev":
        assert "spot" in capacity["karpenter.sh/capacity-type"]
    assert sorted(karpenter.architectures) == ["amd64", "arm64"]


def test_managed_addons_are_pinned_and_configured(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    versions = platform.environment(env_name).cluster.addons
    addons = {
        a["Properties"]["AddonName"]: a["Properties"]
        for a in resources_of(cluster_template(templates, env_name), "AWS::EKS::Addon").values()
    }
    assert {name: a["AddonVersion"] for name, a in addons.items()} == {
        "vpc-cni": versions.vpc_cni,
        "coredns": versions.coredns,
        "kube-proxy": versions.kube_proxy,
        "aws-ebs-csi-driver": versions.ebs_csi_driver,
        # Declared once (aws/aws-cdk#32580: a second declaration breaks the deploy).
        "eks-pod-identity-agent": versions.pod_identity_agent,
    }
    assert json.loads(addons["vpc-cni"]["ConfigurationValues"]) == {"enableNetworkPolicy": "true"}
    [ebs_identity] = addons["aws-ebs-csi-driver"]["PodIdentityAssociations"]
    assert ebs_identity["ServiceAccount"] == "ebs-csi-controller-sa"
    ebs_config = json.loads(addons["aws-ebs-csi-driver"]["ConfigurationValues"])
    assert ebs_config["defaultStorageClass"] == {"enabled": False}


def test_helm_addons_are_pinned_and_grafana_has_no_default_password(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    cluster = platform.environment(env_name).cluster
    template = cluster_template(templates, env_name)
    found = {c.chart: c for c in charts(template)}
    assert {name: c.version for name, c in found.items()} == {
        "karpenter": cluster.karpenter.version,
        "aws-load-balancer-controller": cluster.charts.aws_load_balancer_controller,
        "metrics-server": cluster.charts.metrics_server,
        "argo-rollouts": cluster.charts.argo_rollouts,
        "kube-prometheus-stack": cluster.charts.kube_prometheus_stack,
    }
    lbc = found["aws-load-balancer-controller"].values
    assert (lbc["enableWaf"], lbc["enableWafv2"], lbc["enableShield"]) == (False, False, False)
    assert found["argo-rollouts"].values["installCRDs"] is True
    monitoring = found["kube-prometheus-stack"].values
    spec = monitoring["prometheus"]["prometheusSpec"]
    assert spec["retention"] == f"{cluster.prometheus.retention_days}d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "encrypted-gp3"
    assert claim["resources"]["requests"]["storage"] == f"{cluster.prometheus.storage_gib}Gi"
    grafana = monitoring["grafana"]
    assert "adminPassword" not in grafana
    assert "admin" not in grafana
    assert grafana["env"]["GF_SECURITY_ADMIN_PASSWORD__FILE"].startswith("/etc/grafana-admin/")
    [init] = grafana["extraInitContainers"]
    assert {"name": "SECRET_ARN", "value": TOKEN} in init["env"]
    # The password is generated by Secrets Manager and encrypted with the secrets key.
    [secret] = [
        r["Properties"]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::SecretsManager::Secret" and lid.startswith("HelmAddonsGrafana")
    ]
    assert "SecretString" not in secret
    assert "GenerateSecretString" in secret
    assert key_export(templates, env_name, "secrets") in imported_key(secret["KmsKeyId"])
    [storage_class] = [o for o in manifests(template) if o["kind"] == "StorageClass"]
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": TOKEN}


def test_namespaces_deny_by_default(templates: Templates, naming: Naming, env_name: str) -> None:
    objects = manifests(cluster_template(templates, env_name))
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    assert namespaces == {naming.platform_namespace, naming.application_namespace}
    policies: dict[str, dict[str, Any]] = {}
    for o in objects:
        if o["kind"] == "NetworkPolicy":
            policies[f"{o['metadata']['namespace']}/{o['metadata']['name']}"] = o["spec"]
    for ns in namespaces:
        deny = policies[f"{ns}/default-deny"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert f"{ns}/allow-dns" in policies
        assert f"{ns}/allow-pod-identity-agent" in policies
    app = naming.application_namespace
    ingress = policies[f"{app}/allow-ingress-to-the-api"]["ingress"]
    assert [p["port"] for rule in ingress for p in rule["ports"]] == [8000]
    egress = policies[f"{app}/allow-database-and-aws-endpoints"]["egress"]
    assert sorted(p["port"] for rule in egress for p in rule["ports"]) == [443, 5432]
    # Nothing admits the whole internet.
    assert "0.0.0.0/0" not in json.dumps(policies)


def test_subnets_are_tagged_for_karpenter_and_internal_load_balancers(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    from tests.helpers import tags_of

    subnets = resources_of(templates[f"innovate-{env_name}-network"], "AWS::EC2::Subnet")
    for subnet in subnets.values():
        tags = tags_of(subnet)
        private = tags["aws-cdk:subnet-name"] == "private"
        assert (tags.get("karpenter.sh/discovery") == naming.cluster_name(env_name)) is private
        assert (tags.get("kubernetes.io/role/internal-elb") == "1") is private


def test_deployer_group_may_manage_only_the_release_in_the_application_namespace(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    objects = manifests(cluster_template(templates, env_name))
    rbac = [o for o in objects if o["apiVersion"].startswith("rbac.authorization.k8s.io/")]
    # Namespaced only: no ClusterRole or ClusterRoleBinding for the pipeline.
    assert sorted(o["kind"] for o in rbac) == ["Role", "RoleBinding"]
    role = next(o for o in rbac if o["kind"] == "Role")
    binding = next(o for o in rbac if o["kind"] == "RoleBinding")
    for o in (role, binding):
        assert o["metadata"]["namespace"] == naming.application_namespace
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": naming.deployer_group}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    granted = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    # Every kind the chart (deploy/charts/innovate-api) installs, and Helm's release
    # records (Secrets); nothing that changes a pod directly or reaches another namespace.
    write = {"create", "update", "patch", "delete"}
    for kind in [
        ("", "secrets"), ("", "configmaps"), ("", "services"), ("", "serviceaccounts"),
        ("batch", "jobs"), ("batch", "cronjobs"), ("autoscaling", "horizontalpodautoscalers"),
        ("policy", "poddisruptionbudgets"), ("networking.k8s.io", "networkpolicies"),
        ("argoproj.io", "rollouts"), ("argoproj.io", "analysistemplates"),
        ("elbv2.k8s.aws", "targetgroupbindings"),
        ("monitoring.coreos.com", "servicemonitors"), ("monitoring.coreos.com", "prometheusrules"),
    ]:  # fmt: skip
        assert write <= granted[kind], kind
    for read_only in [("", "pods"), ("", "pods/log"), ("apps", "replicasets")]:
        assert not granted[read_only] & write, read_only
    assert not any("*" in verbs for verbs in granted.values())
    assert ("", "pods/exec") not in granted
