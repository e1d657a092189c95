"""The layering holds: every SQL string lives in `db/`, and the import contract passes.

`bot -> services -> db`: a query written in a service or a handler gives "where is this
query?" a second answer, so a string that starts like SQL anywhere in `bot/` or `services/`
fails here (docstrings and comments that merely mention a clause do not start with one).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SQL_START = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\(|SHOW\s)"
)


def sql_strings(path: Path) -> list[str]:
    """Places in one module where a string literal (or an f-string's text) starts like SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and SQL_START.match(text):
            found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    return found


def test_a_sql_string_is_found_where_one_is_written(tmp_path: Path) -> None:
    module = ROOT / "services" / "_probe_for_test.py"
    module.write_text('Q = f"""\n  SELECT 1 FROM {x}"""\nR = "UPDATE stores SET a = 1"\n')
    try:
        assert len(sql_strings(module)) == 2
    finally:
        module.unlink()


@pytest.mark.parametrize("package", ["bot", "services"])
def test_no_sql_outside_db(package: str) -> None:
    found = [hit for p in sorted((ROOT / package).rglob("*.py")) for hit in sql_strings(p)]
    assert found == [], "SQL belongs in db/ (a repository or a screen query): " + ", ".join(found)


def test_import_contract_holds() -> None:
    """`make lint` runs the same check; here it fails the suite too."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run(  # noqa: S603 - our own venv's script, fixed arguments
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
