"""Portfolio: run ``options.workers`` differently configured OR-Tools searches at once, keep the best.

OR-Tools' routing search is single-threaded, so on a multi-core machine a second search with a
different first-solution strategy / metaheuristic (``model_params.search_parameters``) is almost free and often
finds a better plan. Member 0 (the default search) runs in this process; members 1.. run in child
processes started with ``subprocess`` (``python -c ...``: no ``fork`` of a possibly threaded parent,
no re-import of the caller's ``__main__`` as with multiprocessing's "spawn", and it works inside
daemonic worker processes). The problem goes to the child pickled on stdin, the ``RawResult`` comes
back pickled on stdout (the options carry the search tuning, ``SearchParams``). Every member gets
the same wall-clock deadline, so start-up and model building count against the time limit.

The best result is the one with the lowest objective (arc + fixed costs + penalties of dropped
visits), then the fewest dropped visits; ties go to member 0. If a child fails for any reason its
result is ignored: the portfolio is never worse than the single search, and never raises; the failure is
logged (logger ``solver.portfolio``, with the exit status and the child's last error line) and returned in
``RawResult.worker_failures``, so the plan can say it ran on fewer searches than asked.
With ``workers == 1`` this is exactly ``model.run`` (deterministic with ``solution_limit``).
"""

from __future__ import annotations

import dataclasses
import logging
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
log = logging.getLogger("solver.portfolio")


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
    failures = []
    for child in children:
        other = child.result(timeout=max(0.0, deadline - _time.time()) + 2.0)
        if other is None:
            failures.append(child.failure or f"search {child.member} gave no result")
            log.warning("portfolio: %s; the plan comes from the other searches", failures[-1])
        elif other.found and (
            not best.found or (other.objective, len(other.dropped)) < (best.objective, len(best.dropped))
        ):
            best = other
    return dataclasses.replace(best, workers=workers - len(failures), worker_failures=tuple(failures))


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
        self.member = member
        self.failure: str | None = None  # why it gave no result, in plain words
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
                stderr=None if options.log_search or options.search.log else subprocess.PIPE,
                env=env,
            )
        except Exception as exc:  # noqa: BLE001 - a failed member is ignored (and said so by run())
            self._proc = None
            self.failure = f"search {member} could not start: {type(exc).__name__}: {exc}"
            return
        self._thread = threading.Thread(target=self._talk, args=(self._proc, payload), daemon=True)
        self._thread.start()

    def _talk(self, proc: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            out, err = proc.communicate(payload)
            if proc.returncode == 0 and out:
                result = pickle.loads(out)
                if isinstance(result, model.RawResult):
                    self._out = result
                    return
            last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no error output"]
            self.failure = f"search {self.member} exited with status {proc.returncode} ({last[0][:300]})"
        except Exception as exc:  # noqa: BLE001 - reported by run() as a failed member
            self._out = None
            self.failure = f"search {self.member} failed: {type(exc).__name__}: {exc}"

    def result(self, timeout: float) -> model.RawResult | None:
        if self._proc is None:
            return None
        self._thread.join(timeout)
        if self._thread.is_alive():  # overran its deadline: give up on it
            self.failure = f"search {self.member} overran its deadline and was stopped"
            try:
                self._proc.kill()
            except OSError as exc:  # already gone
                log.debug("portfolio: search %d could not be killed: %s", self.member, exc)
            self._thread.join(1.0)
            return None
        return self._out


def _child_main() -> None:
    problem, visit_idx, allowed, options, member, deadline = pickle.loads(sys.stdin.buffer.read())
    result = model.run(problem, visit_idx, allowed, options, member=member, deadline=deadline)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
