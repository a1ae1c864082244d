"""docs/controls.md names the test that proves each control: every test it names exists.

A renamed or deleted test would otherwise leave a row that claims a proof nobody runs.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "docs" / "controls.md"
# `test_file.py` or `path/to/test_file.py::test_name` (also `::TestClass`).
REFERENCE = re.compile(r"([\w/.-]*test_\w+\.py)(?:::(\w+))?")


# Where tests live (the virtual environments and node_modules are elsewhere).
TEST_ROOTS = ("infra/tests", "services", "tools", "bench", "deploy")


def _test_files() -> list[Path]:
    return [f for root in TEST_ROOTS for f in (ROOT / root).rglob("test_*.py")]


def broken_references(text: str, files: list[Path]) -> list[str]:
    broken = []
    for path, name in sorted(set(REFERENCE.findall(text))):
        candidates = [f for f in files if f.as_posix().endswith("/" + path.lstrip("/"))]
        if not candidates:
            broken.append(f"{path}: no such file")
            continue
        if name and not any(
            re.search(rf"^\s*(?:def|class) {name}\b", f.read_text(), re.M) for f in candidates
        ):
            broken.append(f"{path}::{name}: no such test")
    return broken


def test_every_test_the_matrix_names_exists() -> None:
    text = MATRIX.read_text(encoding="utf-8")
    # The matrix names dozens of tests; finding few means the pattern broke, not the docs.
    assert len(set(REFERENCE.findall(text))) > 40
    assert broken_references(text, _test_files()) == []


def test_a_missing_test_is_reported(tmp_path: Path) -> None:
    real = tmp_path / "tests" / "test_real.py"
    real.parent.mkdir()
    real.write_text("def test_present() -> None:\n    pass\n")
    text = "`tests/test_real.py::test_present`, `test_real.py::test_gone`, `test_absent.py`"
    assert broken_references(text, [real]) == [
        "test_absent.py: no such file",
        "test_real.py::test_gone: no such test",
    ]
