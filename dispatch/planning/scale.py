"""Planning a day region by region, on one machine or spread over Celery workers.

A day is cut into independent parts, one per region (``dispatch/planning/regions.py``: a region's depots, their
vans and crews, and the visits nearest to its depots). Each part is solved on its own (in-process one
after the other, or one Celery task per region so that several workers share the day), then the parts'
solutions are merged into ONE plan for the day, stored in one transaction. With a single region (the
demo) this is exactly ``planning.plan_day``.

Parts travel between processes as :class:`Part` (no ORM objects: vans, crews and the depot by id),
pickled. A part with more than ``LARGE_PART`` visits is solved by decomposition
(``solver.decompose.solve_large``, clusters on the sites' coordinates).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dispatch.planning import regions as regions_mod
from dispatch.models import Crew, Depot, Plan, Van
from dispatch.planning import problem as builder
from dispatch.planning.day import build_day, solve_options
from dispatch.planning.day_problem import DayProblem, VehicleInfo
from dispatch.planning.plans import clear_drafts, ensure_not_published, note_replaced, store_plan
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

# Above this many visits a part is solved by decomposition (clusters solved separately, then repaired).
LARGE_PART = 1000


@dataclass
class Part:
    """One region's routing problem and what is needed to store its plan (picklable: the day problem
    without its ORM objects; vans, crews and the depot by id)."""

    region: str
    depot_id: int
    vehicles: dict[str, tuple[int, int]]  # solver vehicle id -> (van id, crew id)
    day_problem: DayProblem  # depot None, vehicles {}, sites []
    coordinates: tuple[tuple[float, float], ...] = field(default=())  # (lat, lon) per matrix location

    @property
    def problem(self) -> builder.Problem | None:
        return self.day_problem.problem

    @property
    def candidates(self) -> dict:
        return self.day_problem.candidates

    @property
    def decisions(self) -> dict:
        return self.day_problem.decisions

    def without_problem(self) -> Part:
        return dataclasses.replace(self, day_problem=dataclasses.replace(self.day_problem, problem=None),
                                   coordinates=())


def _part(region: str, dp: DayProblem) -> Part:
    return Part(
        region=region, depot_id=dp.depot.id,
        vehicles={vid: (info.van.id, info.crew.id) for vid, info in dp.vehicles.items()},
        day_problem=dataclasses.replace(dp, depot=None, vehicles={}, sites=[]),
        coordinates=tuple((s.lat, s.lon) for s in dp.sites),
    )


def prepare(
    day: dt.date, settings: Settings, network: RoadNetwork, *, session: Session,
    regions: Collection[str] | None = None,
) -> list[Part]:
    """The day's parts: one per region (all regions, or ``regions``); one part if there is one region."""
    return list(iter_parts(day, settings, network, session=session, regions=regions))


def iter_parts(
    day: dt.date, settings: Settings, network: RoadNetwork, *, session: Session,
    regions: Collection[str] | None = None,
) -> Iterator[Part]:
    """The parts :func:`prepare` lists, each built only when asked for: a caller that solves a part and then
    keeps it :meth:`Part.without_problem` holds one region's road matrices at a time, not the whole day's.
    The day and the regions asked for are checked before the first part is built."""
    ensure_not_published(day, session=session)
    wanted = regions_mod.check_regions(regions, session=session)
    known = regions_mod.list_regions(session=session)
    edits = draft_edits(day, session=session)
    if wanted is None and len(known) <= 1:
        dp = build_day(day, settings, network, session=session)
        yield _part(known[0] if known else regions_mod.DEFAULT_REGION, keep_edits(dp, edits))
        return
    for r in wanted or known:
        yield _part(r, keep_edits(build_day(day, settings, network, session=session, regions={r}), edits))


def region_names(day: dt.date, *, session: Session, regions: Collection[str] | None = None) -> list[str]:
    """The regions a job on ``day`` plans: ``regions`` (checked) or every region (raises like ``prepare``)."""
    ensure_not_published(day, session=session)
    wanted = regions_mod.check_regions(regions, session=session)
    return list(wanted or regions_mod.list_regions(session=session))


def prepare_region(day: dt.date, settings: Settings, network: RoadNetwork, region: str, *, session: Session) -> Part:
    """One region's part, exactly as ``prepare`` builds it for a day of several regions (a Celery
    worker builds its own region: the road matrices of the regions are computed in parallel too)."""
    dp = build_day(day, settings, network, session=session, regions={region})
    return _part(region, keep_edits(dp, draft_edits(day, session=session)))


@dataclass(frozen=True)
class DraftEdits:
    """What a coordinator did by hand on the day's current draft, kept when the day is planned again:
    per crew vehicle, its locked and hand-placed (moved, inserted) visits in their order; the visits
    dropped by hand, with who dropped them."""

    plan_id: int
    sequences: tuple[tuple[str, tuple[str, ...]], ...]
    dropped: tuple[tuple[str, str], ...]  # (visit key, detail)


def draft_edits(day: dt.date, *, session: Session) -> DraftEdits | None:
    """The edits of the day's newest draft (None: no draft, or a draft nobody edited)."""
    from sqlalchemy import select

    from dispatch.planning.edit_context import VISIT_KINDS, stop_key
    from dispatch.models import PlanChange, PlanStatus

    draft = session.scalars(select(Plan).where(Plan.date == day, Plan.status == PlanStatus.DRAFT)
                            .order_by(Plan.id.desc())).first()
    if draft is None:
        return None
    changes = session.scalars(select(PlanChange).where(PlanChange.plan_id == draft.id)).all()
    placed = {(c.detail or {}).get("visit") for c in changes if c.op in ("move", "insert")}
    sequences = []
    for rnd in draft.rounds:
        keys = tuple(stop_key(s) for s in rnd.stops
                     if s.kind in VISIT_KINDS and (s.locked or stop_key(s) in placed))
        if keys and rnd.crew_id is not None:
            sequences.append((f"crew:{rnd.crew_id}", keys))
    dropped = tuple((stop_key(u), u.detail) for u in draft.unassigned if u.reason == "dropped")
    if not sequences and not dropped:
        return None
    return DraftEdits(draft.id, tuple(sequences), dropped)


def keep_edits(dp: DayProblem, edits: DraftEdits | None) -> DayProblem:
    """``dp`` with the draft's edits: locked and hand-placed visits stay in their van, in their order, and
    are served (``builder.pin_sequences``); visits dropped by hand stay out (unassigned, reason
    ``dropped``). Visits or vans the new day no longer has are left to the solver."""
    from dispatch.planning.day_problem import Excluded

    if edits is None:
        return dp
    problem = dp.problem
    ids = {v.id for v in problem.visits}
    dropped = {k: detail for k, detail in edits.dropped if k in ids}
    kept = dataclasses.replace(problem, visits=tuple(v for v in problem.visits if v.id not in dropped))
    pinned = builder.pin_sequences(kept, [(vid, keys) for vid, keys in edits.sequences if vid in dp.vehicles])
    excluded = list(dp.excluded) + [
        Excluded(k, dp.candidates[k].kind, dp.candidates[k].record_id, dp.candidates[k].mandatory, "dropped",
                 f"{detail} (kept out from the previous draft)") for k, detail in dropped.items()]
    return dataclasses.replace(dp, problem=pinned, excluded=excluded,
                               candidates=builder.pinned_candidates(dp.candidates, pinned))


def options_for(settings: Settings, time_limit_s: float, seed: int | None) -> builder.SolveOptions:
    """The options ``dispatch plan`` uses (``day.solve_options``: seed, solution limit and the configured
    number of parallel searches), so a planning job searches as hard as the command line."""
    return solve_options(settings, time_limit_s, seed)


def solve_part(part: Part, options: builder.SolveOptions) -> builder.Solution:
    """Solve one part (decomposition above ``LARGE_PART`` visits)."""
    assert part.problem is not None
    if len(part.problem.visits) > LARGE_PART:
        return builder.solve_large(part.problem, options, coordinates=part.coordinates or None)
    return builder.solve(part.problem, options)


_OWN = {"day", "depot", "problem", "vehicles", "sites", "matrix_seconds", "travel_factor"}


def merge(parts: list[Part], solutions: list[builder.Solution], *, session: Session) -> tuple[DayProblem, builder.Solution]:
    """One day problem and one solution out of the regions' ones (vans, crews, depot re-read by id).

    Every other field of ``DayProblem`` is merged generically: lists are concatenated without
    duplicates, dicts updated (each region has its own visits)."""
    first = parts[0].day_problem
    merged = {}
    for f in dataclasses.fields(DayProblem):
        if f.name in _OWN:
            continue
        values = [getattr(p.day_problem, f.name) for p in parts]
        if isinstance(values[0], dict):
            out: dict = {}
            for v in values:
                out.update(v)
            merged[f.name] = out
        elif isinstance(values[0], list):
            seen, out_list = set(), []
            for v in values:
                for item in v:
                    key = repr(item)
                    if key not in seen:
                        seen.add(key)
                        out_list.append(item)
            merged[f.name] = out_list
        else:
            merged[f.name] = values[0]
    vehicles = {
        vid: VehicleInfo(van=session.get(Van, van_id), crew=session.get(Crew, crew_id))
        for p in parts for vid, (van_id, crew_id) in p.vehicles.items()
    }
    dp = dataclasses.replace(
        first, depot=session.get(Depot, parts[0].depot_id), vehicles=vehicles,
        matrix_seconds=sum(p.day_problem.matrix_seconds for p in parts), **merged,
    )
    if len(solutions) == 1:
        return dp, solutions[0]
    return dp, merge_solutions(solutions)


def merge_solutions(solutions: list[builder.Solution]) -> builder.Solution:
    sums = [s.summary for s in solutions]
    dims = max((len(s.load) for s in sums), default=0)
    summary = dataclasses.replace(
        sums[0],
        cost=sum(s.cost for s in sums), routes=sum(s.routes for s in sums),
        unassigned=sum(s.unassigned for s in sums), distance=sum(s.distance for s in sums),
        duration=sum(s.duration for s in sums), service=sum(s.service for s in sums),
        waiting_time=sum(s.waiting_time for s in sums),
        load=tuple(sum(s.load[d] for s in sums if d < len(s.load)) for d in range(dims)),
        solve_seconds=round(sum(s.solve_seconds for s in sums), 3),
    )
    if hasattr(summary, "balance_cost"):
        summary = dataclasses.replace(summary, balance_cost=sum(getattr(s, "balance_cost", 0) for s in sums))
    infeasible = [s for s in solutions if s.status is builder.Status.INFEASIBLE]
    return builder.Solution(
        status=builder.Status.INFEASIBLE if infeasible else builder.Status.SOLVED,
        summary=summary,
        routes=tuple(r for s in solutions for r in s.routes),
        unassigned=tuple(u for s in solutions for u in s.unassigned),
        explanation="; ".join(s.explanation for s in infeasible if s.explanation),
    )


def store(parts: list[Part], solutions: list[builder.Solution], time_limit_s: float, *, session: Session,
          actor: str = "unknown") -> Plan:
    """Replace the day's draft by the merged plan (flushes, never commits)."""
    dp, solution = merge(parts, solutions, session=session)
    replaced = clear_drafts(dp.day, session=session)
    plan = store_plan(dp, solution, time_limit_s, session=session)
    note_replaced(replaced, plan, session=session, actor=actor)
    return plan


def plan_regions(
    day: dt.date, settings: Settings, network: RoadNetwork, *, session: Session,
    regions: Collection[str] | None = None, time_limit_s: float | None = None, seed: int | None = None,
    progress: Callable[[Part], Callable[[dict], object] | None] | None = None,
) -> Plan:
    """Plan ``day`` region after region in this process and store it as the day's draft.

    Each region gets the whole time limit (they are independent problems); with Celery workers the
    regions run at once (``dispatch/jobs/celery_app.py``), with the same result for a ``solution_limit``."""
    limit = time_limit_s if time_limit_s is not None else settings.solve_time_limit_s
    base = options_for(settings, limit, seed)
    parts, solutions = [], []
    for part in iter_parts(day, settings, network, session=session, regions=regions):  # one region's matrices at a time
        solutions.append(solve_part(part, dataclasses.replace(base, progress=progress(part) if progress else None)))
        parts.append(part.without_problem())
    return store(parts, solutions, limit, session=session)
