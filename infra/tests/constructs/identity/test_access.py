"""IdentityCenterAccess in isolation."""

from __future__ import annotations

from pathlib import Path

from aws_cdk.assertions import Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.identity.access import (
    IdentityCenterAccess,
    IdentityCenterAccessProps,
)
from innovate_infra.constructs.identity.permission_sets import PERMISSION_SETS
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters

from tests.helpers import new_stack


def test_session_duration_defaults_and_override(
    tmp_path: Path, platform: PlatformConfig, naming: Naming
) -> None:
    """A configured duration overrides the catalogue's; the others keep theirs."""
    stack = new_stack(tmp_path)
    IdentityCenterAccess(
        stack,
        "IdentityCenter",
        props=IdentityCenterAccessProps(
            instance_arn="arn:aws:sso:::instance/ssoins-0123456789abcdef",
            group_ids={},
            session_durations={"Developer": "PT2H"},
            assignments=[],
            policy_parameters=policy_parameters(platform, naming),
        ),
    )
    sets = Template.from_stack(stack).find_resources("AWS::SSO::PermissionSet")
    durations = {p["Properties"]["Name"]: p["Properties"]["SessionDuration"] for p in sets.values()}
    assert durations["Developer"] == "PT2H"
    assert durations["BreakGlassAdmin"] == PERMISSION_SETS["BreakGlassAdmin"].session_duration
