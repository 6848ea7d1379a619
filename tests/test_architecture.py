"""Imports run one way: api -> dispatch -> solver. solver imports only ortools, vrplib and the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SOLVER_ALLOWED_THIRD_PARTY = {"ortools", "vrplib"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package,forbidden", [("solver", {"dispatch", "api"}), ("dispatch", {"api"})])
def test_no_upward_imports(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(p.relative_to(REPO)): sorted(_imports(p) & forbidden) for p in _modules(package) if _imports(p) & forbidden
    }
    assert offenders == {}, f"{package} must not import {forbidden}: {offenders}"


def test_solver_is_pure() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    offenders = {}
    for path in _modules("solver"):
        bad = {name for name in _imports(path) if name not in stdlib | SOLVER_ALLOWED_THIRD_PARTY | {"solver"}}
        if bad:
            offenders[str(path.relative_to(REPO))] = sorted(bad)
    assert offenders == {}, f"solver may import only the stdlib, ortools and vrplib: {offenders}"


def test_checker_does_not_use_ortools() -> None:
    assert "ortools" not in _imports(REPO / "solver" / "check.py")


def test_the_guard_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from api.app import create_app\nimport numpy as np\n", encoding="utf-8")
    assert _imports(bad) == {"api", "numpy"}


def test_nothing_is_created_at_import() -> None:
    """Importing the packages must not read settings nor open a database."""
    import subprocess

    code = (
        "import dispatch.models, dispatch.planning.day, dispatch.db, api.app, api.cli\n"
        "import dispatch.settings as s\n"
        "assert s.get_settings.cache_info().currsize == 0, 'settings were read at import'\n"
        "import dispatch.db as d\n"
        "assert d.engine_for.cache_info().currsize == 0, 'an engine was created at import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
