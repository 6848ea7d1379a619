"""What crews and relay points report from their links: stop events and fill flags.

Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dispatch.fleet import pickup_lifecycle
from dispatch.errors import DispatchError, Conflict, InvalidInput, NotFound
from dispatch.documents import MISSED_REASONS
from dispatch.field.links import LinkInvalid
from dispatch.field import crew_rules
from dispatch.exchange import check_text
from dispatch.messages import triggers as messages
from dispatch.models import (
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    RelayPoint,
    ReportSource,
    Round,
    StockReport,
    Stop,
    StopEvent,
    StopEventKind,
    StopKind,
    Van,
    utcnow,
)
from dispatch.relay_points import report_fill
from dispatch.planning import RoundView, StopView, plan_view

MAX_COLLECTED_M3 = 100.0
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
RELAY_LEVELS = (25, 50, 75, 100)


class PlanNotPublished(Conflict):
    """Stops of a draft plan cannot be updated (HTTP 409)."""


@dataclass(frozen=True)
class EventResult:
    event_id: int
    stop_id: int
    kind: str
    collected_m3: float | None
    remaining_m3: float | None
    reason: str | None
    recorded_at: dt.datetime
    repeated: bool  # True when this idempotency key was already recorded: nothing was changed


# The crew-update statements, built once: crews' phones send most of a busy morning's requests, and building a
# statement (and its cache key) costs more CPU than running it.
_EVENT_BY_KEY = (
    select(StopEvent.id, StopEvent.stop_id, StopEvent.kind, StopEvent.collected_m3, StopEvent.remaining_m3,
           StopEvent.reason, StopEvent.recorded_at, Stop.round_id)
    .join(Stop, Stop.id == StopEvent.stop_id).where(StopEvent.idempotency_key == bindparam("key"))
)
_STOP_FOR_EVENT = (
    select(Stop.kind, Stop.round_id, Stop.relay_point_id, Stop.pickup_request_id, Plan.status, Round.status,
           RelayPoint.capacity_m3, Plan.date, Van.capacity_m3.label("van_capacity_m3"))
    .join(Round, Stop.round_id == Round.id).join(Plan, Round.plan_id == Plan.id).join(Van, Van.id == Round.van_id)
    .outerjoin(RelayPoint, RelayPoint.id == Stop.relay_point_id)
    .where(Stop.id == bindparam("stop_id"))
)
_INSERT_EVENT: dict[str, object] = {}  # per dialect, built at first use


def check_key(key: str) -> str:
    """An idempotency key as stored (stripped); InvalidInput when it is not 8-80 letters, digits, '-', '_'."""
    return _check_key(key)


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not 8 <= len(key) <= 80 or not all(c.isalnum() or c in "-_" for c in key):
        raise InvalidInput("idempotency_key must be 8-80 letters, digits, '-' or '_'", field="idempotency_key")
    return key


def _existing_event(session: Session, key: str):
    """(the stored event's result, its stop's round id) for an idempotency key already used, else None
    (columns, not ORM objects: this runs for every update a crew sends)."""
    row = session.execute(_EVENT_BY_KEY, {"key": key}).first()
    if row is None:
        return None
    event_id, stop_id, kind, collected, remaining, reason, recorded_at, round_id = row
    return EventResult(event_id, stop_id, kind.value, collected, remaining, reason, recorded_at, True), round_id


def _repeat(found, stop_id: int, round_id: int) -> EventResult:
    existing, existing_round = found
    if existing.stop_id != stop_id:
        raise Conflict("this idempotency_key was already used for another stop", field="idempotency_key")
    if existing_round != round_id:  # a link answers only for its own round's stops
        raise NotFound(f"stop {stop_id} is not a stop of this round", field="stop_id")
    return existing


def _insert_once(session: Session, values: dict) -> int | None:
    """INSERT the event unless its idempotency key is already stored (then None): one statement, no
    savepoint, and two phones racing with the same key cannot both store it."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT_EVENT.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:  # pragma: no cover - the two supported databases
            raise NotImplementedError(dialect)
        table = StopEvent.__table__
        statement = _INSERT_EVENT[dialect] = (
            dialect_insert(table).on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
            .returning(table.c.id))
    return session.execute(statement, values).scalar()


@dataclass(frozen=True)
class _StopState:
    """What an update needs of its stop, read in one query: the stop, its round's and plan's state, the
    relay point's capacity and the van's."""

    kind: StopKind
    relay_point_id: int | None
    pickup_id: int | None
    plan_status: PlanStatus
    round_status: str
    relay_capacity_m3: float | None
    plan_day: dt.date
    van_capacity_m3: float


def _event_kind(kind: str) -> StopEventKind:
    try:
        return StopEventKind(kind)
    except ValueError:
        raise InvalidInput(f"kind must be arrived, collected or missed, got {kind!r}", field="kind") from None


def _published_stop(session: Session, round_id: int, stop_id: int) -> _StopState:
    """The stop of this round (the link's), in a published plan; LinkInvalid when the round is gone,
    NotFound or NotInRound when the stop is not (or no longer) one of its stops."""
    row = session.execute(_STOP_FOR_EVENT, {"stop_id": stop_id}).first()
    if row is None or row.round_id != round_id:
        if session.get(Round, round_id) is None:  # the draft the link belonged to was replaced
            raise LinkInvalid("this round no longer exists (the day was re-planned): ask for a new link",
                              field="token")
        if row is None:
            raise NotFound(f"stop {stop_id} is not a stop of this round", field="stop_id")
        raise crew_rules.NotInRound(f"stop {stop_id} is not a stop of this round (it may have moved when the "
                                    "round changed): this update was not recorded")
    stop_kind, _, relay_point_id, pickup_id, plan_status, round_status, capacity, plan_day, van_capacity = row
    if plan_status is not PlanStatus.PUBLISHED:
        raise PlanNotPublished("this day's plan is not published yet: its stops cannot be updated", field="plan")
    return _StopState(stop_kind, relay_point_id, pickup_id, plan_status, round_status, capacity, plan_day,
                      van_capacity)


def _checked_outcome(event_kind: StopEventKind, stop: _StopState, collected_m3: float | None,
                     remaining_m3: float | None, reason: str | None
                     ) -> tuple[float | None, float | None, str | None]:
    """(collected_m3, remaining_m3, reason) as stored: the volumes of a collection, the reason of a miss,
    None for what the event's kind does not carry; InvalidInput naming the field at fault."""
    if stop.kind not in (StopKind.RELAY_POINT, StopKind.PICKUP) and event_kind is not StopEventKind.ARRIVED:
        raise InvalidInput("only a relay point or a home pickup can be collected or missed", field="kind")
    if event_kind is StopEventKind.COLLECTED:
        if collected_m3 is None:
            raise InvalidInput("give the collected volume in m³", field="collected_m3")
        if not 0 <= collected_m3 <= MAX_COLLECTED_M3:
            raise InvalidInput(f"collected_m3 must be between 0 and {MAX_COLLECTED_M3:g}", field="collected_m3")
        capacity = stop.relay_capacity_m3
        if remaining_m3 is not None:
            if remaining_m3 < 0:
                raise InvalidInput("remaining_m3 must not be negative", field="remaining_m3")
            if capacity is not None and remaining_m3 > capacity:
                raise InvalidInput(f"remaining_m3 exceeds the relay point's capacity ({capacity:g} m³)",
                                   field="remaining_m3")
    else:
        collected_m3, remaining_m3 = None, None
    if event_kind is StopEventKind.MISSED:
        if not reason or reason not in MISSED_REASONS:
            raise InvalidInput(f"reason must be one of {', '.join(MISSED_REASONS)}", field="reason")
    else:
        reason = None
    return collected_m3, remaining_m3, reason


def _checked_note(note: str | None) -> str | None:
    if note is None:
        return None
    check_text("note", note, multiline=True)  # the rule every door applies (dispatch/exchange/fields.py)
    return note.strip()[:1000] or None


def _apply_outcome(event_kind: StopEventKind, stop: _StopState, stop_id: int, *, session: Session,
                   collected_m3: float | None, remaining_m3: float | None, reason: str | None, note: str | None,
                   recorded_at: dt.datetime) -> None:
    """A collection empties the relay point (a driver's fill report) or collects the home pickup; a miss
    marks the pickup missed, re-schedules it and tells the donor."""
    if event_kind is StopEventKind.COLLECTED and stop.kind is StopKind.RELAY_POINT and stop.relay_point_id is not None:
        report_fill(stop.relay_point_id, session=session, source=ReportSource.DRIVER, stock_m3=remaining_m3 or 0.0,
                    note=f"collected {collected_m3:g} m³ (stop {stop_id})", at=recorded_at)
    elif stop.pickup_id is not None and event_kind is not StopEventKind.ARRIVED:
        pickup = session.get(PickupRequest, stop.pickup_id)
        if event_kind is StopEventKind.COLLECTED:
            pickup.status = PickupStatus.COLLECTED
            pickup.status_reason = None
            pickup_lifecycle.record_pickup_event(pickup, session=session, at=recorded_at,
                                                 detail=f"collected {collected_m3:g} m³")  # pickup history
        else:
            pickup.status = PickupStatus.MISSED
            pickup.status_reason = f"missed by the crew: {reason}" + (f" ({note})" if note else "")
            # history, then automatic re-scheduling on the next possible collection day (same slot if possible).
            missed_day = pickup.date
            pickup_lifecycle.pickup_missed(pickup, session=session, reason=reason)
            messages.pickup_missed(pickup, missed_day, session=session)  # the donor learns the new date


def _after_event(event_kind: StopEventKind, stop: _StopState, round_id: int, stop_id: int, *, session: Session,
                 recorded_at: dt.datetime) -> None:
    """The next home pickup's donor is told the crew is on its way; the round's status follows."""
    if event_kind is not StopEventKind.ARRIVED:  # the next home pickup of the round: "on our way"
        messages.crew_moved_on(round_id, stop_id, session=session, at=recorded_at)
    # planned -> in_progress -> done: an arrival cannot finish a round already under way
    from dispatch.planning import ROUND_IN_PROGRESS, update_round_status

    if event_kind is not StopEventKind.ARRIVED or stop.round_status != ROUND_IN_PROGRESS:
        update_round_status(session.get(Round, round_id), session=session, has_event=True)


def record_stop_event(
    round_id: int,
    stop_id: int,
    kind: str,
    *,
    session: Session,
    idempotency_key: str,
    collected_m3: float | None = None,
    remaining_m3: float | None = None,
    reason: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
    correction_reason: str | None = None,
    confirm: bool = False,
    timezone: str = "Europe/Paris",
    days_before: int = 0,
) -> EventResult:
    """Record what the crew reports at a stop of a published plan, once per idempotency key.

    * ``collected`` at a relay point: its stock becomes ``remaining_m3`` (default 0), ``full`` is cleared
      (a StockReport with source ``driver``); at a home pickup, the request becomes ``collected``.
    * ``missed``: a home pickup becomes ``missed`` with the reason.
    A repeat of the same key returns the first result and changes nothing. What the stop's state, the
    round's day and the van allow: dispatch/field/crew_rules.py (``correction_reason``, ``confirm``).

    Crews' phones send most of the requests of a busy morning, so this path is written for few statements:
    the stop, its round's and plan's status and its relay point's capacity in one query, the event in one
    INSERT that skips a key already stored, and the round's status worked out only when it can change.
    """
    key = _check_key(idempotency_key)
    found = _existing_event(session, key)
    if found is not None:
        return _repeat(found, stop_id, round_id)
    event_kind = _event_kind(kind)
    stop = _published_stop(session, round_id, stop_id)
    recorded_at = at or utcnow()
    crew_rules.check_day(stop.plan_day, recorded_at, timezone, days_before)
    collected_m3, remaining_m3, reason = _checked_outcome(event_kind, stop, collected_m3, remaining_m3, reason)
    note = _checked_note(note)
    check_text("correction_reason", correction_reason)
    try:
        corrects = crew_rules.check_transition(stop_id, event_kind, correction_reason, session=session)
        flag = None
        if event_kind is StopEventKind.COLLECTED:
            flag = crew_rules.check_volume(stop_id, collected_m3, stop.van_capacity_m3, confirm, session=session)
    except DispatchError:
        # The same update sent twice at once: the other request stored it since this one looked for its key,
        # and that first outcome now stands in the way. A repeat, not a correction.
        found = _existing_event(session, key)
        if found is not None:
            return _repeat(found, stop_id, round_id)
        raise

    event_id = _insert_once(session, {
        "stop_id": stop_id, "kind": event_kind, "collected_m3": collected_m3, "remaining_m3": remaining_m3,
        "reason": reason, "note": note, "idempotency_key": key, "recorded_at": recorded_at,
        "corrects_event_id": corrects, "flag": flag,
        "correction_reason": (correction_reason or "").strip()[:300] or None if corrects else None})
    if event_id is None:  # the same update arrived twice at once: the other request stored it first
        found = _existing_event(session, key)
        if found is None:  # pragma: no cover - stored, then gone within this transaction
            raise Conflict("this update could not be recorded: send it again", field="idempotency_key")
        return _repeat(found, stop_id, round_id)
    result = EventResult(event_id, stop_id, event_kind.value, collected_m3, remaining_m3, reason, recorded_at,
                         False)
    _apply_outcome(event_kind, stop, stop_id, session=session, collected_m3=collected_m3, remaining_m3=remaining_m3,
                   reason=reason, note=note, recorded_at=recorded_at)
    session.flush()
    _after_event(event_kind, stop, round_id, stop_id, session=session, recorded_at=recorded_at)
    return result


# ------------------------------------------------------------------ route sheet


@dataclass(frozen=True)
class SheetStop:
    stop_id: int
    view: StopView
    last_event: str | None  # arrived / collected / missed
    collected_m3: float | None
    reason: str | None


@dataclass(frozen=True)
class RouteSheet:
    round: RoundView
    day: dt.date
    plan_id: int
    published: bool
    depot_name: str
    depot_address: str
    depot_lat: float
    depot_lon: float
    stops: tuple[SheetStop, ...]


def route_sheet(rnd: Round, *, session: Session) -> RouteSheet:
    """The crew's view of its round: ordered stops with what was already reported."""
    view = next(r for r in plan_view(rnd.plan).rounds if r.id == rnd.id)
    ids = {s.position: s.id for s in rnd.stops}
    events = session.scalars(
        select(StopEvent).where(StopEvent.stop_id.in_(list(ids.values()))).order_by(StopEvent.id)
    ).all()
    last: dict[int, StopEvent] = {}
    for ev in events:
        if ev.kind is StopEventKind.ARRIVED and ev.stop_id in last:
            continue  # "arrived" after an outcome does not hide the outcome
        last[ev.stop_id] = ev
    stops = []
    for sv in view.stops:
        sid = ids[sv.position]
        ev = last.get(sid)
        stops.append(SheetStop(sid, sv, ev.kind.value if ev else None, ev.collected_m3 if ev else None,
                               ev.reason if ev else None))
    depot = rnd.van.depot
    return RouteSheet(view, rnd.plan.date, rnd.plan_id, rnd.plan.status is PlanStatus.PUBLISHED, depot.name,
                      depot.address, depot.lat, depot.lon, tuple(stops))


# ------------------------------------------------------------------ relay-point page


@dataclass(frozen=True)
class RelayPointStatus:
    id: int
    name: str
    address: str
    fill_pct: int
    full: bool
    stock_updated_at: dt.datetime | None
    last_collection_at: dt.datetime | None


def relay_point_status(rp: RelayPoint, *, session: Session) -> RelayPointStatus:
    last_collection = session.scalar(
        select(StockReport.reported_at)
        .where(StockReport.relay_point_id == rp.id, StockReport.source == ReportSource.DRIVER)
        .order_by(StockReport.reported_at.desc(), StockReport.id.desc())
    )
    return RelayPointStatus(rp.id, rp.name, rp.address, round(100 * rp.fill_ratio), rp.full, rp.stock_updated_at,
                            last_collection)


@dataclass(frozen=True)
class FlagResult:
    report_id: int
    level_pct: int
    full: bool
    duplicate: bool  # the same report was made less than 10 minutes ago: acknowledged, not stored again


# Built once: the page a relay point reports from is one of the busiest endpoints.
_RECENT_FLAG = (
    select(StockReport.id, StockReport.full, StockReport.level_pct)
    .where(StockReport.relay_point_id == bindparam("rp_id"), StockReport.source == ReportSource.RELAY_POINT,
           StockReport.reported_at >= bindparam("since"))
    .order_by(StockReport.id.desc()).limit(1)
)


def flag_relay_point(relay_point_id: int, *, session: Session, level_pct: int | None = None, full: bool = False,
                     now: dt.datetime | None = None) -> FlagResult:
    """A relay point says it is full, or gives its level (25/50/75/100 %), from its link.

    A repeat of the same report within 10 minutes is acknowledged without a second report.
    """
    if full:
        level_pct = 100
    if level_pct not in RELAY_LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(map(str, RELAY_LEVELS))} %", field="level_pct")
    now = now or utcnow()
    recent = session.execute(_RECENT_FLAG, {"rp_id": relay_point_id, "since": now - DUPLICATE_WINDOW}).first()
    is_full = level_pct >= 100
    if recent is not None and (recent.full if is_full else (not recent.full and recent.level_pct == level_pct)):
        return FlagResult(recent.id, level_pct, is_full, True)
    if is_full:
        report = report_fill(relay_point_id, session=session, source=ReportSource.RELAY_POINT, full=True, at=now)
    else:
        report = report_fill(relay_point_id, session=session, source=ReportSource.RELAY_POINT,
                             level_pct=float(level_pct), at=now)
    return FlagResult(report.id, level_pct, is_full, False)
