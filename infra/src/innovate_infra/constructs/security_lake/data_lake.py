"""Amazon Security Lake, the seed's "future SIEM" (config switch, off by default).

When on: the data lake in the home region encrypted with its own KMS key, with
retention and a transition to colder storage from config; the log sources the
seed lists for every account of the organization; and a Lake Formation (Athena)
subscriber for the analytics account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lakeformation as lakeformation
from aws_cdk import aws_securitylake as securitylake
from constructs import Construct

from innovate_infra.constructs.kms.key_policy import explicit_key_policy

SOURCE_VERSION = "2.0"
META_STORE_ROLE_NAME = "AmazonSecurityLakeMetaStoreManagerV2"
# Construct id of the role that carries an AWS-managed service policy (suppressions).
META_STORE_ROLE_ID = "MetaStoreManagerRole"


@dataclass(frozen=True)
class SecurityLakeProps:
    source_account_ids: Sequence[str]
    """Every account of the organization: the lake collects their logs."""
    lake_formation_admin_arn: str
    """CloudFormation's execution role: it creates the lake's Glue database and tables."""
    key_alias: str
    key_admin_principal_arns: Sequence[str]
    retention_days: int
    transition_to_glacier_after_days: int
    sources: Sequence[str]
    subscriber_name: str
    subscriber_account_id: str
    subscriber_external_id: str


class SecurityLakeDataLake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: SecurityLakeProps) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        accounts = list(props.source_account_ids)

        # CloudFormation's execution role must be a Lake Formation administrator to create
        # the lake's Glue database and tables.
        self.lake_formation_admins = lakeformation.CfnDataLakeSettings(
            self,
            "LakeFormationAdmins",
            admins=[
                lakeformation.CfnDataLakeSettings.DataLakePrincipalProperty(
                    data_lake_principal_identifier=props.lake_formation_admin_arn
                )
            ],
        )

        self.meta_store_role = iam.Role(
            self,
            META_STORE_ROLE_ID,
            role_name=META_STORE_ROLE_NAME,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonSecurityLakeMetastoreManager"
                )
            ],
            description="Security Lake partitions and Glue catalog updates",
        )

        self.key = kms.Key(
            self,
            "Key",
            alias=props.key_alias,
            description="Encrypts the Security Lake data lake",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            policy=explicit_key_policy(account, props.key_admin_principal_arns),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MetaStoreManagerUse",
                principals=[iam.ArnPrincipal(self.meta_store_role.role_arn)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="SecurityLakeServiceUse",
                principals=[iam.ServicePrincipal("securitylake.amazonaws.com")],
                actions=[
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                ],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )

        self.data_lake = securitylake.CfnDataLake(
            self,
            "DataLake",
            encryption_configuration=securitylake.CfnDataLake.EncryptionConfigurationProperty(
                kms_key_id=self.key.key_arn
            ),
            lifecycle_configuration=securitylake.CfnDataLake.LifecycleConfigurationProperty(
                expiration=securitylake.CfnDataLake.ExpirationProperty(days=props.retention_days),
                transitions=[
                    securitylake.CfnDataLake.TransitionsProperty(
                        days=props.transition_to_glacier_after_days, storage_class="GLACIER"
                    )
                ],
            ),
            meta_store_manager_role_arn=self.meta_store_role.role_arn,
        )
        self.data_lake.add_resource_dependency(self.lake_formation_admins)
        self.data_lake.node.add_dependency(self.meta_store_role)
        self.data_lake.node.add_dependency(self.key)

        self.sources: list[securitylake.CfnAwsLogSource] = []
        previous: securitylake.CfnAwsLogSource | None = None
        for source in props.sources:
            log_source = securitylake.CfnAwsLogSource(
                self,
                "Source" + source.title().replace("_", ""),
                data_lake_arn=self.data_lake.attr_arn,
                source_name=source,
                source_version=SOURCE_VERSION,
                accounts=accounts,
            )
            # Security Lake rejects concurrent source updates on one lake: chain them.
            if previous is not None:
                log_source.add_resource_dependency(previous)
            previous = log_source
            self.sources.append(log_source)

        self.subscriber = securitylake.CfnSubscriber(
            self,
            "AthenaSubscriber",
            subscriber_name=props.subscriber_name,
            subscriber_description=(
                "Athena query access through Lake Formation for security analytics"
            ),
            access_types=["LAKEFORMATION"],
            data_lake_arn=self.data_lake.attr_arn,
            subscriber_identity=securitylake.CfnSubscriber.SubscriberIdentityProperty(
                principal=props.subscriber_account_id,
                external_id=props.subscriber_external_id,
            ),
            sources=[
                securitylake.CfnSubscriber.SourceProperty(
                    aws_log_source=securitylake.CfnSubscriber.AwsLogSourceProperty(
                        source_name=source, source_version=SOURCE_VERSION
                    )
                )
                for source in props.sources
            ],
        )
        for log_source in self.sources:
            self.subscriber.add_resource_dependency(log_source)
