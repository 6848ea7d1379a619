"""Editing a plan after the solve, on the Paris demo day: versions, edits, re-optimise, round status, re-plan."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import solver
from dispatch.planning import edit_context, editing, reoptimise, replan, resolve, resolve_write, round_timing, round_writing, versions
from dispatch.planning import problem as builder
from dispatch.demo import seed_demo
from dispatch.field.events import record_stop_event
from dispatch.errors import Conflict, InvalidInput
from dispatch.documents.i18n import MISSED_REASONS
from dispatch.models import PickupRequest, PickupStatus, PlanChange, RelayPoint, ReportSource, StopKind
from dispatch.relay_points.points import report_fill
from dispatch.planning.day import plan_day
from dispatch.planning.plans import publish_plan

DAY = dt.date(2026, 12, 1)  # Tuesday
VISITS = (StopKind.RELAY_POINT, StopKind.PICKUP)


@pytest.fixture
def fast(settings):
    return settings.model_copy(update={"solve_solution_limit": 40})


@pytest.fixture
def plan(session, fast, paris_network):
    seed_demo(DAY, session=session)
    return plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)


def visits(rnd):
    return [s for s in rnd.stops if s.kind in VISITS]


def rounds_with_visits(plan):
    return [r for r in plan.rounds if visits(r)]


def stored_solution_errors(plan, fast, network, *, session, after=None):
    """Rebuild each stored round as solver steps and let solver.check judge it (independent of the edit code).

    ``after``: a mid-day re-plan, {round id: (at_s, (lat, lon) or None, load in litres, done stop ids)}: only
    the stops after the done ones are judged, from the van's position and time, with its load on board.
    """
    after = after or {}
    sites = {f"start:{rid}": ll for rid, (_, ll, _, _) in after.items() if ll is not None}
    done_ids = {i for (_, _, _, ids) in after.values() for i in ids}
    only = {edit_context.stop_key(s) for r in plan.rounds for s in visits(r) if s.id not in done_ids}
    ctx = edit_context.build_context(plan, fast, network, session=session, extra_sites=sites, only=only)
    day0 = dt.datetime.combine(plan.date, dt.time())
    secs = lambda t: int((t - day0).total_seconds())  # noqa: E731
    routes, served = [], set()
    vehicles = list(ctx.problem.vehicles)
    for rnd in rounds_with_visits(plan):
        vid = f"crew:{rnd.crew_id}"
        k = ctx.vehicle_index(vid)
        v = vehicles[k]
        stops = [s for s in rnd.stops if s.id not in done_ids]
        start_at, offset = secs(rnd.start_at), 0
        if rnd.id in after:
            at_s, ll, load, ids = after[rnd.id]
            prefix = [s for s in rnd.stops if s.position <= max((x.position for x in rnd.stops if x.id in ids),
                                                                 default=0)]
            stops = [s for s in rnd.stops if s not in prefix]
            offset = max((s.distance_from_start_m for s in prefix), default=0)
            taken = any(s.kind is StopKind.BREAK for s in prefix)
            v = dataclasses.replace(v, start=ctx.location[f"start:{rnd.id}"] if ll else 0,
                                    shift=solver.TimeWindow(at_s, v.shift.end), start_load=(load,) if load else (),
                                    breaks=() if taken else v.breaks)
            vehicles[k] = v
            start_at = at_s  # it leaves from where it is, at the re-plan time
            if not stops:
                continue
        steps = [solver.Step("start", None, v.start, start_at, 0, 0, v.initial_load(), 0)]
        for s in stops:
            load = (round(s.load_after_m3 * 1000),)
            arrival = secs(s.planned_arrival) - s.waiting_s
            if s.kind is StopKind.BREAK:
                steps.append(solver.Step("break", "lunch", None, arrival, s.service_s, s.waiting_s, load,
                                         s.distance_from_start_m - offset))
            elif s.kind is StopKind.UNLOAD:
                steps.append(solver.Step("reload", None, 0, arrival, s.service_s, s.waiting_s, load,
                                         s.distance_from_start_m - offset))
            else:
                key = edit_context.stop_key(s)
                served.add(key)
                steps.append(solver.Step("visit", key, ctx.location[key], arrival, s.service_s, s.waiting_s, load,
                                         s.distance_from_start_m - offset))
        steps.append(solver.Step("end", None, 0, secs(rnd.end_at), 0, 0, steps[-1].load, rnd.distance_m - offset))
        routes.append(solver.Route(vid, tuple(steps), 0, rnd.distance_m - offset, secs(rnd.end_at) - start_at,
                                   sum(s.service for s in steps if s.type in ("visit", "reload")),
                                   sum(s.waiting_time for s in steps),
                                   (sum(round(s.expected_m3 * 1000) for s in stops if s.kind in VISITS),)))
    sub = dataclasses.replace(ctx.problem, visits=tuple(v for v in ctx.problem.visits if v.id in served),
                              vehicles=tuple(vehicles))
    summary = solver.Summary(0, len(routes), 0, 0, 0, 0, 0, (0,), 0.0)
    errors = solver.check(sub, solver.Solution(solver.Status.SOLVED, summary, tuple(routes), ()))
    # Rounded m³ and the cost fields are not stored: only the rules matter here.
    return [e for e in errors if e.cause != "summary" and ": cost " not in e.detail]


def placement(plan):
    """Each visit key -> where it is: a round id or 'unassigned'; a visit is in exactly one place."""
    where = {}
    for rnd in plan.rounds:
        for s in visits(rnd):
            key = edit_context.stop_key(s)
            assert key not in where, f"{key} twice"
            where[key] = rnd.id
    for u in plan.unassigned:
        key = edit_context.stop_key(u)
        assert key not in where, f"{key} both in a round and unassigned"
        where[key] = "unassigned"
    return where


def test_versions_and_stale_edits_list_what_changed(session, plan):
    assert plan.version == 1
    stop = visits(rounds_with_visits(plan)[0])[0]
    editing.set_locked(plan.id, stop.id, True, session=session, version=1, actor="alice")
    assert plan.version == 2 and stop.locked
    with pytest.raises(versions.StaleVersion) as exc:
        editing.set_locked(plan.id, stop.id, False, session=session, version=1, actor="bob")
    assert exc.value.current_version == 2
    assert [(c["version"], c["actor"], c["op"]) for c in exc.value.changes] == [(2, "alice", "lock")]
    assert exc.value.changes[0]["detail"]["stop_id"] == stop.id
    with pytest.raises(versions.VersionRequired, match="If-Match"):
        editing.set_locked(plan.id, stop.id, False, session=session, version=None, actor="bob")
    assert stop.locked  # nothing changed by the refused edits
    assert [c.op for c in versions.changes_since(plan.id, 0, session=session)] == ["lock"]


def test_published_plan_is_frozen(session, fast, paris_network, plan):
    publish_plan(plan.id, session=session, actor="alice")
    assert plan.version == 2
    assert session.query(PlanChange).filter_by(plan_id=plan.id, op="publish").one().actor == "alice"
    stop = visits(rounds_with_visits(plan)[0])[0]
    with pytest.raises(Conflict, match="publish freezes the plan; re-plan instead"):
        editing.drop_stop(plan.id, stop.id, fast, paris_network, session=session, version=2, actor="a", force=True)


def test_move_within_the_day_is_retimed_and_checked(session, fast, paris_network, plan):
    a, b = rounds_with_visits(plan)[:2]
    stop = visits(a)[-1]
    key = edit_context.stop_key(stop)
    editing.move_stop(plan.id, stop.id, b.id, 1, fast, paris_network, session=session, version=1, actor="alice",
                      force=True)
    assert stop.round_id == b.id and visits(b)[0].id == stop.id  # same stop row, first visit of b
    assert [s.position for s in b.stops] == list(range(1, len(b.stops) + 1))
    arrivals = [s.planned_arrival for s in b.stops]
    assert arrivals == sorted(arrivals)
    assert placement(plan)[key] == b.id
    if not b.warnings:  # accepted without force: the stored rounds pass the solver's own checker
        assert stored_solution_errors(plan, fast, paris_network, session=session) == []
    else:
        assert all(w["rule"] in ("time_window", "shift_end", "capacity", "break") for w in b.warnings)


def test_a_move_that_breaks_a_window_is_refused_unless_forced(session, fast, paris_network, plan):
    # A morning pickup (08:00-12:00) moved to the end of a full round cannot be served in its slot.
    morning = next(s for r in rounds_with_visits(plan) for s in visits(r)
                   if s.pickup_request is not None and s.pickup_request.slot.value == "morning")
    target = max(rounds_with_visits(plan), key=lambda r: r.end_at)
    with pytest.raises(InvalidInput) as exc:
        editing.move_stop(plan.id, morning.id, target.id, None, fast, paris_network, session=session, version=1,
                          actor="alice")
    name = f"{morning.pickup_request.ref} {morning.pickup_request.donor_name}"
    assert name in exc.value.message and "outside its hours" in exc.value.message and "force" in exc.value.message
    assert plan.version == 1 and visits(target)[-1].id != morning.id  # nothing was changed
    editing.move_stop(plan.id, morning.id, target.id, None, fast, paris_network, session=session, version=1,
                      actor="alice", force=True)
    assert plan.version == 2 and visits(target)[-1].id == morning.id
    assert any(w["rule"] == "time_window" and w["visit"] == edit_context.stop_key(morning) for w in target.warnings)
    change = versions.changes_since(plan.id, 1, session=session)[0]
    assert change.op == "move" and change.detail["forced"] and change.detail["warnings"]


def test_drop_goes_to_unassigned_and_mandatory_needs_force(session, fast, paris_network, plan):
    pickup = next(s for r in rounds_with_visits(plan) for s in visits(r) if s.pickup_request is not None)
    pu_id = pickup.pickup_request_id
    with pytest.raises(InvalidInput, match="mandatory"):
        editing.drop_stop(plan.id, pickup.id, fast, paris_network, session=session, version=1, actor="alice")
    editing.drop_stop(plan.id, pickup.id, fast, paris_network, session=session, version=1, actor="alice",
                      force=True)
    un = next(u for u in plan.unassigned if u.pickup_request_id == pu_id)
    assert un.reason == "dropped" and "dropped by alice" in un.detail and un.mandatory
    assert session.get(PickupRequest, pu_id).status is PickupStatus.ACCEPTED
    assert plan.solver_status == "infeasible"  # publishing now needs accept_unassigned
    assert placement(plan)[f"pu:{pu_id}"] == "unassigned"
    assert versions.changes_since(plan.id, 1, session=session)[0].detail["forced"] is True
    with pytest.raises(Conflict, match="mandatory"):
        publish_plan(plan.id, session=session)


def test_insert_at_the_cheapest_feasible_position(session, fast, paris_network, plan):
    optional = next((s for r in rounds_with_visits(plan) for s in visits(r)
                     if s.relay_point_id and not edit_context.is_mandatory(plan, edit_context.stop_key(s))), None)
    if optional is None:
        pytest.skip("no optional relay point in this plan")
    rp_id = optional.relay_point_id
    editing.drop_stop(plan.id, optional.id, fast, paris_network, session=session, version=1, actor="alice")
    assert placement(plan)[f"rp:{rp_id}"] == "unassigned"
    # Brute force over every round and position: the cheapest feasible extra cost.
    cand = editing._new_candidate(plan, fast, session=session, relay_point_id=rp_id, pickup_request_id=None)
    ctx = edit_context.build_context(plan, fast, paris_network, session=session, extra=[cand])
    best, old_cost = None, {}
    for rnd in [r for r in plan.rounds if r.crew_id]:
        base = round_writing.order_of(rnd)
        vid = f"crew:{rnd.crew_id}"
        old = old_cost[rnd.id] = round_timing.schedule(ctx, vid, base).route.cost if base else 0
        for i in range(len(base) + 1):
            t = round_timing.schedule(ctx, vid, base[:i] + [cand.key] + base[i:])
            if not t.violations and (best is None or t.route.cost - old < best):
                best = t.route.cost - old
    editing.insert_visit(plan.id, fast, paris_network, session=session, version=2, actor="bob", relay_point_id=rp_id)
    assert placement(plan)[f"rp:{rp_id}"] != "unassigned"
    rnd = next(r for r in plan.rounds if any(s.relay_point_id == rp_id for s in visits(r)))
    assert not rnd.warnings
    change = versions.changes_since(plan.id, 2, session=session)[0]
    assert change.op == "insert" and change.detail["cheapest"]
    # The chosen place costs exactly the brute-force best extra cost.
    ctx2 = edit_context.build_context(plan, fast, paris_network, session=session)
    assert stored_solution_errors(plan, fast, paris_network, session=session) == []
    assert best is not None
    got = round_timing.schedule(ctx2, f"crew:{rnd.crew_id}", round_writing.order_of(rnd)).route.cost - old_cost[rnd.id]
    assert got == best
    decision = next(d for d in plan.relay_point_decisions if d["relay_point_id"] == rp_id)
    assert decision["visited"] is True


def test_insert_a_closed_relay_point_is_refused_naming_the_rule(session, fast, paris_network, plan):
    from dispatch.models import RelayPoint

    rp = session.query(RelayPoint).filter(RelayPoint.id.notin_(
        [s.relay_point_id for r in plan.rounds for s in visits(r) if s.relay_point_id])).first()
    rp.opening_hours = [{"days": [5], "open": "10:00", "close": "12:00"}]  # Saturdays only
    session.flush()
    rnd = rounds_with_visits(plan)[0]
    with pytest.raises(InvalidInput) as exc:
        editing.insert_visit(plan.id, fast, paris_network, session=session, version=1, actor="a",
                             relay_point_id=rp.id, round_id=rnd.id, position=1)
    assert rp.name in exc.value.message and "closed" in exc.value.message
    editing.insert_visit(plan.id, fast, paris_network, session=session, version=1, actor="a",
                         relay_point_id=rp.id, round_id=rnd.id, position=1, force=True)
    assert visits(rnd)[0].relay_point_id == rp.id
    assert any(w["rule"] == "closed" for w in rnd.warnings)


def test_reoptimise_keeps_locked_stops_and_dropped_visits_out(session, fast, paris_network, plan):
    a = max(rounds_with_visits(plan), key=lambda r: len(visits(r)))
    locked = [visits(a)[-1], visits(a)[0]]  # locked in this order: last, then first... kept in round order
    for i, s in enumerate(locked):
        editing.set_locked(plan.id, s.id, True, session=session, version=1 + i, actor="alice")
    order_before = [s.id for s in visits(a) if s.locked]
    optional = next((s for r in rounds_with_visits(plan) for s in visits(r)
                     if not s.locked and s.relay_point_id and not edit_context.is_mandatory(plan, edit_context.stop_key(s))), None)
    version = plan.version
    dropped_key = None
    if optional is not None:
        dropped_key = edit_context.stop_key(optional)
        editing.drop_stop(plan.id, optional.id, fast, paris_network, session=session, version=version, actor="a")
        version += 1
    ids_before = {edit_context.stop_key(s): s.id for r in plan.rounds for s in visits(r)}
    reoptimise.reoptimise(plan.id, fast, paris_network, session=session, version=version, actor="bob", time_limit_s=3)
    assert plan.version == version + 1
    assert [s.id for s in visits(a) if s.locked] == order_before  # same round, same relative order
    where = placement(plan)
    if dropped_key:
        assert where[dropped_key] == "unassigned"
    # Stops keep their ids; every visit is still somewhere.
    ids_after = {edit_context.stop_key(s): s.id for r in plan.rounds for s in visits(r)}
    assert {k: ids_before[k] for k in ids_after if k in ids_before} == {k: v for k, v in ids_after.items()
                                                                          if k in ids_before}
    assert set(ids_before) <= set(where)
    assert stored_solution_errors(plan, fast, paris_network, session=session) == []


def test_reoptimise_starts_from_the_draft_so_it_never_scores_worse(session, fast, paris_network, plan):
    # One solution only: without the draft as its starting plan the search would return its own first
    # solution, which is worse than the draft found with 40.
    first_only = fast.model_copy(update={"solve_solution_limit": 1})
    cost, distance = plan.cost, plan.distance_m
    reoptimise.reoptimise(plan.id, first_only, paris_network, session=session, version=plan.version, actor="bob",
                       time_limit_s=3)
    assert plan.cost <= cost
    assert plan.distance_m <= distance
    assert stored_solution_errors(plan, fast, paris_network, session=session) == []


def test_round_status_follows_the_crews_updates(session, plan):
    publish_plan(plan.id, session=session)
    rnd = rounds_with_visits(plan)[0]
    assert rnd.status == "planned"
    stops = visits(rnd)
    record_stop_event(rnd.id, stops[0].id, "arrived", session=session, idempotency_key="k-arrive-0")
    assert rnd.status == "in_progress"
    for i, s in enumerate(stops):
        assert rnd.status == "in_progress"
        if s.pickup_request_id:
            record_stop_event(rnd.id, s.id, "missed", session=session, idempotency_key=f"k-miss-{i}",
                              reason=next(iter(MISSED_REASONS)))
        else:
            record_stop_event(rnd.id, s.id, "collected", session=session, idempotency_key=f"k-coll-{i}",
                              collected_m3=0.5)
    assert rnd.status == "done"


def test_midday_replan_keeps_done_stops_and_starts_from_the_van(session, fast, paris_network, plan):
    publish_plan(plan.id, session=session)
    rnd = max(rounds_with_visits(plan), key=lambda r: len(visits(r)))
    stops = visits(rnd)
    done = stops[:2]
    for i, s in enumerate(done):
        record_stop_event(rnd.id, s.id, "collected", session=session, idempotency_key=f"k-done-{i}",
                          collected_m3=1.5)
    kept = [(s.id, s.position, s.planned_arrival) for s in done]
    remaining = {edit_context.stop_key(s): s.id for s in stops[2:]}
    last = done[-1].relay_point or done[-1].pickup_request
    at = max(11 * 3600, round_writing.seconds_of(done[-1].planned_arrival) + 600)
    at_dt = dt.datetime.combine(DAY, dt.time()) + dt.timedelta(seconds=at)
    # A relay point not in the plan reports itself full: it becomes a mandatory visit of the re-plan.
    planned_rps = {s.relay_point_id for r in plan.rounds for s in visits(r) if s.relay_point_id}
    newly_full = session.query(RelayPoint).filter(RelayPoint.id.notin_(planned_rps), RelayPoint.active.is_(True)).all()
    newly_full = next(rp for rp in newly_full if builder.relay_candidate(
        rp, DAY, fast, mandatory=True, require_open=True).windows and rp.opening_hours)
    report_fill(newly_full.id, session=session, source=ReportSource.RELAY_POINT, full=True)
    position = (last.lat + 0.001, last.lon)
    replan.replan(plan.id, fast, paris_network, session=session, version=plan.version, actor="alice", at_s=at,
                   positions=[replan.VanPosition(rnd.id, *position)], time_limit_s=3)
    assert f"rp:{newly_full.id}" in placement(plan)
    assert stored_solution_errors(plan, fast, paris_network, session=session,
                                  after={rnd.id: (at, position, 3000, {s.id for s in done})}) == []
    assert plan.status.value == "published" and plan.version == 3
    assert [(s.id, s.position, s.planned_arrival) for s in visits(rnd)[:2]] == kept
    after = [s for r in plan.rounds for s in r.stops if s.id not in {d.id for d in done} and s.kind in VISITS]
    assert all(s.planned_arrival >= at_dt for s in after)
    where = placement(plan)
    assert set(remaining) <= set(where)
    for key, sid in remaining.items():  # kept stops keep their ids (the crews' links keep working)
        if where[key] != "unassigned":
            assert any(s.id == sid for r in plan.rounds for s in visits(r))
    new = [s for s in visits(rnd)[2:]]
    if new:
        assert new[0].load_after_m3 == pytest.approx(3.0 + new[0].expected_m3, abs=0.01) or any(
            s.kind is StopKind.UNLOAD and s.position < new[0].position for s in rnd.stops)
    change = versions.changes_since(plan.id, 2, session=session)[0]
    assert change.op == "replan" and change.detail["start_loads_m3"] == {str(rnd.id): 3.0}
    assert f"rp:{newly_full.id}" in change.detail["new_visits"]
    assert rnd.status == "in_progress"


def test_insert_an_accepted_pickup_taken_after_planning(session, fast, paris_network, plan):
    from dispatch.models import Slot

    from dispatch.models import Depot

    depot = session.query(Depot).one()  # a small pickup near the depot: the rounds pass by on their way back
    model = session.query(PickupRequest).filter_by(date=DAY).first()
    late = PickupRequest(ref="ENL-LATE", donor_name="M. Tardif", phone="0600000000", address=model.address,
                         postcode="75019", lat=depot.lat + 0.002, lon=depot.lon, volume_m3=0.5,
                         categories=["books"], date=DAY, slot=Slot.AFTERNOON, status=PickupStatus.ACCEPTED)
    session.add(late)
    session.flush()
    with pytest.raises(InvalidInput, match="exactly one"):
        editing.insert_visit(plan.id, fast, paris_network, session=session, version=1, actor="a")
    editing.insert_visit(plan.id, fast, paris_network, session=session, version=1, actor="standard",
                         pickup_request_id=late.id)
    assert late.status is PickupStatus.SCHEDULED
    where = placement(plan)[f"pu:{late.id}"]
    rnd = next(r for r in plan.rounds if r.id == where)
    stop = next(s for s in visits(rnd) if s.pickup_request_id == late.id)
    assert dt.time(13) <= stop.planned_arrival.time() <= dt.time(16)  # in its afternoon slot
    assert not rnd.warnings
    assert stored_solution_errors(plan, fast, paris_network, session=session) == []
    with pytest.raises(Conflict, match="already in round"):
        editing.insert_visit(plan.id, fast, paris_network, session=session, version=2, actor="a",
                             pickup_request_id=late.id)


def test_two_writers_from_the_same_version_one_wins(db_engine, fast, paris_network):
    """Two concurrent transactions edit version 1: exactly one succeeds; the other is told the plan moved on
    (a 409 with the changes; on SQLite the late writer may instead get 'database busy', answered 503)."""
    import threading

    from sqlalchemy.exc import OperationalError

    from dispatch.db import session_factory, session_scope

    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        p = plan_day(DAY, fast, paris_network, session=s, time_limit_s=3, seed=1)
        plan_id, stop_ids = p.id, [x.id for x in visits(rounds_with_visits(p)[0])[:2]]
    first = session_factory(db_engine)()
    second = session_factory(db_engine)()
    outcome = {}
    try:
        editing.set_locked(plan_id, stop_ids[0], True, session=first, version=1, actor="alice")

        def other():
            try:
                editing.set_locked(plan_id, stop_ids[1], True, session=second, version=1, actor="bob")
                second.commit()
                outcome["second"] = "ok"
            except versions.StaleVersion as exc:
                outcome["second"] = ("stale", exc.current_version, [c["actor"] for c in exc.changes])
                second.rollback()
            except OperationalError:
                outcome["second"] = "busy"
                second.rollback()

        t = threading.Thread(target=other)
        t.start()
        t.join(0.5)  # the second writer waits for the first (row lock or database lock)
        first.commit()
        t.join(60)
    finally:
        first.close()
        second.close()
    if db_engine.dialect.name == "postgresql":
        assert outcome["second"] == ("stale", 2, ["alice"])
    else:
        assert outcome["second"] in (("stale", 2, ["alice"]), "busy")
    with session_scope(db_engine) as s:
        assert [(c.version, c.actor) for c in versions.changes_since(plan_id, 0, session=s)] == [(2, "alice")]


def test_a_prepared_reoptimisation_is_not_stored_onto_a_newer_version(session, fast, paris_network, plan):
    """The job's steps: read at a version, solve, store; an edit in between makes the store refuse and
    write nothing (the caller's transaction is then rolled back by the job)."""
    prep = reoptimise.prepare_reoptimise(plan.id, fast, paris_network, session=session, version=1, time_limit_s=2,
                                      lock=False)
    solution = resolve.solve_prepared(prep, fast)
    stop = visits(rounds_with_visits(plan)[0])[0]
    editing.set_locked(plan.id, stop.id, True, session=session, version=1, actor="bob")
    before = {s.id: (s.round_id, s.position) for r in plan.rounds for s in r.stops}
    with pytest.raises(versions.StaleVersion) as info:
        resolve_write.store_prepared(prep, solution, session=session, actor="alice")
    assert info.value.current_version == 2 and [c["actor"] for c in info.value.changes] == ["bob"]
    assert {s.id: (s.round_id, s.position) for r in plan.rounds for s in r.stops} == before
    assert plan.version == 2


def test_a_replan_is_not_stored_if_crews_reported_while_it_was_solved(session, fast, paris_network, plan):
    publish_plan(plan.id, session=session)
    rnd = max(rounds_with_visits(plan), key=lambda r: len(visits(r)))
    first, second = visits(rnd)[:2]
    record_stop_event(rnd.id, first.id, "collected", session=session, idempotency_key="k-replan-0", collected_m3=1.0)
    prep = replan.prepare_replan(plan.id, fast, paris_network, session=session, version=plan.version,
                                  at_s=11 * 3600, time_limit_s=2, lock=False)
    assert prep.kept[rnd.id] and first.id in prep.kept[rnd.id]
    solution = resolve.solve_prepared(prep, fast)
    record_stop_event(rnd.id, second.id, "collected", session=session, idempotency_key="k-replan-1",
                      collected_m3=1.0)
    with pytest.raises(Conflict, match="crews reported 1 stop"):
        resolve_write.store_prepared(prep, solution, session=session, actor="alice")
    assert plan.version == 2  # published, not re-planned
