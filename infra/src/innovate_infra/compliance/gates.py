"""Policy gates over every CloudFormation template of a cloud assembly (``cdk.out``).

* ``nag``: reads the synth's ``validation-report.json`` (cdk-nag's three packs and
  CDK's own template validation ran inside the synth and block it); fails on any
  unacknowledged finding, on acknowledgments whose reason is not declared in
  the suppressions registry, and prints pack / rule / count acknowledged.
* ``cfn-lint``: zero errors and zero warnings except W3005.
* ``checkov``: cloudformation framework, ``--skip-download``, zero failed checks; each
  skip must be declared in the suppressions registry (``suppressions/``).

Every gate fails when it has nothing to scan. Usage::

    python -m innovate_infra.compliance.gates all --assembly cdk.out --checkov <checkov>
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from innovate_infra.compliance.checks import NAG_PACKS
from innovate_infra.compliance.suppressions import Suppressions, registry
from innovate_infra.config import DEFAULT_CONFIG_DIR, load_platform
from innovate_infra.naming import Naming

CFN_LINT_IGNORED = ("W3005",)
# CDK's built-in CloudFormation validation acknowledges a few of its own known schema
# quirks inside aws-cdk-lib (reason text owned by CDK, not by this repository).
CDK_BUILTIN_PLUGIN = "CloudFormation Validate"
REGISTRY = "the registry innovate_infra/compliance/suppressions/"


def platform_suppressions(config_dir: Path = DEFAULT_CONFIG_DIR) -> Suppressions:
    """The registry the synth applied: built from the same configuration."""
    return registry(Naming(load_platform(config_dir)))


@dataclass
class GateResult:
    name: str
    passed: bool
    scanned: str
    findings: list[str] = field(default_factory=list)
    table: Sequence[tuple[str, ...]] = field(default_factory=list)
    table_header: tuple[str, ...] = ()
    seconds: float = 0.0

    def render(self) -> str:
        lines = [
            f"---- {self.name}: {'PASS' if self.passed else 'FAIL'} "
            f"({self.scanned}, {self.seconds:.1f}s)"
        ]
        if self.table:
            widths = [
                max(len(str(row[i])) for row in [self.table_header, *self.table])
                for i in range(len(self.table_header))
            ]
            fmt = "  ".join(f"{{:<{w}}}" for w in widths)
            lines.append("   " + fmt.format(*self.table_header))
            lines.extend("   " + fmt.format(*row) for row in self.table)
        lines.extend(f"   ! {finding}" for finding in self.findings)
        return "\n".join(lines)


def find_templates(assembly: Path) -> list[Path]:
    """Every template in the assembly, nested stage assemblies included."""
    return sorted(assembly.rglob("*.template.json"))


def _count_resources(templates: Iterable[Path]) -> int:
    total = 0
    for path in templates:
        total += len(json.loads(path.read_text(encoding="utf-8")).get("Resources", {}))
    return total


def _nothing_to_scan(name: str, assembly: Path) -> GateResult:
    return GateResult(
        name,
        False,
        "0 templates",
        [f"no CloudFormation templates under {assembly}: nothing was scanned"],
    )


# ----------------------------------------------------------------------------- cdk-nag


def nag_gate(assembly: Path, suppressions: Suppressions | None = None) -> GateResult:
    started = time.monotonic()
    templates = find_templates(assembly)
    if not templates:
        return _nothing_to_scan("cdk-nag + CDK validation", assembly)
    scanned = f"{len(templates)} templates, {_count_resources(templates)} resources"
    report_path = assembly / "validation-report.json"
    if not report_path.is_file():
        return GateResult(
            "cdk-nag + CDK validation",
            False,
            scanned,
            [f"{report_path} is missing: the synth did not run the validation plugins"],
        )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    plugins = report.get("pluginReports", [])
    findings: list[str] = []
    suppressions = suppressions or platform_suppressions()
    declared_reasons = {ack.reason for ack in suppressions.acknowledgments}
    counts: Counter[tuple[str, str]] = Counter()
    for plugin in plugins:
        name = plugin.get("pluginName", "?")
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                findings.append(
                    f"{name} {violation['ruleName']} at {construct.get('constructPath')}"
                )
        if plugin.get("conclusion") != "success" and not plugin.get("violations"):
            findings.append(f"{name} concluded {plugin.get('conclusion')!r}")
        for suppressed in plugin.get("suppressedViolations", []):
            counts[(name, suppressed.get("acknowledgedId", suppressed["ruleName"]))] += len(
                suppressed.get("violatingConstructs", [])
            )
            if name != CDK_BUILTIN_PLUGIN and suppressed.get("reason") not in declared_reasons:
                findings.append(
                    f"{name} {suppressed.get('acknowledgedId')} "
                    f"at {suppressed.get('acknowledgedAt')} "
                    f"is acknowledged outside {REGISTRY}"
                )
    if not plugins:
        findings.append("the validation report lists no plugin: cdk-nag did not run")
    else:
        reported = {plugin.get("pluginName") for plugin in plugins}
        findings += [
            f"no report from the cdk-nag pack {pack}" for pack in NAG_PACKS if pack not in reported
        ]
    table = [(pack, rule, str(count)) for (pack, rule), count in sorted(counts.items())]
    table.append(("total", "", str(sum(counts.values()))))
    return GateResult(
        "cdk-nag (AwsSolutions, NIST 800-53 R5, HIPAA) + CDK validation",
        not findings,
        scanned,
        findings,
        table,
        ("pack", "acknowledged rule", "count"),
        time.monotonic() - started,
    )


# ----------------------------------------------------------------------------- cfn-lint


def cfn_lint_gate(assembly: Path) -> GateResult:
    started = time.monotonic()
    templates = find_templates(assembly)
    if not templates:
        return _nothing_to_scan("cfn-lint", assembly)
    command = [
        str(Path(sys.executable).parent / "cfn-lint"), "--format", "json",
        "--ignore-checks", *CFN_LINT_IGNORED, "--", *map(str, templates),
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        matches: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return GateResult(
            "cfn-lint",
            False,
            f"{len(templates)} templates",
            [f"cfn-lint failed: {proc.stderr[-2000:]}"],
        )
    if proc.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):
        return GateResult(
            "cfn-lint",
            False,
            f"{len(templates)} templates",
            [f"cfn-lint crashed: {proc.stderr[-2000:]}"],
        )
    findings = [
        f"{m['Rule']['Id']} {Path(m['Filename']).name}:"
        f"{m['Location']['Start']['LineNumber']} {m['Message']}"
        for m in matches
        if m["Rule"]["Id"] not in CFN_LINT_IGNORED and m["Level"] in ("Error", "Warning")
    ]
    by_rule = Counter(m["Rule"]["Id"] for m in matches)
    table = [(rule, str(count)) for rule, count in sorted(by_rule.items())]
    return GateResult(
        "cfn-lint (errors and warnings; W3005 ignored)",
        not findings,
        f"{len(templates)} templates",
        findings,
        table,
        ("rule", "count") if table else (),
        time.monotonic() - started,
    )


# ----------------------------------------------------------------------------- checkov


def _checkov_batches(templates: list[Path], batches: int) -> list[list[Path]]:
    groups: list[list[Path]] = [[] for _ in range(max(1, min(batches, len(templates))))]
    for index, template in enumerate(sorted(templates, key=lambda p: -p.stat().st_size)):
        groups[index % len(groups)].append(template)
    return groups


def _run_checkov(checkov: str, templates: list[Path]) -> dict[str, Any]:
    command = [
        checkov,
        "--framework",
        "cloudformation",
        "--skip-download",
        "--output",
        "json",
        "--compact",
    ]
    for template in templates:
        command += ["--file", str(template)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"checkov produced no JSON (exit {proc.returncode}): {proc.stderr[-2000:]}"
        ) from None
    reports = data if isinstance(data, list) else [data]
    merged: dict[str, Any] = {
        "passed": [],
        "failed": [],
        "skipped": [],
        "parsing_errors": [],
        "resources": 0,
    }
    for report in reports:
        if report.get("check_type") != "cloudformation":
            continue
        results = report.get("results", {})
        merged["passed"] += results.get("passed_checks", [])
        merged["failed"] += results.get("failed_checks", [])
        merged["skipped"] += results.get("skipped_checks", [])
        merged["parsing_errors"] += results.get("parsing_errors", [])
        merged["resources"] += report.get("summary", {}).get("resource_count", 0)
    return merged


def checkov_gate(
    assembly: Path, checkov: str, parallel: int = 2, suppressions: Suppressions | None = None
) -> GateResult:
    started = time.monotonic()
    templates = find_templates(assembly)
    if not templates:
        return _nothing_to_scan("checkov", assembly)
    if not Path(checkov).is_file():
        return GateResult("checkov", False, "0 templates", [f"checkov not found at {checkov}"])
    batches = _checkov_batches(templates, parallel)
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        parts = list(pool.map(lambda batch: _run_checkov(checkov, batch), batches))
    passed = [c for part in parts for c in part["passed"]]
    failed = [c for part in parts for c in part["failed"]]
    skipped = [c for part in parts for c in part["skipped"]]
    parsing_errors = [e for part in parts for e in part["parsing_errors"]]
    resources = sum(part["resources"] for part in parts)

    findings = [
        f"{c['check_id']} {c['check_name']} -- {c['resource']} in {Path(c['file_path']).name}"
        for c in failed
    ]
    findings += [f"parsing error: {error}" for error in parsing_errors]
    if resources == 0 or not passed:
        findings.append(
            f"checkov scanned {resources} resources and passed {len(passed)} checks: "
            "nothing was scanned"
        )
    suppressions = suppressions or platform_suppressions()
    declared = {(skip.check_id, skip.reason) for skip in suppressions.checkov_skips}
    for check in skipped:
        comment = check.get("check_result", {}).get("suppress_comment", "")
        if (check["check_id"], comment) not in declared:
            findings.append(
                f"{check['check_id']} on {check['resource']} is skipped outside {REGISTRY}"
            )
    by_check = Counter((c["check_id"], "skipped") for c in skipped) + Counter(
        (c["check_id"], "FAILED") for c in failed
    )
    table = [(check, state, str(count)) for (check, state), count in sorted(by_check.items())]
    table.append(("passed checks", "", str(len(passed))))
    return GateResult(
        "checkov (cloudformation)",
        not findings,
        f"{len(templates)} templates, {resources} resources",
        findings,
        table,
        ("check", "state", "count"),
        time.monotonic() - started,
    )


# ----------------------------------------------------------------------------- CLI


def run_gates(
    assembly: Path, checkov: str, names: Iterable[str], config_dir: Path = DEFAULT_CONFIG_DIR
) -> list[GateResult]:
    suppressions = platform_suppressions(config_dir)
    runners: dict[str, Callable[[], GateResult]] = {
        "nag": lambda: nag_gate(assembly, suppressions),
        "cfn-lint": lambda: cfn_lint_gate(assembly),
        "checkov": lambda: checkov_gate(assembly, checkov, suppressions=suppressions),
    }
    selected = list(names)
    with ThreadPoolExecutor(max_workers=len(selected)) as pool:
        futures = [pool.submit(runners[name]) for name in selected]
        return [future.result() for future in futures]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gate", choices=["nag", "cfn-lint", "checkov", "all"])
    parser.add_argument("--assembly", type=Path, required=True, help="the cdk.out directory")
    parser.add_argument("--checkov", default="checkov", help="path of the checkov executable")
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG_DIR, help="the configuration synthesized"
    )
    args = parser.parse_args(argv)
    names = ["nag", "cfn-lint", "checkov"] if args.gate == "all" else [args.gate]
    results = run_gates(args.assembly, args.checkov, names, args.config)
    for result in results:
        print(result.render())
    print("---- policy gates summary")
    for result in results:
        print(
            f"   {'PASS' if result.passed else 'FAIL'}  {result.name}: "
            f"{result.scanned}, {len(result.findings)} findings"
        )
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
