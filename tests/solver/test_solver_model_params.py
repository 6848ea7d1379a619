"""``solver/model_params.py``: the OR-Tools parameters of the first search and of the repair descents.

OR-Tools fixes a model's local search operators when the model is closed (by its first search); the parameters
given to a later ``SolveFromAssignmentWithParameters`` do not change them. So ``SearchParams.repair_operators``
and ``repair_neighbors`` must reach the parameters the model is closed with, or they change nothing (they did
not, before: a 2 s repair descent on a 300-visit day ended at the same cost with every operator on or off)."""

from __future__ import annotations

import dataclasses

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)
from test_solver_search_params import _simple_problem

from solver import SearchParams, SolveOptions
from solver.model_params import repair_parameters, search_parameters
from solver.search_params import HEAVY_OPERATORS

_ON, _OFF = optional_boolean_pb2.BOOL_TRUE, optional_boolean_pb2.BOOL_FALSE


def _params(operators_on: bool):
    p = pywrapcp.DefaultRoutingSearchParameters()
    p.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    p.time_limit.seconds = 1
    for f in p.local_search_operators.DESCRIPTOR.fields:
        setattr(p.local_search_operators, f.name, _ON if operators_on else _OFF)
    return p


def _descent(closed_with_operators: bool, descent_with_operators: bool) -> tuple[int, int]:
    """(cost of a scrambled tour of 7 points on a line, cost after a greedy descent from it)."""
    manager = pywrapcp.RoutingIndexManager(8, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitCallback(lambda i, j: 10 * abs(manager.IndexToNode(i) - manager.IndexToNode(j)))
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    routing.CloseModelWithParameters(_params(closed_with_operators))
    start = routing.ReadAssignmentFromRoutes([[manager.NodeToIndex(x) for x in (5, 1, 7, 3, 2, 6, 4)]], True)
    found = routing.SolveFromAssignmentWithParameters(start, _params(descent_with_operators))
    return start.ObjectiveValue(), found.ObjectiveValue()


def test_ortools_keeps_the_operators_the_model_was_closed_with():
    assert _descent(True, False) == (300, 140)  # operators switched off for the descent: still used
    assert _descent(False, True) == (300, 300)  # switched on for the descent only: none used


def test_light_operators_reach_the_parameters_the_model_is_closed_with():
    problem = _simple_problem(12)
    light = SolveOptions(time_limit_s=1, search=SearchParams(repair_operators="light", repair_neighbors=5))
    for params in (search_parameters(problem, light, False), repair_parameters(problem, light, 0)):
        ops = params.local_search_operators
        assert all(getattr(ops, name) == _OFF for name in HEAVY_OPERATORS)
        assert params.ls_operator_min_neighbors == 5
    default = search_parameters(problem, dataclasses.replace(light, search=SearchParams()), False)
    assert all(getattr(default.local_search_operators, name) != _OFF for name in HEAVY_OPERATORS)
    assert default.ls_operator_min_neighbors != 5
