"""Benchmark instances -> Problem (only used by ``python -m solver``; imports vrplib lazily).

* Solomon VRPTW (text format): Euclidean distance truncated to one decimal, scaled by 10 to
  integers; travel time = distance; service times and windows scaled by 10 too; at most the
  instance's vehicle count; objective = total distance (cost_per_km=1000 so cost = distance).
* VRPLIB CVRP (``.vrp``, e.g. Uchoa X): Euclidean distance rounded to the nearest integer,
  no time limits, "unbounded" fleet modelled as ``ceil(1.3 * ceil(total demand / capacity)) + 2``
  vehicles (at most one per customer): far more routes than any good solution uses (the X
  best-known solutions use the bin-packing bound or one more), while a model with one vehicle
  per customer is much slower to build and search (1000 vehicles for X-n1001).

Customers keep their instance numbering: visit id ``str(k)`` is customer ``k`` (depot 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .problem import Problem, TimeWindow, Vehicle, Visit


@dataclass(frozen=True)
class Instance:
    name: str
    problem: Problem
    scale: int  # divide costs by this to get instance units
    coordinates: tuple[tuple[float, float], ...] = ()  # (x, y) per location, as in the file


def _as_int_list(values: Any) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def solomon_problem(data: dict[str, Any], name: str = "") -> Instance:
    coords = [tuple(int(c) for c in xy) for xy in _as_int_list(data["node_coord"])]
    n = len(coords)
    dist = tuple(
        tuple(math.isqrt(100 * ((xa - xb) ** 2 + (ya - yb) ** 2)) for (xb, yb) in coords) for (xa, ya) in coords
    )
    demand = [int(d) for d in _as_int_list(data["demand"])]
    windows = [(int(a) * 10, int(b) * 10) for a, b in _as_int_list(data["time_window"])]
    service = [int(s) * 10 for s in _as_int_list(data["service_time"])]
    depot_window = TimeWindow(windows[0][0], windows[0][1])
    vehicles = tuple(
        Vehicle(id=f"v{k}", start=0, end=0, capacity=(int(data["capacity"]),), shift=depot_window)
        for k in range(int(data["vehicles"]))
    )
    visits = tuple(
        Visit(
            id=str(i),
            location=i,
            demand=(demand[i],),
            service=service[i],
            windows=(TimeWindow(*windows[i]),),
        )
        for i in range(1, n)
    )
    return Instance(
        name,
        Problem(durations=dist, distances=dist, vehicles=vehicles, visits=visits),
        10,
        tuple((float(x), float(y)) for x, y in coords),
    )


def cvrp_problem(data: dict[str, Any], name: str = "") -> Instance:
    coords = [(float(x), float(y)) for x, y in _as_int_list(data["node_coord"])]
    n = len(coords)
    depot = int(_as_int_list(data.get("depot", [0]))[0])
    dist = tuple(
        tuple(int(math.floor(math.hypot(xa - xb, ya - yb) + 0.5)) for (xb, yb) in coords) for (xa, ya) in coords
    )
    demand = [int(d) for d in _as_int_list(data["demand"])]
    customers = [i for i in range(n) if i != depot]
    horizon = 10**8
    capacity = int(data["capacity"])
    bound = -(-sum(demand[i] for i in customers) // capacity)  # ceil(total demand / capacity)
    n_vehicles = min(len(customers), math.ceil(1.3 * bound) + 2)
    vehicles = tuple(
        Vehicle(id=f"v{k}", start=depot, end=depot, capacity=(capacity,), shift=TimeWindow(0, horizon))
        for k in range(n_vehicles)
    )
    visits = tuple(Visit(id=str(i), location=i, demand=(demand[i],)) for i in customers)
    return Instance(name, Problem(durations=dist, distances=dist, vehicles=vehicles, visits=visits), 1, tuple(coords))


def read(path: str) -> Instance:
    import os

    import vrplib

    name = os.path.splitext(os.path.basename(path))[0]
    if path.endswith(".vrp"):
        return cvrp_problem(vrplib.read_instance(path), name)
    return solomon_problem(vrplib.read_instance(path, instance_format="solomon"), name)
