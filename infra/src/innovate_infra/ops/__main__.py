"""``python -m innovate_infra.ops <command>``: what the make targets run.

* ``preflight``: check the real organization against the config (``make preflight``).
* ``import-mapping --template T --out F``: the ``cdk import --resource-mapping`` file for the
  accounts ``make import-accounts`` adopts.
* ``destroy-guard ENV``: refuse to tear down prod or an unknown environment (``make destroy``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from innovate_infra.config import ConfigError, PlatformConfig, load_platform
from innovate_infra.ops import teardown
from innovate_infra.ops.import_mapping import ImportError_, write_mapping

INFRA_DIR = Path(__file__).resolve().parents[3]


def _preflight(config_dir: Path) -> int:
    import boto3
    from botocore.config import Config

    from innovate_infra.ops.preflight import (
        Clients,
        NoCredentials,
        check_context,
        load_context,
        render,
        run,
    )

    platform = load_platform(config_dir)
    # The offline check first: it needs no credentials.
    offline = list(check_context(platform, load_context(INFRA_DIR)))
    print(render(offline))
    retries = Config(retries={"max_attempts": 3, "mode": "standard"})
    home = platform.home_region
    session = boto3.Session()
    clients = Clients(
        sts=session.client("sts", region_name=home, config=retries),
        organizations=session.client("organizations", region_name="us-east-1", config=retries),
        sso_admin=session.client("sso-admin", region_name=home, config=retries),
        identitystore=session.client("identitystore", region_name=home, config=retries),
        ce=session.client("ce", region_name="us-east-1", config=retries),
    )
    try:
        findings = run(platform, clients)
    except NoCredentials as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 2
    print(render(findings))
    failed = [f for f in [*offline, *findings] if f.status == "fail"]
    print(f"\npreflight: {len(failed)} failure(s)" if failed else "\npreflight: passed")
    return 1 if failed else 0


def _credentials() -> int:
    """Before ``cdk diff``/``destroy``/``import``: the CLI's own error without credentials
    is a long stack of retries; this says what to do."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from innovate_infra.ops.preflight import SIGN_IN

    try:
        caller = boto3.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        print(f"no usable AWS credentials ({exc}).\n{SIGN_IN}", file=sys.stderr)
        return 2
    print(f"as {caller['Arn']}")
    return 0


def _boundary(platform: PlatformConfig, out: Path) -> int:
    """policies/bootstrap/cfn-exec-boundary.json with this organization's values, for
    ``aws iam create-policy`` in each member account before ``cdk bootstrap``."""
    from innovate_infra.constructs.organization.policies import render_policy
    from innovate_infra.naming import Naming
    from innovate_infra.stacks.accounts.parameters import policy_parameters

    rendered = render_policy(
        "bootstrap/cfn-exec-boundary", policy_parameters(platform, Naming(platform))
    )
    out.write_text(json.dumps(rendered.document), encoding="utf-8")
    print(f"boundary: {out} (policy name: {platform.project}-cdk-exec-boundary)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate_infra.ops")
    parser.add_argument("--config", type=Path, default=INFRA_DIR / "config")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("preflight")
    sub.add_parser("credentials", help="fail clearly unless AWS credentials are usable")
    mapping = sub.add_parser("import-mapping")
    mapping.add_argument("--assembly", type=Path, required=True)
    mapping.add_argument("--out", type=Path, required=True)
    boundary = sub.add_parser("boundary", help="render the CDK execution-role boundary")
    boundary.add_argument("--out", type=Path, required=True)
    selector = sub.add_parser("selector", help="the CDK selector of a known environment")
    selector.add_argument("environment")
    guard = sub.add_parser("destroy-guard")
    guard.add_argument("environment")
    args = parser.parse_args(argv)
    try:
        if args.command == "preflight":
            return _preflight(args.config)
        if args.command == "credentials":
            return _credentials()
        platform = load_platform(args.config)
        if args.command == "boundary":
            return _boundary(platform, args.out)
        if args.command == "selector":
            print(f"{platform.environment(args.environment).name}/*")
            return 0
        if args.command == "import-mapping":
            written = write_mapping(platform, args.assembly, args.out)
            print(f"import mapping: {', '.join(written)} -> {args.out}")
            return 0
        print(teardown.check(platform, args.environment))
        return 0
    except (ConfigError, ImportError_, teardown.Refused) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
