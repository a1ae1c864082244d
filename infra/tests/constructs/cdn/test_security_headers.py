"""web/security-headers.json is read strictly: a malformed file names the file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from innovate_infra.constructs.cdn.security_headers import (
    SecurityHeadersError,
    load_security_headers,
)
from innovate_infra.stages import SECURITY_HEADERS_FILE


def write(tmp_path: Path, change: Any) -> Path:
    data = json.loads(SECURITY_HEADERS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "security-headers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_committed_contract_loads() -> None:
    headers = load_security_headers(SECURITY_HEADERS_FILE)
    assert headers.frame_options == "DENY"
    assert "frame-ancestors 'none'" in headers.content_security_policy


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("frame_options"), "frame_options"),
        (lambda d: d.update(frame_options="ALLOW"), "frame_options"),
        (lambda d: d.update(referrer_policy="always"), "referrer_policy"),
        (lambda d: d.update(content_type_options="sniff"), "content_type_options"),
        (
            lambda d: d.update(content_security_policy="script-src 'self' 'unsafe-inline'"),
            "content_security_policy",
        ),
        (
            lambda d: d["strict_transport_security"].update(max_age_seconds=60),
            "strict_transport_security.max_age_seconds",
        ),
        (
            lambda d: d["custom_headers"].update({"X-Frame-Options": "DENY"}),
            "custom_headers.X-Frame-Options",
        ),
        (lambda d: d.update(extra="x"), "extra"),
    ],
)
def test_malformed_input_names_file_and_field(tmp_path: Path, change: Any, field: str) -> None:
    path = write(tmp_path, change)
    with pytest.raises(SecurityHeadersError) as error:
        load_security_headers(path)
    assert str(error.value).startswith(f"{path}: {field}: ")


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(SecurityHeadersError, match="not found"):
        load_security_headers(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SecurityHeadersError, match="not valid JSON"):
        load_security_headers(broken)
