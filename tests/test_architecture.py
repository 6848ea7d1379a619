"""Imports run one way: api -> dispatch -> solver. solver imports only ortools, vrplib and the stdlib."""

from __future__ import annotations

import ast
import functools
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


# ------------------------------------------------------------------ the layout's rules (dispatch/README.md)

PROBLEM_BUILDER = "dispatch/planning/problem.py"
PURE = ("dispatch/pickups/rules.py", "dispatch/pickups/rules_file.py", "dispatch/pickups/rule_decision.py",
        "dispatch/pickups/rule_messages.py", "dispatch/planning/horizon.py", "dispatch/planning/forecast.py",
        "dispatch/planning/fill_model.py",
        "dispatch/workdays.py")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in ("dispatch", "api") for p in _modules(pkg)
            if "migrations" not in p.parts}


def _edges(path: Path, known: set[str]) -> list[tuple[str, str | None]]:
    """(imported module, imported name) for every import of ``path``, at the top or inside functions;
    ``from pkg import mod`` counts as an import of ``pkg.mod`` when that is a module."""
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            lazy = _lazy_names(node.module)
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                if sub in known:
                    out.append((sub, None))
                elif a.name in lazy:  # a name a package's __init__ serves from one of its modules
                    out.append((f"{node.module}.{lazy[a.name]}", a.name))
                else:
                    out.append((node.module, a.name))
    return out


@functools.cache
def _lazy_names(module: str) -> dict[str, str]:
    """A dispatch subpackage's ``_PUBLIC`` map (name -> its module), empty for any other module; read once
    per module (every import statement of every module asks)."""
    init = REPO.joinpath(*module.split("."), "__init__.py")
    return surface(init)[0] if module.startswith("dispatch.") and init.exists() else {}


def solver_importers(modules: dict[str, Path]) -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in modules.values() if "solver" in _imports(p))


def private_imports(modules: dict[str, Path]) -> list[str]:
    """``from mod import _x`` across modules, and ``mod._x`` read from a module imported under a name."""
    known = set(modules)
    found = [f"{m} imports {name} from {dep}" for m, p in modules.items() for dep, name in _edges(p, known)
             if name and _private(name) and dep in known and dep != m]
    for m, p in modules.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        imported = {a.asname or a.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names
                    if (node.module if isinstance(node, ast.ImportFrom) else a.name or "").split(".")[0]
                    in ("dispatch", "api", "solver")}
        found += [f"{m} reads {node.value.id}.{node.attr}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                  and node.value.id in imported]
    return sorted(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def impure(paths: dict[str, Path]) -> dict[str, list[str]]:
    out = {}
    for rel, p in paths.items():
        bad = sorted({d for d, _ in _edges(p, {"dispatch.models"}) if d.split(".")[0] == "sqlalchemy"
                      or d == "dispatch.models" or d.startswith("dispatch.models.")})
        if bad:
            out[rel] = bad
    return out


def cycles(modules: dict[str, Path]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), imports inside functions included."""
    known = set(modules)
    graph = {m: {d for d, _ in _edges(p, known) if d in known and d != m} for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_only_the_problem_builder_imports_the_solver() -> None:
    assert solver_importers(_project_modules()) == [PROBLEM_BUILDER]


def test_no_private_name_crosses_modules() -> None:
    assert private_imports(_project_modules()) == []


def test_pure_modules_use_neither_sqlalchemy_nor_the_models() -> None:
    assert impure({rel: REPO / rel for rel in PURE}) == {}


def test_no_import_cycle() -> None:
    assert cycles(_project_modules()) == []


def test_each_rule_fails_on_a_planted_violation(tmp_path: Path) -> None:
    """The rules above are not vacuous: each one catches a module written to break it."""
    (tmp_path / "a.py").write_text("import solver\nfrom dispatch.b import _secret\nimport sqlalchemy\n"
                                   "def f():\n    from dispatch import models\n    return models._enum\n",
                                   encoding="utf-8")
    (tmp_path / "b.py").write_text("def g():\n    from dispatch.a import f\n", encoding="utf-8")
    planted = {"dispatch.a": tmp_path / "a.py", "dispatch.b": tmp_path / "b.py"}
    a_only = {"dispatch.a": tmp_path / "a.py"}
    assert "solver" in _imports(planted["dispatch.a"])
    assert private_imports(planted) == ["dispatch.a imports _secret from dispatch.b", "dispatch.a reads models._enum"]
    assert impure(a_only) == {"dispatch.a": ["dispatch.models", "sqlalchemy"]}
    assert cycles(planted) == [["dispatch.a", "dispatch.b"]]


# ------------------------------------------------------------------ subpackages meet through their __init__

SUBPACKAGES = sorted(p.parent.name for p in (REPO / "dispatch").glob("*/__init__.py")
                     if p.parent.name not in ("migrations", "models"))


def surface(init: Path) -> tuple[dict[str, str], set[str]]:
    """(lazily served name -> its module, every public name) of a subpackage's ``__init__``: the keys of
    ``_PUBLIC``, the modules of ``_MODULES``, and the names it imports itself."""
    lazy: dict[str, str] = {}
    public: set[str] = set()
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name) and target.id == "_PUBLIC" and node.value is not None:
                lazy = ast.literal_eval(node.value)
            elif isinstance(target, ast.Name) and target.id == "_MODULES" and node.value is not None:
                public |= set(ast.literal_eval(node.value))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dispatch."):
            public |= {a.asname or a.name for a in node.names}
    return lazy, public | set(lazy)


def _own_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "dispatch" and len(parts) >= 2 else None  # dispatch.pkg is its own __init__


def reaching_in(modules: dict[str, Path], packages: dict[str, Path]) -> list[str]:
    """Imports of another subpackage's inside: ``from dispatch.pkg.module import x`` (or ``import
    dispatch.pkg.module``), or a name its ``__init__`` does not make public."""
    surfaces = {name: surface(init)[1] for name, init in packages.items()}
    out = []
    for m, p in modules.items():
        own = _own_package(m)
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [(a.name.split("."), None) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [(node.module.split("."), a.name) for a in node.names]
            else:
                continue
            for parts, name in targets:
                if parts[0] != "dispatch" or len(parts) < 2 or parts[1] not in packages or parts[1] == own:
                    continue
                if len(parts) > 2:
                    out.append(f"{m} imports {'.'.join(parts)} (use dispatch.{parts[1]})")
                elif name is not None and name not in surfaces[parts[1]]:
                    out.append(f"{m} imports {name} from dispatch.{parts[1]}, which does not make it public")
    return sorted(out)


def test_subpackages_use_each_other_through_their_init() -> None:
    """dispatch's subpackages and the api reach another subpackage only through the public surface of its
    ``__init__`` (``_PUBLIC`` names and ``_MODULES``), never into its modules."""
    packages = {name: REPO / "dispatch" / name / "__init__.py" for name in SUBPACKAGES}
    assert reaching_in(_project_modules(), packages) == []


def test_the_init_rule_fails_on_a_planted_violation(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    init = tmp_path / "pkg" / "__init__.py"
    init.write_text('_PUBLIC = {"plan_day": "day"}\n_MODULES = ("views",)\n', encoding="utf-8")
    (tmp_path / "a.py").write_text("from dispatch.pkg.day import plan_day\nfrom dispatch.pkg import secret\n"
                                   "from dispatch.pkg import plan_day, views\n", encoding="utf-8")
    found = reaching_in({"dispatch.other.a": tmp_path / "a.py"}, {"pkg": init})
    assert found == ["dispatch.other.a imports dispatch.pkg.day (use dispatch.pkg)",
                     "dispatch.other.a imports secret from dispatch.pkg, which does not make it public"]
    assert surface(init) == ({"plan_day": "day"}, {"plan_day", "views"})
