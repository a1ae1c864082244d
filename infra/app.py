#!/usr/bin/env python3
"""CDK entry point: synthesizes every account and environment of the platform into cdk.out/.

Runs offline: `python app.py` (what `make synth` does) or `cdk synth --no-lookups`.
With the CDK CLI, `-c environments=dev,prod` restricts the synth to those environments.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(INFRA_DIR / "src"))

from innovate_infra.app import build_platform, create_app  # noqa: E402
from innovate_infra.config import ConfigError, load_platform  # noqa: E402


def main() -> int:
    app = create_app(outdir=os.environ.get("CDK_OUTDIR") or INFRA_DIR / "cdk.out")
    selected = app.node.try_get_context("environments")
    only = [name.strip() for name in str(selected).split(",") if name.strip()] if selected else None
    try:
        build_platform(app, load_platform(INFRA_DIR / "config", only=only))
    except ConfigError as exc:
        # A bad file, field or policy document: one line per problem, no traceback.
        print(exc, file=sys.stderr)
        return 2
    # CDK's own validation: construct validation plus error annotations fail the synth.
    app.synth(validate_on_synthesis=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
