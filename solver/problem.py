"""The solver's input contract: frozen, validated dataclasses.

Everything is an integer: times in seconds from the planning day's midnight,
distances in metres, amounts in the units the caller chose (the dispatch layer
uses litres for volume). Locations are indices into the square matrices.

This module imports only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A duration (seconds) or distance (metres) at or above this value in the
# matrices means "no path": the solver never uses such an arc.
UNREACHABLE = 10**9


def is_unreachable(value: int) -> bool:
    return value >= UNREACHABLE


class ProblemError(ValueError):
    """The problem is malformed; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: int
    end: int

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True, slots=True)
class Break:
    """A break the crew must take, starting within ``window``, lasting ``duration``.

    A break is taken in place (the van waits where it is, between two steps).
    """

    id: str
    window: TimeWindow
    duration: int


@dataclass(frozen=True, slots=True)
class Vehicle:
    id: str
    start: int
    end: int
    capacity: tuple[int, ...]
    shift: TimeWindow
    breaks: tuple[Break, ...] = ()
    skills: frozenset[str] = frozenset()
    fixed_cost: int = 0
    # Arc cost = distance_m * cost_per_km // 1000 + duration_s * cost_per_hour // 3600.
    cost_per_km: int = 1000
    cost_per_hour: int = 0
    max_work_time: int | None = None
    # Unloading trips: when full, the van drives to ``reload_location`` (usually its depot), is
    # emptied in ``reload_service`` seconds and goes out again, at most ``max_reloads`` times a
    # day. None = no reloading (a single trip).
    reload_location: int | None = None
    reload_service: int = 0
    max_reloads: int = 3
    # Mid-day re-plan: the load already on board when the route starts (at ``start``, at
    # ``shift.start``), one amount per capacity dimension (each <= capacity); () = empty van.
    # It counts against the capacity until the van unloads (a reload empties it).
    start_load: tuple[int, ...] = ()

    def initial_load(self) -> tuple[int, ...]:
        """``start_load``, or zeros when it is empty."""
        return self.start_load or tuple(0 for _ in self.capacity)


@dataclass(frozen=True, slots=True)
class Visit:
    """A place to collect from. ``penalty`` None means mandatory."""

    id: str
    location: int
    demand: tuple[int, ...]
    service: int = 0
    windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[str] = frozenset()
    penalty: int | None = None
    # Lock: the visit must be served by this vehicle (None: any vehicle).
    vehicle: str | None = None


BALANCE_KINDS = ("span", "soft_max")


@dataclass(frozen=True, slots=True)
class Balance:
    """Fair work: an extra objective term that spreads working time across the crews.

    * ``kind="span"``: ``coefficient`` x (latest return - earliest departure over the used
      routes), in seconds: the day's global span (OR-Tools' global span cost). With crews that
      start together, shortening the longest round is what lowers it, so the work is spread out.
    * ``kind="soft_max"``: for every used route, ``coefficient`` x the seconds its working time
      (``Route.duration``) exceeds ``soft_max_work_time`` (a soft version of ``max_work_time``).

    ``coefficient`` is in cost units per second (the arc costs' units: with the default
    ``cost_per_km=1000`` one unit is one metre). ``check.balance_cost`` recomputes the term; it is
    part of ``Summary.cost`` (and ``Summary.balance_cost``).
    """

    kind: str = "span"
    coefficient: int = 1
    soft_max_work_time: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    durations: tuple[tuple[int, ...], ...]
    distances: tuple[tuple[int, ...], ...]
    vehicles: tuple[Vehicle, ...]
    visits: tuple[Visit, ...]
    # Initial/locked order per vehicle id: visit ids in order (used as a hint
    # and, for visits listed in ``locked_sequences``, as a hard sequence).
    locked_sequences: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    # Fair work (optional): see :class:`Balance`. None = no balancing term.
    balance: Balance | None = None

    @property
    def n_locations(self) -> int:
        return len(self.durations)

    @property
    def n_dims(self) -> int:
        return len(self.vehicles[0].capacity) if self.vehicles else 0

    def validate(self) -> None:
        """Raise :class:`ProblemError` naming the first thing that is wrong."""
        n = len(self.durations)
        if n == 0:
            raise ProblemError("durations: the matrix is empty")
        if len(self.distances) != n:
            raise ProblemError(f"distances: {len(self.distances)} rows, durations has {n}")
        for name, matrix in (("durations", self.durations), ("distances", self.distances)):
            for i, row in enumerate(matrix):
                if len(row) != n:
                    raise ProblemError(f"{name}[{i}]: {len(row)} columns, expected {n}")
                for j, value in enumerate(row):
                    if not isinstance(value, int) or value < 0:
                        raise ProblemError(f"{name}[{i}][{j}]: {value!r} is not a non-negative integer")
        if not self.vehicles:
            raise ProblemError("vehicles: at least one vehicle is needed")
        dims = len(self.vehicles[0].capacity)
        seen: set[str] = set()
        for v in self.vehicles:
            where = f"vehicle {v.id!r}"
            if v.id in seen:
                raise ProblemError(f"{where}: duplicate id")
            seen.add(v.id)
            _validate_vehicle(v, where, n, dims)
        vids = {v.id for v in self.vehicles}
        seen = set()
        for visit in self.visits:
            where = f"visit {visit.id!r}"
            if visit.id in seen:
                raise ProblemError(f"{where}: duplicate id")
            seen.add(visit.id)
            _validate_visit(visit, where, n, dims, vids)
        self._validate_balance()
        self._validate_sequences(vids)

    def _validate_balance(self) -> None:
        """The fair-work term, if any."""
        if self.balance is not None:
            bal = self.balance
            if bal.kind not in BALANCE_KINDS:
                raise ProblemError(f"balance.kind: {bal.kind!r} is not one of {', '.join(BALANCE_KINDS)}")
            if not isinstance(bal.coefficient, int) or bal.coefficient < 0:
                raise ProblemError(f"balance.coefficient: {bal.coefficient!r} must be a non-negative integer")
            if bal.kind == "soft_max" and (bal.soft_max_work_time is None or bal.soft_max_work_time < 0):
                raise ProblemError("balance.soft_max_work_time: required (>= 0 seconds) with kind 'soft_max'")

    def _validate_sequences(self, vids: set[str]) -> None:
        """Locked sequences: known vehicle and visits, each visit in one place at most."""
        visit_ids = {v.id for v in self.visits}
        sequenced: set[str] = set()
        for vehicle_id, seq in self.locked_sequences:
            if vehicle_id not in vids:
                raise ProblemError(f"locked sequence: unknown vehicle {vehicle_id!r}")
            for vid in seq:
                if vid not in visit_ids:
                    raise ProblemError(f"locked sequence of {vehicle_id!r}: unknown visit {vid!r}")
                if vid in sequenced:
                    raise ProblemError(
                        f"locked sequence of {vehicle_id!r}: visit {vid!r} appears in more than one place"
                    )
                sequenced.add(vid)


def _validate_vehicle(v: Vehicle, where: str, n: int, dims: int) -> None:
    """One vehicle's fields (``n`` locations, ``dims`` capacity dimensions)."""
    for loc_name in ("start", "end"):
        loc = getattr(v, loc_name)
        if not 0 <= loc < n:
            raise ProblemError(f"{where}: {loc_name} location {loc} is outside the matrix (0..{n - 1})")
    if len(v.capacity) != dims:
        raise ProblemError(f"{where}: capacity has {len(v.capacity)} dimensions, expected {dims}")
    if any(c < 0 for c in v.capacity):
        raise ProblemError(f"{where}: negative capacity {v.capacity}")
    if v.shift.end < v.shift.start or v.shift.start < 0:
        raise ProblemError(f"{where}: shift ends ({v.shift.end}) before it starts ({v.shift.start})")
    if v.reload_location is not None and not 0 <= v.reload_location < n:
        raise ProblemError(f"{where}: reload location {v.reload_location} is outside the matrix (0..{n - 1})")
    if v.reload_service < 0:
        raise ProblemError(f"{where}: negative reload_service {v.reload_service}")
    if v.max_reloads < 0:
        raise ProblemError(f"{where}: negative max_reloads {v.max_reloads}")
    if v.max_work_time is not None and v.max_work_time <= 0:
        raise ProblemError(f"{where}: max_work_time must be positive")
    if min(v.fixed_cost, v.cost_per_km, v.cost_per_hour) < 0:
        raise ProblemError(f"{where}: costs must be non-negative")
    if v.start_load:
        if len(v.start_load) != dims:
            raise ProblemError(f"{where}: start_load has {len(v.start_load)} dimensions, expected {dims}")
        if any(not isinstance(x, int) or x < 0 for x in v.start_load):
            raise ProblemError(f"{where}: start_load {v.start_load} must be non-negative integers")
        if any(x > c for x, c in zip(v.start_load, v.capacity)):
            raise ProblemError(f"{where}: start_load {v.start_load} exceeds the capacity {v.capacity}")
    for b in v.breaks:
        if b.duration < 0 or b.window.end < b.window.start:
            raise ProblemError(f"{where}: break {b.id!r} has an empty window or negative duration")


def _validate_visit(visit: Visit, where: str, n: int, dims: int, vids: set[str]) -> None:
    """One visit's fields (``vids``: the vehicle ids it may be locked to)."""
    if not 0 <= visit.location < n:
        raise ProblemError(f"{where}: location {visit.location} is outside the matrix (0..{n - 1})")
    if len(visit.demand) != dims:
        raise ProblemError(f"{where}: demand has {len(visit.demand)} dimensions, expected {dims}")
    if any(d < 0 for d in visit.demand):
        raise ProblemError(f"{where}: negative demand {visit.demand}")
    if visit.service < 0:
        raise ProblemError(f"{where}: negative service time {visit.service}")
    previous_end = -1
    for w in visit.windows:
        if w.end < w.start:
            raise ProblemError(f"{where}: time window ends ({w.end}) before it starts ({w.start})")
        if w.start <= previous_end:
            raise ProblemError(f"{where}: time windows must be sorted and disjoint")
        previous_end = w.end
    if visit.penalty is not None and visit.penalty < 0:
        raise ProblemError(f"{where}: negative penalty {visit.penalty}")
    if visit.vehicle is not None and visit.vehicle not in vids:
        raise ProblemError(f"{where}: locked to unknown vehicle {visit.vehicle!r}")
