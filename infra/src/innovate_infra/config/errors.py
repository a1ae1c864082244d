"""The one configuration error: every problem names the file, the field and the reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


class ConfigError(ValueError):
    """Invalid configuration; ``issues`` lists every problem with file, field and reason."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid infrastructure configuration:\n{lines}")


def display(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError([ConfigIssue(display(path), "<file>", "file not found")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            [ConfigIssue(display(path), "<file>", f"not valid YAML: {exc}")]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue(display(path), "<file>", "must contain a mapping at the top level")]
        )
    return data


def issues_from(error: ValidationError, file: str) -> list[ConfigIssue]:
    issues = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "<root>"
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            reason = "required field is missing"
        issues.append(ConfigIssue(file, field, reason))
    return issues


def parse(model: type[M], data: dict[str, Any], file: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(issues_from(exc, file)) from None
