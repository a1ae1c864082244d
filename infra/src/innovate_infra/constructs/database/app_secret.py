"""The application's database credentials: a Secrets Manager secret for its own
least-privilege role, rotated by AWS's hosted single-user rotation function in the VPC.

* JSON ``{"engine", "host", "port", "dbname", "dbInstanceIdentifier", "username",
  "password"}``: the shape the rotation function needs and what ``services/api`` reads
  (``username``/``password``; the API refetches after a password failure, so rotation
  needs no restart);
* encrypted with the ``secrets`` key; a resource policy refuses every principal of
  another account and lets only deployments and break-glass change the policy (CDK's
  attachment adds a deny of ``DeleteSecret`` for the whole account, so a deletion has to
  remove the policy first);
* single-user rotation: the function logs in as the app role itself and changes its
  own password (PostgreSQL lets a role do that without CREATEROLE), so it never holds
  the master credentials. The first rotation waits for the schedule (not at creation):
  the role only exists once the API's ``db-bootstrap-role`` command has run;
* the rotation function runs in the isolated subnets with its own security group:
  egress only to the database (5432) and to the VPC's interface endpoints (443:
  Secrets Manager, KMS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

# Characters that break libpq key/value strings, URLs or shell quoting.
EXCLUDED_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"
# Administrative actions only deployments and break-glass may take on the secret.
PROTECTED_ACTIONS = (
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:DeleteResourcePolicy",
)


@dataclass(frozen=True)
class AppSecretProps:
    secret_name: str
    username: str
    database_name: str
    instance: rds.DatabaseInstance
    database_security_group: ec2.ISecurityGroup
    port: int
    encryption_key: kms.IKey
    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    rotation_days: int
    deployment_principal_arns: Sequence[str]
    retain: bool


class AppDatabaseSecret(Construct):
    CREDENTIALS_ID: ClassVar[str] = "Secret"
    ROTATION_SECURITY_GROUP_ID: ClassVar[str] = "RotationSecurityGroup"

    def __init__(self, scope: Construct, construct_id: str, *, props: AppSecretProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        secret = rds.DatabaseSecret(
            self,
            self.CREDENTIALS_ID,
            secret_name=props.secret_name,
            username=props.username,
            dbname=props.database_name,
            encryption_key=props.encryption_key,
            exclude_characters=EXCLUDED_CHARACTERS,
        )
        secret.apply_removal_policy(RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY)
        secret.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOtherAccounts",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["secretsmanager:*"],
                resources=["*"],
                conditions={"StringNotEquals": {"aws:PrincipalAccount": stack.account}},
            )
        )
        secret.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyPolicyChangesExceptDeployments",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(PROTECTED_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnNotLike": {"aws:PrincipalArn": list(props.deployment_principal_arns)}
                },
            )
        )
        # host, port, engine and dbInstanceIdentifier come from the instance.
        self.secret = secret.attach(props.instance)
        self.rotation_security_group = ec2.SecurityGroup(
            self,
            self.ROTATION_SECURITY_GROUP_ID,
            vpc=props.vpc,
            description=f"{props.secret_name} rotation: the database and the VPC endpoints only",
            allow_all_outbound=False,
        )
        self.rotation_security_group.add_egress_rule(
            ec2.Peer.ipv4(props.vpc.vpc_cidr_block),
            ec2.Port.tcp(443),
            "Secrets Manager and KMS interface endpoints",
        )
        self.rotation_security_group.connections.allow_to(
            ec2.Connections(security_groups=[props.database_security_group]),
            ec2.Port.tcp(props.port),
            "rotation function to PostgreSQL",
        )
        self.rotation = self.secret.add_rotation_schedule(
            "Rotation",
            hosted_rotation=secretsmanager.HostedRotation.postgre_sql_single_user(
                vpc=props.vpc,
                vpc_subnets=ec2.SubnetSelection(subnets=list(props.subnets)),
                security_groups=[self.rotation_security_group],
                exclude_characters=EXCLUDED_CHARACTERS,
            ),
            automatically_after=Duration.days(props.rotation_days),
            rotate_immediately_on_update=False,
        )
