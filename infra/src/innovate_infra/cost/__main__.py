"""``python -m innovate_infra.cost --assembly cdk.out [--markdown]`` (``make cost``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from innovate_infra.config import ConfigError, load_platform
from innovate_infra.cost.prices import USAGE_FILE, CostError, load_prices, load_usage
from innovate_infra.cost.report import estimate, read_assembly, render_markdown, render_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make cost", description=__doc__)
    parser.add_argument("--assembly", type=Path, required=True, help="the synthesized cdk.out")
    parser.add_argument("--config", type=Path, default=None, help="infra/config")
    parser.add_argument("--usage", type=Path, default=USAGE_FILE)
    parser.add_argument("--markdown", action="store_true", help="tables for docs/cost.md")
    args = parser.parse_args(argv)
    try:
        platform = load_platform(args.config) if args.config else load_platform()
        prices = load_prices()
        estimates = estimate(
            read_assembly(args.assembly, platform), prices, load_usage(args.usage), str(args.usage)
        )
    except (CostError, ConfigError) as exc:
        print(f"cost: {exc}", file=sys.stderr)
        return 2
    print(render_markdown(estimates, prices) if args.markdown else render_text(estimates, prices))
    return 0


if __name__ == "__main__":
    sys.exit(main())
