"""Cancelling and moving a home pickup: the slot is freed, the visit leaves the day's draft or published plan
with a recorded plan change, the crew's sheet follows, the rules are checked again, the history keeps it all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.field import events as driver
from dispatch.fleet import pickup_lifecycle
from dispatch.pickups import changes as pickup_changes
from dispatch.demo import seed_demo
from dispatch.errors import Conflict, InvalidInput
from dispatch.models import PickupRequest, PickupStatus, PlanChange, Slot, StopKind
from dispatch.pickups.requests import booked_slots
from dispatch.planning.day import plan_day
from dispatch.planning.plans import publish_plan

DAY = dt.date(2026, 12, 1)  # Tuesday
TODAY = dt.date(2026, 11, 24)
MONDAY = dt.date(2026, 12, 7)


@pytest.fixture
def fast(settings):
    return settings.model_copy(update={"solve_solution_limit": 40})


@pytest.fixture
def plan(session, fast, paris_network):
    seed_demo(DAY, session=session)
    return plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)


def _pickup_in_a_round(plan):
    return next(s for r in plan.rounds for s in r.stops if s.kind is StopKind.PICKUP)


def _keys(plan):
    return {s.pickup_request_id for r in plan.rounds for s in r.stops if s.kind is StopKind.PICKUP} | {
        u.pickup_request_id for u in plan.unassigned if u.pickup_request_id}


def test_cancelling_frees_the_slot_and_takes_the_visit_out_of_the_draft(session, plan, fast, paris_network):
    stop = _pickup_in_a_round(plan)
    pu = stop.pickup_request
    version = plan.version
    before = booked_slots(session=session, start=DAY, end=DAY)[(DAY, pu.slot.value)]
    changed = pickup_changes.cancel_pickup(pu, fast, paris_network, session=session, actor="standard:amina",
                                           reason="le donateur a vendu son armoire")
    assert changed == [plan.id]
    session.refresh(plan)
    assert pu.status is PickupStatus.CANCELLED
    assert pu.id not in _keys(plan)  # neither in a round nor left unassigned
    assert plan.version == version + 1 and plan.solver_status == "solved"
    change = session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id)
                             .order_by(PlanChange.id.desc())).first()
    assert change.op == "cancel_pickup" and change.actor == "standard:amina"
    assert change.detail["ref"] == pu.ref and change.detail["reason"] == "le donateur a vendu son armoire"
    assert booked_slots(session=session, start=DAY, end=DAY).get((DAY, pu.slot.value), 0) == before - 1
    history = pickup_lifecycle.pickup_history(pu.id, session=session)
    assert history[-1].status is PickupStatus.CANCELLED and "standard:amina" in history[-1].detail
    # the round was re-timed: its stops are numbered from 1 with no hole and its load dropped
    rnd = next(r for r in plan.rounds if r.id == change.detail["round_id"])
    assert [s.position for s in rnd.stops] == list(range(1, len(rnd.stops) + 1))
    assert rnd.load_m3 == pytest.approx(sum(s.expected_m3 for s in rnd.stops))


def test_cancelling_in_a_published_plan_updates_the_crews_sheet(session, plan, fast, paris_network):
    publish_plan(plan.id, session=session, accept_unassigned=True, actor="coord")
    stop = _pickup_in_a_round(plan)
    rnd, pu = stop.round, stop.pickup_request
    kept = [(s.id, s.planned_arrival) for s in rnd.stops if s.id != stop.id]
    pickup_changes.cancel_pickup(pu, fast, paris_network, session=session, actor="donor")
    sheet = driver.route_sheet(rnd, session=session)
    assert stop.id not in [s.stop_id for s in sheet.stops]
    assert [(s.id, s.planned_arrival) for s in rnd.stops] == kept  # the others keep the times the crew was given
    change = session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id)
                             .order_by(PlanChange.id.desc())).first()
    assert change.op == "cancel_pickup" and change.detail["stop_id"] == stop.id


def test_a_visit_the_crew_reported_at_or_a_collected_pickup_cannot_be_cancelled(session, plan, fast, paris_network):
    publish_plan(plan.id, session=session, accept_unassigned=True, actor="coord")
    stop = _pickup_in_a_round(plan)
    driver.record_stop_event(stop.round_id, stop.id, "arrived", session=session, idempotency_key="arrive-0001")
    with pytest.raises(Conflict, match="already reported"):
        pickup_changes.cancel_pickup(stop.pickup_request, fast, paris_network, session=session, actor="donor")
    driver.record_stop_event(stop.round_id, stop.id, "collected", session=session, idempotency_key="coll-00001",
                             collected_m3=2.0)
    with pytest.raises(Conflict, match="collected"):
        pickup_changes.cancel_pickup(stop.pickup_request, fast, paris_network, session=session, actor="donor")


def test_moving_a_pickup_checks_the_rules_again_and_leaves_the_old_draft(session, plan, fast, paris_network):
    stop = _pickup_in_a_round(plan)
    pu = stop.pickup_request
    with pytest.raises(InvalidInput, match="not a collection day|Sunday|dimanche|collection"):
        pickup_changes.reschedule_pickup(pu, dt.date(2026, 12, 6), "morning", fast, paris_network, session=session,
                                         actor="standard", today=TODAY)
    assert (pu.date, pu.status) == (DAY, PickupStatus.SCHEDULED)  # refused: nothing changed
    assert pu.id in _keys(plan)
    pickup_changes.reschedule_pickup(pu, MONDAY, Slot.AFTERNOON, fast, paris_network, session=session,
                                     actor="standard", today=TODAY, reason="absent mardi")
    session.refresh(plan)
    assert (pu.date, pu.slot, pu.status) == (MONDAY, Slot.AFTERNOON, PickupStatus.ACCEPTED)
    assert pu.id not in _keys(plan)
    last = pickup_lifecycle.pickup_history(pu.id, session=session)[-1]
    assert last.status is PickupStatus.ACCEPTED and last.date == MONDAY and "absent mardi" in last.detail
    assert booked_slots(session=session, start=MONDAY, end=MONDAY)[(MONDAY, "afternoon")] == 1


def test_a_full_slot_is_refused_when_moving(session, plan, fast, paris_network):
    pu = _pickup_in_a_round(plan).pickup_request
    for i in range(12):
        session.add(PickupRequest(ref=f"PU-FULL{i:03d}", donor_name="x", phone="0600000000", address="a",
                                  postcode="75019", lat=48.88, lon=2.37, volume_m3=2.0, date=MONDAY,
                                  slot=Slot.MORNING, status=PickupStatus.ACCEPTED))
    session.flush()
    with pytest.raises(InvalidInput, match="free:"):
        pickup_changes.reschedule_pickup(pu, MONDAY, "morning", fast, paris_network, session=session,
                                         actor="standard", today=TODAY)
    assert pu.date == DAY
