"""solver/ imports only the standard library and OR-Tools (vrplib only in the benchmark reader)."""

from __future__ import annotations

import ast
import os
import sys

from solver_testlib import ROOT

SOLVER = os.path.join(ROOT, "solver")


def _imports(path):
    out = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_only_stdlib_and_ortools():
    for name in sorted(os.listdir(SOLVER)):
        if not name.endswith(".py"):
            continue
        allowed = set(sys.stdlib_module_names) | {"ortools"}
        if name == "instances.py":
            allowed.add("vrplib")
        bad = _imports(os.path.join(SOLVER, name)) - allowed
        assert not bad, f"{name} imports {bad}"


def test_only_the_model_builder_and_its_parameters_import_ortools():
    users = [n for n in os.listdir(SOLVER) if n.endswith(".py") and "ortools" in _imports(os.path.join(SOLVER, n))]
    assert sorted(users) == ["model_build.py", "model_params.py"]
