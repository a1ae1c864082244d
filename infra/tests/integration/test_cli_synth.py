"""`cdk synth --no-lookups` (the CDK CLI from package-lock.json) works offline, without
credentials, and writes byte-identical templates to the session's `python app.py`-style
synth: proof that cdk.context.json holds every lookup and that synthesis is deterministic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from innovate_infra.app import INFRA_DIR

from tests.conftest import Synth

CDK_CLI = Path(os.environ.get("INFRA_CDK_CLI", str(INFRA_DIR / "node_modules/.bin/cdk")))


def offline_environment(home: Path) -> dict[str, str]:
    # HOME is kept: jsii caches the unpacked aws-cdk-lib under it (a fresh one costs ~15 s).
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_CLI_TELEMETRY="true",
        # No credentials anywhere: a lookup or an AWS call would fail loudly.
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def test_cdk_cli_synth_no_lookups_matches_the_session_synth(synth: Synth, tmp_path: Path) -> None:
    assert CDK_CLI.is_file(), f"the CDK CLI is not installed at {CDK_CLI} (run make infra-install)"
    outdir = tmp_path / "cli.out"
    command = [
        str(CDK_CLI), "synth", "--no-lookups", "--no-notices", "--quiet",
        "--app", f"{sys.executable} app.py", "--output", str(outdir),
    ]  # fmt: skip
    proc = subprocess.run(  # noqa: S603
        command,
        cwd=INFRA_DIR,
        env=offline_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {p.relative_to(synth.outdir): p.read_bytes() for p in synth.template_files()}
    produced = {
        p.relative_to(outdir): p.read_bytes() for p in sorted(outdir.rglob("*.template.json"))
    }
    assert sorted(produced) == sorted(expected)
    different = [str(name) for name in expected if produced[name] != expected[name]]
    assert not different, f"templates differ between two synths: {different}"
    # 3 environments x 10 stacks, 8 account stacks, 3 per allowed region besides home
    # (us-east-1), 3 delivery stacks, the infrastructure pipeline and its us-east-1 replica
    assert len(expected) == 46
