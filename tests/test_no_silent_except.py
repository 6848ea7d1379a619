"""No failure vanishes: every ``except`` in the project logs, re-raises, passes the error on, or says on its
line how the failure is answered (issue 23 item 4).

An ``except`` block passes the test when it
- raises (the same error or another one),
- calls a logger (``log.warning(...)``, ``logger.exception(...)``...),
- uses the caught exception (``except X as exc`` and ``exc`` is read: its message goes into an answer or a
  record), or
- carries ``# handled: <how>`` on its ``except`` line, naming where the failure goes (the answer a person gets,
  the fallback that is the intended behaviour).
Anything else would swallow a failure without a trace.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "dispatch", "solver", "scripts")
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}


def _handles(handler: ast.ExceptHandler, line: str) -> bool:
    if "# handled:" in line:
        return True
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS:
            return True
        if handler.name and isinstance(node, ast.Name) and node.id == handler.name:
            return True
    return False


def silent_handlers(root: Path = ROOT) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.ExceptHandler) and not _handles(node, lines[node.lineno - 1]):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_no_except_swallows_a_failure():
    assert silent_handlers() == [], ("log it, re-raise it, or say on the except line how it is answered "
                                     "(# handled: ...)")


def test_the_check_sees_a_silent_except(tmp_path):
    (tmp_path / "dispatch").mkdir()
    (tmp_path / "dispatch" / "x.py").write_text(
        "try:\n    pass\nexcept OSError:\n    pass\n"
        "try:\n    pass\nexcept OSError as exc:\n    log.warning('%s', exc)\n"
        "try:\n    pass\nexcept ValueError:  # handled: the default applies\n    pass\n")
    assert silent_handlers(tmp_path) == ["dispatch/x.py:3: except OSError:"]
