from __future__ import annotations

from typing import Any

import pytest

from chart import ENVIRONMENTS, environment_values, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Each environment's manifests, rendered once per session."""
    return {env: render(environment_values(env)) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def docs(rendered: dict[str, list[dict[str, Any]]], env: str) -> list[dict[str, Any]]:
    return rendered[env]


def pytest_configure(config: pytest.Config) -> None:
    import helm_python

    # Helm's Go log lines (lint mode notes each `required` it skips) would only be noise.
    helm_python.disable_logging()
