"""``web/security-headers.json``: the one contract for the SPA's response headers, read at
synth into the CloudFront response-headers policy (the local front server reads the same
file). Malformed input fails the synth naming the file and the field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIELDS = (
    "content_security_policy",
    "strict_transport_security",
    "content_type_options",
    "frame_options",
    "referrer_policy",
    "custom_headers",
)
FRAME_OPTIONS = ("DENY", "SAMEORIGIN")
# CloudFront's ReferrerPolicy values (ResponseHeadersPolicyReferrerPolicy).
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)
# Headers CloudFront manages through its own fields; a custom header may not repeat them.
MANAGED_HEADERS = frozenset(
    {
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "x-xss-protection",
    }
)
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


class SecurityHeadersError(ValueError):
    """The headers file is malformed: names the file and the field."""

    def __init__(self, path: Path, field: str, reason: str) -> None:
        super().__init__(f"{path}: {field}: {reason}")


@dataclass(frozen=True)
class SecurityHeaders:
    content_security_policy: str
    hsts_max_age_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool
    frame_options: str
    referrer_policy: str
    custom_headers: tuple[tuple[str, str], ...]


def load_security_headers(path: Path) -> SecurityHeaders:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecurityHeadersError(path, "(file)", "not found") from None
    except json.JSONDecodeError as exc:
        raise SecurityHeadersError(path, "(file)", f"not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SecurityHeadersError(path, "(file)", "must be a JSON object")
    data = {k: v for k, v in raw.items() if not k.startswith("_")}
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise SecurityHeadersError(path, unknown[0], f"unknown field (expected {FIELDS})")
    for name in FIELDS:
        if name not in data:
            raise SecurityHeadersError(path, name, "missing")

    csp = data["content_security_policy"]
    if not isinstance(csp, str) or not csp.strip():
        raise SecurityHeadersError(path, "content_security_policy", "must be a non-empty string")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        raise SecurityHeadersError(
            path, "content_security_policy", "must not allow 'unsafe-inline' or 'unsafe-eval'"
        )

    hsts = data["strict_transport_security"]
    field = "strict_transport_security"
    if not isinstance(hsts, dict) or set(hsts) != {
        "max_age_seconds",
        "include_subdomains",
        "preload",
    }:
        raise SecurityHeadersError(
            path, field, "must be an object with max_age_seconds, include_subdomains, preload"
        )
    max_age = hsts["max_age_seconds"]
    # At least one year: what browsers' preload lists require.
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 31536000:
        raise SecurityHeadersError(
            path, f"{field}.max_age_seconds", "must be an integer of at least 31536000 (1 year)"
        )
    for flag in ("include_subdomains", "preload"):
        if not isinstance(hsts[flag], bool):
            raise SecurityHeadersError(path, f"{field}.{flag}", "must be true or false")

    if data["content_type_options"] != "nosniff":
        raise SecurityHeadersError(path, "content_type_options", 'must be "nosniff"')
    if data["frame_options"] not in FRAME_OPTIONS:
        raise SecurityHeadersError(path, "frame_options", f"must be one of {FRAME_OPTIONS}")
    if data["referrer_policy"] not in REFERRER_POLICIES:
        raise SecurityHeadersError(path, "referrer_policy", f"must be one of {REFERRER_POLICIES}")

    custom = data["custom_headers"]
    if not isinstance(custom, dict):
        raise SecurityHeadersError(path, "custom_headers", "must be an object of name: value")
    for name, value in custom.items():
        where = f"custom_headers.{name}"
        if not HEADER_NAME.match(name):
            raise SecurityHeadersError(path, where, "not a valid header name")
        if name.lower() in MANAGED_HEADERS:
            raise SecurityHeadersError(path, where, "has its own field; do not repeat it here")
        if not isinstance(value, str) or not value:
            raise SecurityHeadersError(path, where, "must be a non-empty string")

    return SecurityHeaders(
        content_security_policy=csp,
        hsts_max_age_seconds=max_age,
        hsts_include_subdomains=hsts["include_subdomains"],
        hsts_preload=hsts["preload"],
        frame_options=data["frame_options"],
        referrer_policy=data["referrer_policy"],
        custom_headers=tuple(sorted(custom.items())),
    )
