"""Portfolio: run ``options.workers`` differently configured OR-Tools searches at once, keep the best.

OR-Tools' routing search is single-threaded, so on a multi-core machine a second search with a
different first-solution strategy / metaheuristic (``model._alternative``) is almost free and often
finds a better plan. Member 0 (the default search) runs in this process; members 1.. run in child
processes started with ``subprocess`` (``python -c ...``: no ``fork`` of a possibly threaded parent,
no re-import of the caller's ``__main__`` as with multiprocessing's "spawn", and it works inside
daemonic worker processes). The problem goes to the child pickled on stdin, the ``RawResult`` comes
back pickled on stdout (the options carry the search tuning, ``SearchParams``). Every member gets
the same wall-clock deadline, so start-up and model building count against the time limit.

The best result is the one with the lowest objective (arc + fixed costs + penalties of dropped
visits), then the fewest dropped visits; ties go to member 0. If a child fails for any reason its
result is ignored: the portfolio is never worse than the single search, and never raises.
With ``workers == 1`` this is exactly ``model.run`` (deterministic with ``solution_limit``).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import threading
import time as _time

from . import model
from .problem import Problem
from .result import SolveOptions

_CHILD = "import solver.portfolio as p; p._child_main()"


def run(
    problem: Problem,
    visit_idx: list[int],
    allowed: dict[int, list[int]],
    options: SolveOptions,
    deadline: float,
) -> model.RawResult:
    """``model.run`` over a portfolio of ``options.workers`` searches (``deadline``: ``time.time()``)."""
    workers = max(1, int(options.workers or 1))
    if workers == 1:
        return model.run(problem, visit_idx, allowed, options, deadline=deadline)
    children = [_Child(problem, visit_idx, allowed, options, m, deadline) for m in range(1, workers)]
    best = model.run(problem, visit_idx, allowed, options, deadline=deadline)
    for child in children:
        other = child.result(timeout=max(0.0, deadline - _time.time()) + 2.0)
        if (
            other is not None
            and other.found
            and (not best.found or (other.objective, len(other.dropped)) < (best.objective, len(best.dropped)))
        ):
            best = other
    return best


class _Child:
    """One portfolio member in a child process; ``result()`` is None when it failed."""

    def __init__(
        self,
        problem: Problem,
        visit_idx: list[int],
        allowed: dict[int, list[int]],
        options: SolveOptions,
        member: int,
        deadline: float,
    ) -> None:
        self._out: model.RawResult | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            payload = pickle.dumps(
                (problem, visit_idx, allowed, dataclasses.replace(options, workers=1, progress=None), member, deadline),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env = dict(os.environ)
            env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None if options.log_search or options.search.log else subprocess.DEVNULL,
                env=env,
            )
        except Exception:  # noqa: BLE001 - a failed member is simply ignored
            self._proc = None
            return
        self._thread = threading.Thread(target=self._talk, args=(self._proc, payload), daemon=True)
        self._thread.start()

    def _talk(self, proc: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            out, _ = proc.communicate(payload)
            if proc.returncode == 0 and out:
                result = pickle.loads(out)
                if isinstance(result, model.RawResult):
                    self._out = result
        except Exception:  # noqa: BLE001
            self._out = None

    def result(self, timeout: float) -> model.RawResult | None:
        if self._proc is None:
            return None
        self._thread.join(timeout)
        if self._thread.is_alive():  # overran its deadline: give up on it
            try:
                self._proc.kill()
            except OSError:
                pass
            self._thread.join(1.0)
            return None
        return self._out


def _child_main() -> None:
    problem, visit_idx, allowed, options, member, deadline = pickle.loads(sys.stdin.buffer.read())
    result = model.run(problem, visit_idx, allowed, options, member=member, deadline=deadline)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
