"""The day's problem as :func:`dispatch.planning.day.build_day` builds it: what the solver is given and
what :func:`dispatch.planning.plans.store_plan` stores with its solution (the visits left out before
solving and why, the horizon rule's decisions, the vans not used today). Plain data, no service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dispatch.models import Crew, Depot, StopKind, Van
from dispatch.planning import problem as builder
from dispatch.planning.horizon import HorizonDecision
from dispatch.planning.problem import Candidate


@dataclass(frozen=True)
class Excluded:
    """A visit left out before solving (closed that day, off the road network...)."""

    candidate_key: str
    kind: StopKind
    record_id: int
    mandatory: bool
    reason: str
    detail: str


@dataclass(frozen=True)
class VehicleInfo:
    van: Van
    crew: Crew


@dataclass
class DayProblem:
    day: dt.date
    depot: Depot
    problem: builder.Problem
    candidates: dict[str, Candidate]
    vehicles: dict[str, VehicleInfo]
    excluded: list[Excluded] = field(default_factory=list)
    matrix_seconds: float = 0.0
    travel_factor: float = 1.0
    sites: list = field(default_factory=list)
    decisions: dict[str, HorizonDecision] = field(default_factory=dict)
    # availability: vans not used today and why; French text and code of the availability decisions.
    vans_out: list[dict] = field(default_factory=list)
    decision_notes: dict[str, dict] = field(default_factory=dict)
    balanced: bool = False  # the crews' working time is balanced (settings.balance_work_time)
