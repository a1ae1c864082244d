"""Every name of the platform, built from the configured project name in one place.

Stack names follow one scheme, ``<project>-<scope>-<purpose>``, where the scope is
``management``, ``security`` or an environment name (``innovate-management-organization``,
``innovate-security-log-archive``, ``innovate-dev-network``). Physical names and the
ARNs that cross accounts (CloudFormation cannot pass references between accounts, so
the trail and the workloads find the archive by name) are derived here too.

Stack names and physical names are frozen once deployed: renaming replaces resources.
"""

from __future__ import annotations

from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.logging.log_archive import LogPurpose

# The bucket the environments' VPC flow logs and Network Firewall flow logs go to.
NETWORK_LOGS: LogPurpose = "flowlogs"

SSO_ROLE_PATH = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/"
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"

# What an environment publishes in SSM for the deploy step (``deployment_parameter_name``),
# and which stack writes it.
DEPLOYMENT_PARAMETERS = {
    "spa-bucket-name": "edge: the SPA's S3 bucket",
    "spa-distribution-id": "edge: the SPA's CloudFront distribution",
    "api-url": "edge: the public API's origin (https://...; the SPA's: one origin)",
    "spa-url": "edge: the SPA's public URL (https://...)",
    "cluster-name": "compute: the EKS cluster",
    "target-group-arn": "edge: the ALB's IP target group (the chart's TargetGroupBinding)",
    "jwt-secret-id": "environment: the token signing key's Secrets Manager secret",
    "database-host": "database: the RDS endpoint",
    "database-secret-id": "database: the Secrets Manager secret of the API's own role",
    "database-master-secret-id": "database: the RDS-managed master secret (the migration Job)",
    "runner-vpc-id": "network: the VPC the deploy runner (CodeBuild) joins to reach the cluster",
    "runner-subnet-ids": "network: the private subnets of the deploy runner (a StringList)",
    "runner-security-group-id": "compute: the deploy runner's group (HTTPS out; the API admits it)",
}
# Read by CloudFormation when the delivery stacks deploy (the deploy runner's network),
# not by deploy/scripts.
RUNNER_DEPLOYMENT_PARAMETERS = frozenset(
    {"runner-vpc-id", "runner-subnet-ids", "runner-security-group-id"}
)
# The CloudFront side's parameters live with the web stack in us-east-1 (CloudFront's
# region); the deploy step reads them there (deploy/scripts/lib.sh).
EDGE_REGION = "us-east-1"
EDGE_DEPLOYMENT_PARAMETERS = frozenset(
    {"spa-bucket-name", "spa-distribution-id", "spa-url", "api-url"}
)


class Naming:
    def __init__(self, platform: PlatformConfig) -> None:
        self.project = platform.project
        self._region = platform.home_region
        self._management = platform.account_id("management")
        self._security = platform.account_id("security")
        self._development = platform.account_id("development")
        self._production = platform.account_id("production")
        # (environment, account id, region) of every configured environment.
        self.environment_targets = tuple(
            (env.name, platform.environment_account_id(env), env.region)
            for env in platform.environments.values()
        )
        guardrails = platform.accounts.guardrails
        self._role_prefix = guardrails.security_role_prefix
        self._cdk_qualifier = guardrails.cdk_qualifier

    # -- stacks ------------------------------------------------------------------------

    def prefix(self, scope: str) -> str:
        """``<project>-<scope>``: the prefix of a scope's stacks and resource names."""
        return f"{self.project}-{scope}"

    def stack_name(self, scope: str, purpose: str) -> str:
        return f"{self.prefix(scope)}-{purpose}"

    # -- environment resources ---------------------------------------------------------

    def key_alias(self, environment: str, purpose: str) -> str:
        return f"alias/{self.project}/{environment}/{purpose}"

    def log_group_name(self, environment: str, name: str) -> str:
        return f"/{self.project}/{environment}/{name}"

    def alarm_name(self, environment: str, name: str) -> str:
        return f"{self.prefix(environment)}-{name}"

    def alarm_arn_pattern(self, environment: str, account: str, region: str) -> str:
        """Every alarm of one environment (the alarm topic and its key admit only these)."""
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{self.prefix(environment)}-*"

    # -- the database ------------------------------------------------------------------

    def database_instance_identifier(self, environment: str) -> str:
        """The RDS instance identifier: it names the instance's log groups and endpoint."""
        return f"{self.prefix(environment)}-postgres"

    @staticmethod
    def rds_log_group_name(instance_identifier: str, log_type: str) -> str:
        """Where RDS exports an instance's logs (fixed by RDS: /aws/rds/instance/<id>/<log>)."""
        return f"/aws/rds/instance/{instance_identifier}/{log_type}"

    @property
    def database_name(self) -> str:
        return self.project

    @property
    def database_master_username(self) -> str:
        return f"{self.project}_master"

    @property
    def database_app_username(self) -> str:
        """The application's own least-privilege role (``innovate-api db-bootstrap-role``)."""
        return f"{self.project}_app"

    def database_secret_name(self, environment: str, user: str) -> str:
        return f"{self.project}/{environment}/database/{user}"

    def backup_vault_name(self, environment: str) -> str:
        return f"{self.prefix(environment)}-database"

    def backup_copy_vault_name(self, environment: str) -> str:
        return f"{self.prefix(environment)}-database-copy"

    @staticmethod
    def backup_vault_arn(account: str, region: str, name: str) -> str:
        return f"arn:aws:backup:{region}:{account}:backup-vault:{name}"

    # -- request path (issue #10) ---------------------------------------------------------

    def waf_log_group_name(self, environment: str, scope: str) -> str:
        """WAF logs only to log groups whose name starts with ``aws-waf-logs-``."""
        return f"aws-waf-logs-{self.prefix(environment)}-{scope}"

    def web_acl_name(self, environment: str, scope: str) -> str:
        return f"{self.prefix(environment)}-{scope}"

    def delivery_stream_name(self, environment: str, scope: str) -> str:
        return f"{self.prefix(environment)}-{scope}-logs"

    def firehose_archive_objects(self, account: str, environment: str, scope: str) -> str:
        """Where a log delivery stream writes in the WAF/API archive bucket (the archive
        admits each account's roles under ``firehose/<account>/`` only)."""
        bucket = self.log_bucket_name("waf-api")
        return f"arn:aws:s3:::{bucket}/firehose/{account}/{environment}/{scope}/*"

    @property
    def workload_account_ids(self) -> dict[str, str]:
        return {"development": self._development, "production": self._production}

    def origin_verify_secret_name(self, environment: str) -> str:
        """The header value CloudFront adds to API requests and the API's web ACL requires."""
        return f"{self.project}/{environment}/origin-verify"

    def spa_bucket_name(self, environment: str, account: str) -> str:
        """The built SPA's bucket (global name: the account id keeps it unique)."""
        return f"{self.prefix(environment)}-spa-{account}"

    # -- the cluster -------------------------------------------------------------------

    @property
    def api_service_account(self) -> str:
        """The API's Kubernetes service account (deploy/charts/innovate-api
        ``serviceAccount.name``): reads the app's database secret and the signing key."""
        return f"{self.project}-api"

    @property
    def migration_service_account(self) -> str:
        """The migration Job's (``migration.serviceAccountName``): connects as master."""
        return f"{self.project}-api-migrate"

    def api_signing_key_secret_name(self, environment: str) -> str:
        """The API's token signing key (JWT_SECRET_ID), generated by Secrets Manager."""
        return f"{self.project}/{environment}/api/jwt-signing-key"

    def cluster_name(self, environment: str) -> str:
        return f"{self.prefix(environment)}-cluster"

    @property
    def platform_namespace(self) -> str:
        """The Kubernetes namespace of the platform add-ons (Argo Rollouts, monitoring)."""
        return "platform"

    @property
    def application_namespace(self) -> str:
        """The Kubernetes namespace the API and its migrations run in."""
        return self.project

    def identity_center_role_arn(self, permission_set: str, account: str, suffix: str) -> str:
        """The role IAM Identity Center creates for a permission set in an account (the
        region segment is the Identity Center home region, absent for us-east-1)."""
        region = "" if self._region == "us-east-1" else f"{self._region}/"
        return (
            f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{region}"
            f"AWSReservedSSO_{permission_set}_{suffix}"
        )

    # -- the log archive (security/logs account) ---------------------------------------

    def log_bucket_name(self, purpose: LogPurpose) -> str:
        """Archive bucket name. The WAF/API bucket starts with ``aws-waf-logs-`` so that WAF
        can also deliver to it directly (a WAF requirement), besides the seed's Kinesis path."""
        suffix = f"{self._security}-{self._region}"
        if purpose == "waf-api":
            return f"aws-waf-logs-{self.project}-logs-{suffix}"
        return f"{self.project}-logs-{purpose}-{suffix}"

    @property
    def log_archive_key_alias(self) -> str:
        return f"alias/{self.project}-log-archive"

    @property
    def log_archive_key_alias_arn(self) -> str:
        return f"arn:aws:kms:{self._region}:{self._security}:{self.log_archive_key_alias}"

    @property
    def log_archive_key_arn_pattern(self) -> str:
        """Any key of the security/logs account's home region: IAM policies cannot name a key
        by alias, so grants on the archive key also require ``kms:ResourceAliases``."""
        return f"arn:aws:kms:{self._region}:{self._security}:key/*"

    def config_delivery_object_arn(self, account: str) -> str:
        """Where an account's AWS Config recorder writes in the Config bucket."""
        return f"arn:aws:s3:::{self.log_bucket_name('config')}/AWSLogs/{account}/Config/*"

    @property
    def recorder_account_ids(self) -> tuple[str, str]:
        """The accounts whose recorders are stack resources (the others' come from the
        StackSet): the security/logs account and the management account."""
        return (self._security, self._management)

    # -- audit (management account) ----------------------------------------------------

    @property
    def organization_trail_name(self) -> str:
        return f"{self.project}-organization-trail"

    @property
    def organization_trail_arn(self) -> str:
        return (
            f"arn:aws:cloudtrail:{self._region}:{self._management}:"
            f"trail/{self.organization_trail_name}"
        )

    @property
    def trail_log_group_name(self) -> str:
        return f"/{self.project}/cloudtrail/{self.organization_trail_name}"

    @property
    def audit_key_alias(self) -> str:
        return f"alias/{self.project}-management-audit"

    @property
    def alarm_metric_namespace(self) -> str:
        return f"{self.project.capitalize()}/CISBenchmark"

    @property
    def alarm_topic_display_name(self) -> str:
        return f"{self.project.capitalize()} security alarms (CIS monitoring)"

    # -- organization, detection, Security Lake ----------------------------------------

    def organization_policy_name(self, document: str) -> str:
        """``scp/prod-guardrails`` -> ``<project>-scp-prod-guardrails``."""
        return f"{self.project}-{document.replace('/', '-')}"

    def security_role_name(self, purpose: str) -> str:
        """A platform security role (covered by the SCP exemption and protection)."""
        return f"{self._role_prefix}{purpose}"

    @property
    def config_recorder_stack_set_name(self) -> str:
        return f"{self.project}-config-recorder"

    @property
    def security_hub_policy_name(self) -> str:
        return f"{self.project}-baseline"

    @property
    def organization_aggregator_name(self) -> str:
        return f"{self.project}-organization"

    @property
    def organization_analyzer_name(self) -> str:
        return f"{self.project}-organization"

    @property
    def security_lake_key_alias(self) -> str:
        return f"alias/{self.project}-security-lake"

    @property
    def security_lake_subscriber_name(self) -> str:
        return f"{self.project}-athena"

    # -- delivery (Development account; issue #11) --------------------------------------

    @property
    def delivery_accounts(self) -> tuple[str, str, str]:
        """(Development account, Production account, home region) of the delivery stacks."""
        return (self._development, self._production, self._region)

    @property
    def delivery_key_alias(self) -> str:
        return f"alias/{self.project}/delivery"

    def image_repository_name(self, name: str) -> str:
        """``<project>-<name>``: the API image's ECR repository (the chart's default
        ``image.repository`` names it too)."""
        return f"{self.project}-{name}"

    @property
    def artifact_bucket_name(self) -> str:
        return f"{self.project}-delivery-artifacts-{self._development}-{self._region}"

    @property
    def artifact_access_log_bucket_name(self) -> str:
        return self.artifact_access_log_bucket_name_in(self._region)

    def artifact_access_log_bucket_name_in(self, region: str) -> str:
        return f"{self.project}-delivery-access-logs-{self._development}-{region}"

    def infrastructure_artifact_bucket_name(self, region: str) -> str:
        return f"{self.project}-infra-pipeline-{self._development}-{region}"

    @property
    def infrastructure_replica_key_alias(self) -> str:
        return f"alias/{self.project}/delivery-infrastructure"

    def delivery_log_group_name(self, name: str) -> str:
        return f"/{self.project}/delivery/{name}"

    def build_project_name(self, purpose: str) -> str:
        """A CodeBuild project: ``<project>-<purpose>`` (e.g. innovate-deploy-prod)."""
        return f"{self.project}-{purpose}"

    @property
    def application_pipeline_name(self) -> str:
        return f"{self.project}-delivery"

    @property
    def infrastructure_pipeline_name(self) -> str:
        return f"{self.project}-infrastructure"

    def delivery_role_name(self, purpose: str) -> str:
        """A role of the delivery pipelines in the Development account. The name falls
        under ``delivery_pipeline_role_arns`` (the SCP lets only these and break-glass
        assume production's CDK deploy roles) and under the baseline SCP's protection."""
        return self.security_role_name(f"delivery-pipeline-{purpose}")

    def delivery_role_arn(self, purpose: str) -> str:
        return f"arn:aws:iam::{self._development}:role/{self.delivery_role_name(purpose)}"

    def deployer_role_name(self, environment: str) -> str:
        """The role of the environment's release project (``deploy-<env>``: helm and
        kubectl, in the environment's VPC). The project lives in the environment's account,
        the only place it can join that VPC: the Development account's pipeline stack for
        dev and staging, the Production account's delivery-target stack for prod. The
        environment's EKS cluster gives this role an access entry."""
        if environment == "prod":
            return self.security_role_name("delivery-deployer-prod")
        return self.delivery_role_name(f"deploy-{environment}")

    def publisher_role_name(self, environment: str) -> str:
        """The role of the environment's publish project (``publish-<env>``: the SPA
        upload, the CloudFront invalidation and the smoke test; no cluster access)."""
        if environment == "prod":
            return self.security_role_name("delivery-publisher-prod")
        return self.delivery_role_name(f"publish-{environment}")

    def publisher_role_arn(self, environment: str, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.publisher_role_name(environment)}"

    def pipeline_action_role_name(self, environment: str) -> str:
        """The role of an environment in another account that the application pipeline
        assumes to start that account's deploy projects (CodePipeline's action role)."""
        return self.security_role_name(f"delivery-pipeline-action-{environment}")

    def pipeline_action_role_arn(self, environment: str, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.pipeline_action_role_name(environment)}"

    def deploy_log_group_name(self, environment: str) -> str:
        """The environment's log group of its deploy and publish builds (its logging stack)."""
        return self.log_group_name(environment, "delivery/deploy")

    @property
    def deployer_group(self) -> str:
        """The Kubernetes group the deployer roles' EKS access entries map to (its Role
        and RoleBinding are in the application namespace: ``constructs/eks/namespaces.py``)."""
        return f"{self.project}-deployers"

    def deployer_role_arn(self, environment: str, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.deployer_role_name(environment)}"

    def deployment_parameter_name(self, environment: str, key: str) -> str:
        """SSM parameters the environment's stacks publish for the deploy step
        (``DEPLOYMENT_PARAMETERS``): ``/<project>/<env>/deploy/<key>``."""
        if key not in DEPLOYMENT_PARAMETERS:
            raise ValueError(f"{key!r} is not one of {sorted(DEPLOYMENT_PARAMETERS)}")
        return f"/{self.project}/{environment}/deploy/{key}"

    def deployment_parameter_region(self, key: str, environment_region: str) -> str:
        return EDGE_REGION if key in EDGE_DEPLOYMENT_PARAMETERS else environment_region

    def deployment_parameter_arn_pattern(self, environment: str, account: str, region: str) -> str:
        return f"arn:aws:ssm:{region}:{account}:parameter/{self.project}/{environment}/deploy/*"

    def spa_bucket_arn_pattern(self, environment: str) -> str:
        """The environment's SPA bucket: the edge stack names it ``<project>-<env>-spa-*``
        (the deploy role's upload grant names the bucket by this pattern)."""
        return f"arn:aws:s3:::{self.prefix(environment)}-spa-*"

    @property
    def delivery_topic_name(self) -> str:
        return f"{self.project}-delivery-notifications"

    def delivery_alarm_name(self, name: str) -> str:
        return f"{self.project}-delivery-{name}"

    def delivery_alarm_arn_pattern(self, account: str, region: str) -> str:
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{self.project}-delivery-*"

    @property
    def image_scan_log_group_name(self) -> str:
        """EventBridge writes scan events here; CloudWatch Logs targets of EventBridge
        rules live under ``/aws/events/``."""
        return f"/aws/events/{self.project}/delivery/image-scans"

    def image_scan_rule_name(self, severity: str) -> str:
        return f"{self.project}-delivery-image-scan-{severity.lower()}"

    @property
    def rebuild_schedule_name(self) -> str:
        return f"{self.project}-delivery-daily-rebuild"

    @property
    def rebuild_state_machine_name(self) -> str:
        return f"{self.project}-delivery-rebuild"

    @property
    def rebuild_log_group_name(self) -> str:
        """Step Functions' execution logs of the daily rebuild (vended logs live under
        ``/aws/vendedlogs/``, which keeps them off the account's log resource policy)."""
        return f"/aws/vendedlogs/states/{self.rebuild_state_machine_name}"

    def cluster_node_role_arn_pattern(self, environment: str, account: str) -> str:
        """The environment's EKS node roles (managed node group and Karpenter nodes): the
        compute stack names them ``<project>-<env>-node-*`` so that the image repository
        policy can admit their pulls."""
        return f"arn:aws:iam::{account}:role/{self.prefix(environment)}-node-*"

    # -- principals named in policies --------------------------------------------------

    def cdk_deploy_role_arn(self, account: str, region: str) -> str:
        role = f"cdk-{self._cdk_qualifier}-deploy-role-{account}-{region}"
        return f"arn:aws:iam::{account}:role/{role}"

    def cdk_exec_role_arn(self, account: str, region: str) -> str:
        role = f"cdk-{self._cdk_qualifier}-cfn-exec-role-{account}-{region}"
        return f"arn:aws:iam::{account}:role/{role}"

    def key_admin_principal_arns(self, account: str, region: str) -> list[str]:
        """Administrators of an account-level KMS key: CloudFormation (the account's CDK
        execution role, which must keep kms:PutKeyPolicy for KMS's lockout check) and
        break-glass (``constructs/kms/key_policy.py``)."""
        return [self.cdk_exec_role_arn(account, region), *self.break_glass_principal_arns()]

    @staticmethod
    def sso_role_arns(permission_set: str, account: str = "*") -> list[str]:
        """The roles Identity Center creates for a permission set (their suffix changes
        when the set is re-assigned, so they are matched, not named)."""
        return [
            f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/"
            f"*AWSReservedSSO_{permission_set}_*"
        ]

    @staticmethod
    def break_glass_principal_arns() -> list[str]:
        """Roles Identity Center creates for the BreakGlassAdmin permission set, in any account."""
        return [SSO_ROLE_PATH + "*AWSReservedSSO_BreakGlassAdmin_*"]

    def platform_automation_principal_arns(self) -> list[str]:
        """Principals that may change security tooling and the protected roles.

        * the CDK execution role: CloudFormation deploying reviewed code;
        * the platform's own security automation roles (``<security_role_prefix>*``);
        * ``OrganizationAccountAccessRole`` and ``stacksets-exec-*``: assumable only from the
          management account (whose administrators can detach any SCP anyway); needed to
          bootstrap member accounts and for the Config-recorder StackSet;
        * break-glass.
        """
        return [
            f"arn:aws:iam::*:role/cdk-{self._cdk_qualifier}-cfn-exec-role-*",
            f"arn:aws:iam::*:role/{self._role_prefix}*",
            f"arn:aws:iam::*:role/{ORGANIZATION_ACCESS_ROLE}",
            "arn:aws:iam::*:role/stacksets-exec-*",
            *self.break_glass_principal_arns(),
        ]

    def delivery_pipeline_role_arns(self) -> list[str]:
        """The delivery pipeline's deploying role(s), in the Development account where the
        pipeline runs (docs/architecture.md). The security role prefix puts them under the
        baseline SCP's protection: nobody but platform automation may change them."""
        return [f"arn:aws:iam::{self._development}:role/{self._role_prefix}delivery-pipeline*"]

    def delivery_principal_arns(self) -> list[str]:
        """Who may assume the CDK deploy and publishing roles of production and of the
        security/logs account: the delivery pipeline and break-glass, nobody else."""
        return [*self.delivery_pipeline_role_arns(), *self.break_glass_principal_arns()]

    def deployment_principal_arns(self) -> list[str]:
        """Who may change the workload network's routing and firewall: CloudFormation (the
        CDK execution role) and break-glass."""
        return [
            f"arn:aws:iam::*:role/cdk-{self._cdk_qualifier}-cfn-exec-role-*",
            *self.break_glass_principal_arns(),
        ]

    def delivery_automation_principal_arns(self) -> list[str]:
        """Who may change, or run outside the pipeline, the Development account's delivery
        pipeline and build projects (``scp/deployment-roles``): CloudFormation, the
        pipeline's own roles (which start its builds) and break-glass. A person with
        PowerUserAccess there could otherwise rewrite a buildspec or the pipeline's source
        and run code as a deploy role."""
        return [*self.deployment_principal_arns(), *self.delivery_pipeline_role_arns()]

    def protected_role_arns(self) -> list[str]:
        """Roles nobody but platform automation may modify."""
        return [
            f"arn:aws:iam::*:role/{self._role_prefix}*",
            f"arn:aws:iam::*:role/cdk-{self._cdk_qualifier}-*",
            f"arn:aws:iam::*:role/{ORGANIZATION_ACCESS_ROLE}",
            SSO_ROLE_PATH + "*",
        ]
