"""The PostgreSQL parameter group: TLS only, SCRAM passwords, connection and slow-statement
logging."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_rds as rds
from constructs import Construct

# PostgreSQL 18 made log_connections a list of connection stages (the boolean spellings
# stay accepted for compatibility); the explicit list logs what 'on' logged before.
PG18_LOG_CONNECTIONS = "receipt,authentication,authorization"


def postgres_parameters(major_version: int, slow_statement_ms: int) -> dict[str, str]:
    """The parameters we set; everything else keeps the RDS default of the family.

    Not set on purpose: ``log_statement`` (``ddl`` or ``all`` would write the plaintext of
    ``ALTER ROLE ... PASSWORD`` statements, e.g. the rotation function's, to the logs).
    """
    return {
        # Refuse every connection that is not TLS (clients use sslmode=verify-full).
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "password_encryption": "scram-sha-256",
        "log_connections": PG18_LOG_CONNECTIONS if major_version >= 18 else "1",
        "log_disconnections": "1",
        "log_min_duration_statement": str(slow_statement_ms),
        "log_lock_waits": "1",
    }


@dataclass(frozen=True)
class ParameterGroupProps:
    engine: rds.IInstanceEngine
    major_version: int
    slow_statement_ms: int
    description: str


class PostgresParameterGroup(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: ParameterGroupProps) -> None:
        super().__init__(scope, construct_id)
        self.parameters = postgres_parameters(props.major_version, props.slow_statement_ms)
        self.parameter_group = rds.ParameterGroup(
            self,
            "ParameterGroup",
            engine=props.engine,
            description=props.description,
            parameters=self.parameters,
        )
