"""What the rendered workload does, checked against the API it runs (services/api):
blue/green wiring, pod security, probes and shutdown, settings the API really reads,
network policy, migration and purge jobs."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from chart import (
    DATABASE_SECRET_ID,
    JWT_SECRET_ID,
    MASTER_SECRET_ID,
    NAMESPACE,
    TARGET_GROUP_ARN,
    by_kind,
    environment_values,
    one,
    render,
)

API = Path(__file__).resolve().parents[3] / "services" / "api"
FULLNAME = "innovate-api"


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every pod template the release can start, by owner."""
    rollout = one(docs, "Rollout")
    analysis = one(docs, "AnalysisTemplate")
    specs = {
        "Rollout": rollout["spec"]["template"],
        "Job": one(docs, "Job")["spec"]["template"],
        "CronJob": one(docs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"],
    }
    for metric in analysis["spec"]["metrics"]:
        if "job" in metric["provider"]:
            specs[f"AnalysisTemplate/{metric['name']}"] = metric["provider"]["job"]["spec"][
                "template"
            ]
    return specs


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


# -- blue/green -------------------------------------------------------------------------


def test_rollout_is_blue_green_with_analysis_before_promotion(
    env: str, docs: list[dict[str, Any]]
) -> None:
    rollout = one(docs, "Rollout")
    blue_green = rollout["spec"]["strategy"]["blueGreen"]
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    assert blue_green["activeService"] == FULLNAME in services
    assert blue_green["previewService"] == f"{FULLNAME}-preview" in services
    assert blue_green["autoPromotionEnabled"] is (env != "prod")
    assert blue_green["scaleDownDelaySeconds"] >= 30
    analysis = blue_green["prePromotionAnalysis"]
    assert [t["templateName"] for t in analysis["templates"]] == [
        one(docs, "AnalysisTemplate")["metadata"]["name"]
    ]
    assert analysis["args"] == [
        {"name": "preview-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}
    ]
    assert "replicas" not in rollout["spec"], "the HPA owns the replica count"
    assert (
        rollout["spec"]["selector"]["matchLabels"].items()
        <= rollout["spec"]["template"]["metadata"]["labels"].items()
    )


def test_analysis_gates_on_the_preview_pods_and_fails_without_traffic(
    docs: list[dict[str, Any]],
) -> None:
    metrics = {m["name"]: m for m in one(docs, "AnalysisTemplate")["spec"]["metrics"]}
    assert set(metrics) == {"smoke-test", "success-rate", "latency-p95"}
    for name in ("success-rate", "latency-p95"):
        metric = metrics[name]
        query = metric["provider"]["prometheus"]["query"]
        assert 'rollouts_pod_template_hash="{{args.preview-hash}}"' in query
        assert f'service="{FULLNAME}-metrics"' in query
        assert f'namespace="{NAMESPACE}"' in query
        assert metric["successCondition"].startswith("len(result) > 0 && ")
        assert metric["failureLimit"] == 0
    smoke = metrics["smoke-test"]["provider"]["job"]["spec"]
    container = smoke["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["SMOKE_URL"] == f"http://{FULLNAME}-preview.{NAMESPACE}.svc:8000"
    assert env["SMOKE_WANT_COLOR"] == "{{args.preview-hash}}"
    assert smoke["backoffLimit"] == 0
    # The smoke traffic outlasts the Prometheus measurements.
    seconds = {"s": 1, "m": 60}
    window = lambda text: int(text[:-1]) * seconds[text[-1]]  # noqa: E731
    measured = (
        window(metrics["success-rate"]["initialDelay"])
        + window(metrics["success-rate"]["interval"]) * metrics["success-rate"]["count"]
    )
    assert int(env["SMOKE_SECONDS"]) >= measured


def test_pods_report_their_side_and_build(docs: list[dict[str, Any]]) -> None:
    container = one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["DEPLOYMENT_COLOR"] == {
        "fieldRef": {"fieldPath": "metadata.labels['rollouts-pod-template-hash']"}
    }
    tag, digest = container["image"].split(":", 1)[1].split("@")
    assert env["GIT_SHA"] == tag
    assert digest.startswith("sha256:")


def test_target_group_binding_registers_the_active_service(docs: list[dict[str, Any]]) -> None:
    binding = one(docs, "TargetGroupBinding")["spec"]
    assert binding["targetGroupARN"] == TARGET_GROUP_ARN
    assert binding["targetType"] == "ip"
    assert binding["serviceRef"] == {"name": FULLNAME, "port": 8000}
    active = one(docs, "Service", FULLNAME)
    assert [p["port"] for p in active["spec"]["ports"]] == [8000]


def test_alb_security_group_rule_is_managed_only_when_asked() -> None:
    values = environment_values("dev")
    values["targetGroupBinding"]["albSecurityGroupId"] = "sg-0123456789abcdef0"
    binding = one(render(values), "TargetGroupBinding")["spec"]
    assert binding["networking"]["ingress"] == [
        {
            "from": [{"securityGroup": {"groupID": "sg-0123456789abcdef0"}}],
            "ports": [{"protocol": "TCP", "port": 8000}],
        }
    ]


def test_autoscaling_and_disruption_budget(env: str, docs: list[dict[str, Any]]) -> None:
    hpa = one(docs, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": FULLNAME,
    }
    assert {m["resource"]["name"] for m in hpa["metrics"]} == {"cpu", "memory"}
    pdb = one(docs, "PodDisruptionBudget")["spec"]
    pod_labels = one(docs, "Rollout")["spec"]["template"]["metadata"]["labels"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()
    assert hpa["minReplicas"] > pdb["maxUnavailable"]
    if env == "prod":
        assert hpa["minReplicas"] >= 3


def test_pods_spread_across_zones(env: str, docs: list[dict[str, Any]]) -> None:
    spread = one(docs, "Rollout")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    zone = next(c for c in spread if c["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["whenUnsatisfiable"] == ("ScheduleAnyway" if env == "dev" else "DoNotSchedule")
    assert zone["matchLabelKeys"] == ["rollouts-pod-template-hash"]


# -- pod security --------------------------------------------------------------------------


def test_every_pod_meets_the_restricted_pod_security_standard(docs: list[dict[str, Any]]) -> None:
    for owner, template in pod_specs(docs).items():
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, owner
        assert spec["automountServiceAccountToken"] is False, owner
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(field), owner
        assert all("hostPath" not in v for v in spec.get("volumes", [])), owner
        for container in spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, owner
            assert ctx["readOnlyRootFilesystem"] is True, owner
            assert ctx["capabilities"] == {"drop": ["ALL"]}, owner
            assert ctx["runAsNonRoot"] is True, owner
            assert ctx["runAsUser"] >= 10000, owner
            assert not container.get("ports") or all(
                "hostPort" not in p for p in container["ports"]
            ), owner
            assert "@sha256:" in container["image"], owner
            assert container["resources"]["limits"], owner
            assert container["resources"]["requests"], owner


def test_containers_run_as_the_images_user_with_writable_tmp(docs: list[dict[str, Any]]) -> None:
    dockerfile = (API / "Dockerfile").read_text(encoding="utf-8")
    uid = int(re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    for owner, template in pod_specs(docs).items():
        spec = template["spec"]
        assert spec["securityContext"]["runAsUser"] == uid, owner
        if owner.startswith("AnalysisTemplate"):
            continue  # the smoke test writes nothing
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        # gunicorn's heartbeat files and prometheus_client's multiprocess directory.
        assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 - the pod's emptyDir, owner
        assert "emptyDir" in volumes[mounts["/tmp/metrics"]]  # noqa: S108 - the pod's emptyDir, owner
        assert env_of(spec["containers"][0])["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/metrics"  # noqa: S108, owner


def test_service_accounts_are_for_pod_identity_without_tokens(docs: list[dict[str, Any]]) -> None:
    accounts = {a["metadata"]["name"]: a for a in by_kind(docs, "ServiceAccount")}
    assert set(accounts) == {"innovate-api", "innovate-api-migrate", f"{FULLNAME}-smoke-test"}
    for account in accounts.values():
        assert account["automountServiceAccountToken"] is False
        # Pod Identity associates by namespace and name: no IRSA role annotation.
        assert "eks.amazonaws.com/role-arn" not in (account["metadata"].get("annotations") or {})
    specs = pod_specs(docs)
    for owner in ("Rollout", "CronJob"):
        assert specs[owner]["spec"]["serviceAccountName"] == "innovate-api"
    # The migration has its own identity (master secret) and connects as master; the
    # server and the purge connect as the application role.
    assert specs["Job"]["spec"]["serviceAccountName"] == "innovate-api-migrate"
    migrate_env = env_of(specs["Job"]["spec"]["containers"][0])
    assert migrate_env["DATABASE_SECRET_ID"] == MASTER_SECRET_ID
    assert migrate_env["APP_DATABASE_SECRET_ID"] == DATABASE_SECRET_ID
    assert (
        env_of(specs["Rollout"]["spec"]["containers"][0])["DATABASE_SECRET_ID"]
        == DATABASE_SECRET_ID
    )
    command = " ".join(specs["Job"]["spec"]["containers"][0]["command"])
    assert command.index("db-bootstrap-role") < command.index(
        "alembic -c /app/alembic.ini upgrade head"
    )
    assert (
        specs["AnalysisTemplate/smoke-test"]["spec"]["serviceAccountName"]
        == f"{FULLNAME}-smoke-test"
    )


# -- probes, port, shutdown ------------------------------------------------------------------


def test_probes_and_port_match_the_server(docs: list[dict[str, Any]]) -> None:
    dockerfile = (API / "Dockerfile").read_text(encoding="utf-8")
    port = int(re.search(r"^EXPOSE (\d+)$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    container = one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert env_of(container)["GUNICORN_BIND"] == f"0.0.0.0:{port}"
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    routes = (API / "src" / "innovate_api" / "routes" / "ops.py").read_text(encoding="utf-8")
    assert '@bp.get("/readyz")' in routes
    assert '@bp.get("/healthz")' in routes


def test_shutdown_leaves_the_target_group_before_sigterm(docs: list[dict[str, Any]]) -> None:
    spec = one(docs, "Rollout")["spec"]["template"]["spec"]
    container = spec["containers"][0]
    env = env_of(container)
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = int(env["GUNICORN_GRACEFUL_TIMEOUT"])
    assert pause >= 10  # the controller deregisters, the ALB stops routing
    assert spec["terminationGracePeriodSeconds"] >= pause + graceful + 5
    assert int(env["GUNICORN_KEEPALIVE"]) > 60  # above the ALB's idle timeout


def test_every_setting_the_chart_sets_is_one_the_api_reads(docs: list[dict[str, Any]]) -> None:
    config = (API / "src" / "innovate_api" / "config.py").read_text(encoding="utf-8")
    settings = {
        name.upper()
        for name in re.findall(r"^    (\w+): .*(?:=|$)", config, re.M)
        if not name.startswith("model_")
    }
    gunicorn = set(
        re.findall(
            r'os\.environ\.get\("([A-Z_]+)"', (API / "gunicorn.conf.py").read_text(encoding="utf-8")
        )
    )
    smoke = {"SMOKE_URL", "SMOKE_WANT_SHA", "SMOKE_WANT_COLOR", "SMOKE_SECONDS", "SMOKE_RPS"}
    aws = {"AWS_REGION", "AWS_DEFAULT_REGION"}  # boto3 (services/api secrets.py)
    migration = {"APP_DATABASE_SECRET_ID"}  # the migration Job's script (migration-job.yaml)
    for owner, template in pod_specs(docs).items():
        for name in env_of(template["spec"]["containers"][0]):
            assert name in settings | gunicorn | smoke | aws | migration, (
                f"{owner} sets {name}, which nothing reads"
            )
    server = env_of(one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0])
    # The signing key is read from Secrets Manager: never a value or a Kubernetes Secret.
    assert server["JWT_SECRET_ID"] == JWT_SECRET_ID
    assert "JWT_SECRET" not in server
    assert server["DATABASE_URL"].startswith("postgresql://")
    assert "@" not in server["DATABASE_URL"]  # no credentials: they come from the secret
    assert server["DATABASE_SSLMODE"] in {"require", "verify-ca", "verify-full"}


def test_a_ca_bundle_switches_to_verify_full() -> None:
    values = environment_values("prod")
    values["database"]["caBundle"] = {"configMapName": "rds-ca", "key": "global-bundle.pem"}
    spec = one(render(values), "Rollout")["spec"]["template"]["spec"]
    env = env_of(spec["containers"][0])
    assert env["DATABASE_SSLROOTCERT"] == "/etc/innovate/database-ca/global-bundle.pem"
    assert "DATABASE_SSLMODE" not in env  # the API uses verify-full with a CA bundle
    assert {
        "name": "database-ca",
        "mountPath": "/etc/innovate/database-ca",
        "readOnly": True,
    } in spec["containers"][0]["volumeMounts"]
    assert {
        "name": "database-ca",
        "configMap": {
            "name": "rds-ca",
            "items": [{"key": "global-bundle.pem", "path": "global-bundle.pem"}],
        },
    } in spec["volumes"]


# -- jobs --------------------------------------------------------------------------------------


def test_migration_runs_before_the_new_version_exists(docs: list[dict[str, Any]]) -> None:
    job = one(docs, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    container = job["spec"]["template"]["spec"]["containers"][0]
    # As master: bootstrap the application role (services/api cli.py), then migrate.
    assert container["command"][:2] == ["/bin/sh", "-ec"]
    script = container["command"][2].splitlines()
    assert script == [
        'flask --app innovate_api.wsgi db-bootstrap-role --app-secret-id "$APP_DATABASE_SECRET_ID"',
        "exec alembic -c /app/alembic.ini upgrade head",
    ]
    cli = (API / "src" / "innovate_api" / "cli.py").read_text(encoding="utf-8")
    assert '@click.command("db-bootstrap-role")' in cli
    assert '"--app-secret-id"' in cli
    assert "COPY gunicorn.conf.py alembic.ini /app/" in (API / "Dockerfile").read_text(
        encoding="utf-8"
    )
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["activeDeadlineSeconds"] > 0
    # The same settings as the server (minus the server's own), so it reaches the same
    # database, but with the master secret (and the app secret for the bootstrap).
    server = env_of(one(docs, "Rollout")["spec"]["template"]["spec"]["containers"][0])
    for name, value in env_of(container).items():
        if name not in {"DATABASE_SECRET_ID", "APP_DATABASE_SECRET_ID"}:
            assert server[name] == value


def test_purge_runs_daily_never_twice_at_once(docs: list[dict[str, Any]]) -> None:
    cron = one(docs, "CronJob")["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["successfulJobsHistoryLimit"] >= 1
    assert cron["failedJobsHistoryLimit"] >= 1
    assert cron["timeZone"] == "Etc/UTC"
    container = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["flask", "--app", "innovate_api.wsgi", "purge-deleted"]
    cli = (API / "src" / "innovate_api" / "cli.py").read_text(encoding="utf-8")
    assert '@click.command("purge-deleted")' in cli
    assert "app.cli.add_command(purge_deleted)" in (
        API / "src" / "innovate_api" / "app.py"
    ).read_text(encoding="utf-8")
    assert env_of(container)["NOTE_RETENTION_DAYS"] == "30"


# -- network policy ----------------------------------------------------------------------------


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        if expr["operator"] == "In" and labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


def _policies_for(docs: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in by_kind(docs, "NetworkPolicy") if _selects(p["spec"]["podSelector"], labels)]


def test_every_pod_is_isolated_both_ways(docs: list[dict[str, Any]]) -> None:
    for owner, template in pod_specs(docs).items():
        policies = _policies_for(docs, template["metadata"]["labels"])
        assert len(policies) == 1, f"{owner}: selected by {len(policies)} policies"
        assert policies[0]["spec"]["policyTypes"] == ["Ingress", "Egress"], owner


def test_server_ingress_only_from_the_alb_prometheus_and_the_smoke_test(
    docs: list[dict[str, Any]],
) -> None:
    labels = one(docs, "Rollout")["spec"]["template"]["metadata"]["labels"]
    (policy,) = _policies_for(docs, labels)
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    peers = rule["from"]
    cidrs = [p["ipBlock"]["cidr"] for p in peers if "ipBlock" in p]
    assert cidrs
    assert all(ipaddress.ip_network(c).is_private for c in cidrs)
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    } in peers
    smoke_labels = pod_specs(docs)["AnalysisTemplate/smoke-test"]["metadata"]["labels"]
    assert any(
        "podSelector" in p
        and "namespaceSelector" not in p
        and _selects(p["podSelector"], smoke_labels)
        for p in peers
    )
    assert len(peers) == len(cidrs) + 2


def test_egress_only_to_dns_the_database_aws_endpoints_and_pod_identity(
    env: str, docs: list[dict[str, Any]]
) -> None:
    values = environment_values(env)
    for owner in ("Rollout", "Job", "CronJob"):
        (policy,) = _policies_for(docs, pod_specs(docs)[owner]["metadata"]["labels"])
        rules = {
            tuple((p["protocol"], p["port"]) for p in r["ports"]): r["to"]
            for r in policy["spec"]["egress"]
        }
        assert set(rules) == {
            (("UDP", 53), ("TCP", 53)),
            (("TCP", 5432),),
            (("TCP", 443),),
            (("TCP", 80),),
        }, owner
        dns = rules[(("UDP", 53), ("TCP", 53))]
        assert dns == [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ], owner
        assert [p["ipBlock"]["cidr"] for p in rules[(("TCP", 5432),)]] == values["database"][
            "cidrs"
        ]
        assert [p["ipBlock"]["cidr"] for p in rules[(("TCP", 443),)]] == values["networkPolicy"][
            "awsEndpointCIDRs"
        ]
        assert rules[(("TCP", 80),)] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
        for peers in rules.values():
            for peer in peers:
                if "ipBlock" in peer:
                    assert ipaddress.ip_network(peer["ipBlock"]["cidr"]).prefixlen >= 8, owner
        assert "ingress" not in policy["spec"] or owner == "Rollout"


def test_smoke_test_reaches_only_dns_and_the_server(docs: list[dict[str, Any]]) -> None:
    (policy,) = _policies_for(
        docs, pod_specs(docs)["AnalysisTemplate/smoke-test"]["metadata"]["labels"]
    )
    assert "ingress" not in policy["spec"]
    server_labels = one(docs, "Rollout")["spec"]["template"]["metadata"]["labels"]
    (dns, server) = policy["spec"]["egress"]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert server["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert _selects(server["to"][0]["podSelector"], server_labels)


# -- labels ------------------------------------------------------------------------------------


def test_every_object_carries_the_standard_labels(env: str, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        labels = doc["metadata"]["labels"]
        where = f"{doc['kind']} {doc['metadata']['name']}"
        assert labels["app.kubernetes.io/name"] == "innovate-api", where
        assert labels["app.kubernetes.io/instance"] == "innovate-api", where
        assert labels["app.kubernetes.io/managed-by"] == "Helm", where
        assert labels["helm.sh/chart"] == "innovate-api-0.1.0", where
        assert labels["innovate.example.com/environment"] == env, where
        assert doc["metadata"]["namespace"] == NAMESPACE, where
