"""Decomposition, part 2: sub-problems and solving them, in this process or in child processes.

``sub_problem(vehicles, visits, vehicle_idx, visit_idx, matrix, template)``: the ``Problem`` of some
vehicles and visits with their locations renumbered (and the list ``locs`` of their global locations),
its matrices from ``matrix(locs)``; locked sequences (from ``template``) and vehicle locks are kept
within it. ``run_all(jobs, workers, done)``: solve every ``(problem, options)`` with ``solver.solve``,
on ``workers`` persistent child processes when > 1 (``python -c``, as in ``portfolio.py``: length-prefixed
pickles on stdin / stdout; a failed child is logged on ``solver.decompose`` and its jobs solved in this
process), results in input order; ``done()`` after each.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from .problem import Problem, Vehicle, Visit
from .result import Solution, SolveOptions

Matrix = Callable[[Sequence[int]], tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]]]

log = logging.getLogger("solver.decompose")


def sub_problem(
    vehicles: Sequence[Vehicle],
    visits: Sequence[Visit],
    vehicle_idx: list[int],
    visit_idx: list[int],
    matrix: Matrix,
    template: Problem | None,
) -> tuple[Problem, list[int]]:
    sub_vehicles = [vehicles[k] for k in vehicle_idx]
    sub_visits = [visits[i] for i in visit_idx]
    locs = sorted(
        {v.start for v in sub_vehicles}
        | {v.end for v in sub_vehicles}
        | {v.reload_location for v in sub_vehicles if v.reload_location is not None}
        | {v.location for v in sub_visits}
    )
    local = {g: j for j, g in enumerate(locs)}
    dur, dist = matrix(locs)
    ids = {v.id for v in sub_vehicles}
    kept = {v.id for v in sub_visits}
    new_vehicles = tuple(
        dataclasses.replace(
            v,
            start=local[v.start],
            end=local[v.end],
            reload_location=None if v.reload_location is None else local[v.reload_location],
        )
        for v in sub_vehicles
    )
    new_visits = tuple(
        dataclasses.replace(v, location=local[v.location], vehicle=v.vehicle if v.vehicle in ids else None)
        for v in sub_visits
    )
    sequences: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if template is not None:
        sequences = tuple(
            (vid, tuple(x for x in seq if x in kept)) for vid, seq in template.locked_sequences if vid in ids
        )
    durations = tuple(tuple(int(x) for x in row) for row in dur)
    distances = tuple(tuple(int(x) for x in row) for row in dist)
    if template is None:
        problem = Problem(durations, distances, new_vehicles, new_visits, locked_sequences=sequences)
    else:
        problem = dataclasses.replace(
            template,
            durations=durations,
            distances=distances,
            vehicles=new_vehicles,
            visits=new_visits,
            locked_sequences=sequences,
        )
    return problem, locs


def solve_one(args: tuple[Problem, SolveOptions]) -> Solution:
    from . import solve

    problem, options = args
    return solve(problem, options)


_CHILD = "import solver.decompose_workers as d; d._child_main()"


class _Child:
    """A persistent child process (``python -c``, as in ``portfolio.py``: no fork of a threaded parent,
    no re-import of the caller's ``__main__``, works inside daemonic Celery workers) solving one
    sub-problem after another: length-prefixed pickles on its stdin and stdout."""

    def __init__(self, log: bool = False) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if log else subprocess.DEVNULL,
            env=env,
        )

    def solve(self, job: tuple[Problem, SolveOptions]) -> Solution:
        proc = self.proc
        if proc is not None and proc.stdin is not None and proc.stdout is not None:
            try:
                _send(proc.stdin, job)
                result = _receive(proc.stdout)
                if isinstance(result, Solution):
                    return result
            except Exception as exc:  # noqa: BLE001 - the child is gone: solve here from now on
                log.warning(
                    "decomposition: worker process failed (%s: %s); solving in this process", type(exc).__name__, exc
                )
                self.close()
        return solve_one(job)

    def close(self) -> None:
        if self.proc is not None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception as exc:  # noqa: BLE001
                log.warning("decomposition: worker process did not stop (%s); killed", exc)
                self.proc.kill()
            self.proc = None


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("child closed its output")
    size = int.from_bytes(head, "big")
    return pickle.loads(stream.read(size))


def _child_main() -> None:
    while True:
        try:
            job = _receive(sys.stdin.buffer)
        except EOFError:  # handled: the parent closed the pipe: the child ends
            return
        _send(sys.stdout.buffer, solve_one(job))


def run_all(
    jobs: list[tuple[Problem, SolveOptions]], workers: int, done: Callable[[], object] | None = None
) -> list[Solution]:
    """Solve every sub-problem on ``workers`` persistent child processes (> 1); results in input order.
    ``done()`` is called after each sub-problem (from the worker threads with children)."""
    if workers <= 1 or len(jobs) <= 1:
        solved: list[Solution] = []
        for job in jobs:
            solved.append(solve_one(job))
            if done is not None:
                done()
        return solved
    import queue
    import threading

    todo: queue.Queue[tuple[int, tuple[Problem, SolveOptions]]] = queue.Queue()
    for j, job in enumerate(jobs):
        todo.put((j, job))
    out: list[Solution | None] = [None] * len(jobs)

    def work() -> None:
        child = None
        try:
            options = jobs[0][1]  # (the search tuning travels with each job's options)
            child = _Child(log=options.log_search or options.search.log)
        except Exception as exc:  # noqa: BLE001 - no child: solve in this thread
            log.warning("decomposition: cannot start a worker process (%s); solving in this thread", exc)
            child = None
        try:
            while True:
                try:
                    j, job = todo.get_nowait()
                except queue.Empty:  # handled: no work left
                    return
                out[j] = child.solve(job) if child is not None else solve_one(job)
                if done is not None:
                    done()
        finally:
            if child is not None:
                child.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(jobs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o if o is not None else solve_one(job) for o, job in zip(out, jobs)]
