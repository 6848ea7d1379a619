"""OR-Tools search parameters: the plain search's and the ruin-and-recreate repair descents'.

``search_parameters(problem, options, reloads, member, time_limit_s)``: the first solution strategy
(``options.first_solution``, or chosen from the problem: parallel cheapest insertion with windows,
breaks or locked sequences, else path cheapest arc), guided local search, the time limit and the
``solution_limit``; ``member`` > 0 selects a portfolio member's alternative first solution strategy
(``portfolio.py``). An unknown strategy name raises ``ProblemError``.
``repair_parameters(problem, options, member)``: cheapest insertion then a greedy descent, for
``SolveFromAssignmentWithParameters``. OR-Tools fixes a model's local search operators when the model is
closed, which its first search does with ``search_parameters``: so ``SearchParams.repair_operators`` /
``repair_neighbors`` narrow the operators there (``_narrow``), for the first search and every repair descent
alike; set on the repair parameters alone they would change nothing.
"""

from __future__ import annotations

from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .problem import Problem, ProblemError
from .result import SolveOptions

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

# Value of a local search operator switched off (OptionalBoolean.BOOL_FALSE).
_BOOL_FALSE = 2


def _first_solution(problem: Problem, options: SolveOptions) -> int:
    name = (options.first_solution or "auto").upper()
    if name != "AUTO":
        value = getattr(_FSS, name, None)
        if not isinstance(value, int):
            raise ProblemError(f"options.first_solution: unknown strategy {options.first_solution!r}")
        return value
    timed = any(v.windows for v in problem.visits) or any(v.breaks for v in problem.vehicles)
    if timed or problem.locked_sequences:
        return int(_FSS.PARALLEL_CHEAPEST_INSERTION)
    return int(_FSS.PATH_CHEAPEST_ARC)


def search_parameters(
    problem: Problem, options: SolveOptions, reloads: bool, member: int = 0, time_limit_s: float | None = None
) -> Any:
    """Search parameters of portfolio member ``member`` (0 = the default, single-worker search)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = _first_solution(problem, options)
    params.local_search_metaheuristic = _LSM.GUIDED_LOCAL_SEARCH
    if member:
        _alternative(problem, options, params, member)
    limit_s = options.time_limit_s if time_limit_s is None else time_limit_s
    limit_ms = max(1, int(limit_s * 1000))
    params.time_limit.seconds = limit_ms // 1000
    params.time_limit.nanos = (limit_ms % 1000) * 1_000_000
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    params.log_search = options.log_search
    _narrow(params, options, len(problem.visits))
    return params


def _narrow(params: Any, options: SolveOptions, n_vis: int) -> None:
    """The model's local search operators as ``SearchParams`` narrows them: "light" leaves the heavy ones out
    (proving a local optimum with OR-Tools' insertion-based LNS operators takes seconds per iteration on 200
    visits), ``repair_neighbors`` > 0 moves only towards that many nearest nodes."""
    search = options.search
    if search.repair_operators == "light":
        ops = params.local_search_operators
        for name in search.heavy_operators:
            setattr(ops, name, _BOOL_FALSE)
    n_neighbors = search.repair_neighbors
    if n_neighbors and n_vis > n_neighbors:
        params.ls_operator_neighbors_ratio = n_neighbors / n_vis
        params.ls_operator_min_neighbors = n_neighbors


def _alternative(problem: Problem, options: SolveOptions, params: Any, member: int) -> None:
    """Portfolio members 1, 2, ...: differently configured searches (see ``portfolio.py``)."""
    timed = any(v.windows for v in problem.visits) or any(v.breaks for v in problem.vehicles)
    auto = (options.first_solution or "auto").upper() == "AUTO"
    if auto and not timed and not problem.locked_sequences:
        params.first_solution_strategy = _FSS.SAVINGS
    elif auto:
        params.first_solution_strategy = _FSS.LOCAL_CHEAPEST_INSERTION


def repair_parameters(problem: Problem, options: SolveOptions, member: int) -> Any:
    """Search parameters of the repair descents: cheapest insertion, then a greedy descent (the operators
    narrowed as in :func:`search_parameters`, which the model was closed with)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.CopyFrom(search_parameters(problem, options, False, member, 1.0))
    params.first_solution_strategy = _FSS.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = _LSM.GREEDY_DESCENT
    params.solution_limit = 2**62
    return params


def set_time_limit(params: Any, seconds: float) -> None:
    """Set the time limit of ``params`` (a repair descent) to ``seconds``."""
    params.time_limit.seconds = int(seconds)
    params.time_limit.nanos = int((seconds - int(seconds)) * 1e9)
