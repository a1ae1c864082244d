"""delivery.yaml: bad values stop the load with the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import edit, issues_of


def change(config_dir: Path, update: Any) -> list[tuple[str, str, str]]:
    edit(config_dir / "delivery.yaml", update)
    return issues_of(config_dir)


def test_committed_delivery_config_loads(platform: Any) -> None:
    delivery = platform.delivery
    assert delivery.source.full_repository_id == "innovate-platform/innovate"
    assert delivery.image.scan_alarm_thresholds == {"CRITICAL": 1, "HIGH": 5}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("schedule", "every day", "is not an EventBridge Scheduler expression"),
        ("schedule", "cron(0 4 * * ?)", "is not an EventBridge Scheduler expression"),
        ("timezone", "UTC+1", "is not an IANA time zone name"),
    ],
)
def test_bad_rebuild_schedule(config_dir: Path, field: str, value: str, reason: str) -> None:
    [(file, path, message)] = change(config_dir, lambda d: d["rebuild"].update({field: value}))
    assert (file, path) == ("delivery.yaml", f"rebuild.{field}")
    assert reason in message


def test_scan_thresholds_name_known_severities_and_count_from_one(config_dir: Path) -> None:
    issues = change(
        config_dir, lambda d: d["image"].update({"scan_alarm_thresholds": {"SEVERE": 1}})
    )
    assert [(f, p) for f, p, _ in issues] == [
        ("delivery.yaml", "image.scan_alarm_thresholds.SEVERE.[key]")
    ]
    [(_, path, message)] = change(
        config_dir, lambda d: d["image"].update({"scan_alarm_thresholds": {"HIGH": 0}})
    )
    assert path == "image.scan_alarm_thresholds"
    assert "at least 1 finding" in message


def test_connection_arn_must_be_a_codeconnections_connection(config_dir: Path) -> None:
    [(file, path, _)] = change(
        config_dir, lambda d: d["source"].update({"connection_arn": "arn:aws:s3:::bucket"})
    )
    assert (file, path) == ("delivery.yaml", "source.connection_arn")


def test_retention_and_email_are_checked(config_dir: Path) -> None:
    issues = change(
        config_dir, lambda d: d.update({"log_retention_days": 42, "notification_email": "x"})
    )
    fields = sorted(p for _, p, _ in issues)
    assert fields == ["log_retention_days", "notification_email"]


def test_missing_delivery_file_is_named(config_dir: Path) -> None:
    (config_dir / "delivery.yaml").unlink()
    assert ("delivery.yaml", "<file>", "file not found") in issues_of(config_dir)
