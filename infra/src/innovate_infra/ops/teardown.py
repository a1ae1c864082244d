"""The guard of ``make destroy ENV=...``: only the disposable environments are torn down
from a laptop. Production is never destroyed by a make target (its stacks also carry
termination protection and retain their data); see docs/runbooks/teardown.md."""

from __future__ import annotations

from innovate_infra.config import PlatformConfig

DESTROYABLE = ("dev", "staging")


class Refused(Exception):
    """The environment may not be destroyed this way; the message says why."""


def check(platform: PlatformConfig, environment: str) -> str:
    """The CDK selector of the environment's stacks, or ``Refused``."""
    if environment not in platform.environments:
        raise Refused(
            f"unknown environment {environment!r}; known: {sorted(platform.environments)}"
        )
    if environment not in DESTROYABLE:
        raise Refused(
            f"refusing to destroy {environment!r}: only {', '.join(DESTROYABLE)} are "
            "disposable. Production is retired by the runbook (docs/runbooks/teardown.md), "
            "never by a make target"
        )
    env = platform.environments[environment]
    if env.retain_stateful_resources or env.termination_protection:
        raise Refused(
            f"{environment}: retain_stateful_resources / termination_protection are on in "
            f"environments/{environment}.yaml: switch them off and deploy first "
            "(docs/runbooks/teardown.md)"
        )
    return f"{environment}/*"
