"""Slot offers by trial insertion into the day's plan (dispatch/pickups/slots.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.pickups import slots
from dispatch.demo import seed_demo
from dispatch.errors import InvalidInput
from dispatch.models import Crew, PickupRequest, PickupStatus, Plan, PlanStatus, RelayPoint, Round, Slot, Stop, StopKind, Van
from dispatch.planning.day import plan_day
from tests.api.conftest import anon_client, api_app, seeded  # noqa: F401 - fixtures (the endpoint is public)

DAY = dt.date(2026, 12, 1)  # Tuesday: the demo's pickups
WED, THU, FRI = (DAY + dt.timedelta(days=i) for i in (1, 2, 3))
TODAY = DAY - dt.timedelta(days=7)
DONOR = (48.8790, 2.3790)  # rue de Belleville area, 19e/20e


@pytest.fixture
def demo(session):
    seed_demo(DAY, session=session)
    return session


def _one_round_plan(session, day: dt.date, *, load_m3: float, depart: dt.time = dt.time(8, 0)) -> Round:
    """A draft plan of one round: the depot, one relay point at opening, back to the depot."""
    van = session.scalars(select(Van).order_by(Van.capacity_m3, Van.id)).first()
    crew = session.scalars(select(Crew).where(Crew.van_id == van.id)).first()
    rp = session.scalars(select(RelayPoint).order_by(RelayPoint.id)).first()
    start = dt.datetime.combine(day, depart)
    plan = Plan(date=day, status=PlanStatus.DRAFT)
    rnd = Round(plan=plan, van=van, crew=crew, start_at=start, end_at=start + dt.timedelta(hours=1),
                distance_m=5000, duration_s=3600, load_m3=load_m3)
    rnd.stops.append(Stop(position=1, kind=StopKind.RELAY_POINT, relay_point_id=rp.id,
                          planned_arrival=start + dt.timedelta(minutes=20), service_s=600,
                          window_start=dt.datetime.combine(day, dt.time(7)),
                          window_end=dt.datetime.combine(day, dt.time(20)), expected_m3=load_m3,
                          load_after_m3=load_m3))
    session.add(plan)
    session.flush()
    return rnd


def _offers(session, settings, network, day, volume=3.0, days=1):
    return {o.slot: o for o in slots.offer_slots(*DONOR, volume, day, days, session=session, settings=settings,
                                                 network=network, today=TODAY)}


def test_a_slot_that_fits_is_offered_with_its_cost(demo, settings, paris_network):
    rnd = _one_round_plan(demo, WED, load_m3=2.0)
    offers = _offers(demo, settings, paris_network, WED)
    for slot in ("morning", "afternoon"):
        o = offers[slot]
        assert o.available and o.checked == "insertion" and o.round_id == rnd.id and o.plan_id == rnd.plan_id
        assert o.extra_km > 0
        # At least the service time of a 3 m³ pickup (10 min + 5 min/m³) is added to the crew's day.
        assert o.extra_minutes >= (settings.pickup_service_fixed_s + 3 * settings.pickup_service_per_m3_s) / 60


def test_a_nearly_full_van_takes_the_pickup_after_an_unloading_trip_as_the_planner_would(demo, settings,
                                                                                         paris_network):
    """The planner sends a full van back to its depot to unload (``max_unloads``): an offer must count on
    that trip too, not refuse the slot as "over capacity" (slot offers used to time rounds their own way)."""
    rnd = _one_round_plan(demo, WED, load_m3=0.0)
    rnd.stops[0].expected_m3 = rnd.van.capacity_m3 - 1  # the van is nearly full after its one relay point
    demo.flush()
    assert settings.max_unloads >= 1
    offers = _offers(demo, settings, paris_network, WED)
    cheap = _offers(demo, settings, paris_network, WED, volume=0.5)
    for slot in ("morning", "afternoon"):
        assert offers[slot].available and offers[slot].checked == "insertion", offers[slot]
        # The unloading trip (20 min at the depot) is part of the cost; a donation that fits needs none.
        assert offers[slot].extra_minutes >= cheap[slot].extra_minutes + settings.unload_service_s / 60
    # Without unloading trips the van cannot take it; a smaller donation still fits.
    no_unloads = settings.model_copy(update={"max_unloads": 0})
    for o in _offers(demo, no_unloads, paris_network, WED).values():
        assert not o.available and o.checked == "insertion" and o.reason == "no_room_in_plan"
        assert "over capacity" in o.detail
    assert all(o.available for o in _offers(demo, no_unloads, paris_network, WED, volume=0.5).values())


def test_a_slot_is_offered_only_to_a_crew_that_has_what_the_visit_needs(demo, settings, paris_network):
    """A pickup on a 5th floor without a lift needs two people (the bundled rules): a one-person crew's round
    cannot take it, as the planner would never give it one."""
    rnd = _one_round_plan(demo, WED, load_m3=1.0)
    rnd.crew.members = ["Alex"]
    demo.flush()
    heavy = PickupRequest(floor=5, has_lift=False, volume_m3=3.0)
    offers = {o.slot: o for o in slots.offer_slots(*DONOR, 3.0, WED, 1, session=demo, settings=settings,
                                                   network=paris_network, today=TODAY, site=heavy)}
    assert not any(o.available for o in offers.values())
    assert all("what the visit needs" in o.detail for o in offers.values())
    rnd.crew.members = ["Alex", "Sam"]
    demo.flush()
    offers = {o.slot: o for o in slots.offer_slots(*DONOR, 3.0, WED, 1, session=demo, settings=settings,
                                                   network=paris_network, today=TODAY, site=heavy)}
    assert all(o.available for o in offers.values())


def test_the_slot_window_is_respected(demo, settings, paris_network):
    rnd = _one_round_plan(demo, WED, load_m3=1.0, depart=dt.time(11, 59))
    rnd.crew.shift_start_min = 11 * 60 + 59  # the crew starts just before noon
    demo.flush()
    offers = _offers(demo, settings, paris_network, WED)
    assert not offers["morning"].available and "time window" in offers["morning"].detail
    assert offers["afternoon"].available


def test_without_a_plan_the_rules_and_booked_capacity_decide(demo, settings, paris_network):
    offers = _offers(demo, settings, paris_network, THU)
    assert all(o.available and o.checked == "rules_only" for o in offers.values())
    for i in range(8):  # the morning slot's capacity (default rules)
        demo.add(PickupRequest(ref=f"PU-T{i:04d}", donor_name="x", phone="0600000000", address="a", postcode="75019",
                               lat=48.88, lon=2.37, volume_m3=2.0, date=THU, slot=Slot.MORNING,
                               status=PickupStatus.ACCEPTED))
    demo.flush()
    offers = _offers(demo, settings, paris_network, THU)
    assert not offers["morning"].available and offers["morning"].reason == "slot_full"
    assert offers["afternoon"].available
    # The demo day itself is fully booked, and a Sunday is not listed at all.
    listed = slots.offer_slots(*DONOR, 3.0, DAY, 6, session=demo, settings=settings, network=paris_network, today=TODAY)
    assert {o.reason for o in listed if o.date == DAY} == {"day_full"}
    assert dt.date(2026, 12, 6) not in {o.date for o in listed}


def test_every_round_of_a_solved_plan_re_times_so_insertion_can_be_judged(demo, settings, paris_network):
    from dispatch.planning.insertion import TrialPlan, new_pickup

    plan = plan_day(DAY, settings, paris_network, session=demo, time_limit_s=2, seed=1)
    trial = TrialPlan(plan, new_pickup(*DONOR, 0.2, 60, settings), settings=settings, network=paris_network,
                      session=demo)
    ins = trial.insert((13 * 3600, 16 * 3600))
    assert ins.feasible or "round_not_retimable" not in (ins.failures or {})
    huge = TrialPlan(plan, new_pickup(*DONOR, 500.0, 600, settings), settings=settings, network=paris_network,
                     session=demo)
    ins = huge.insert((8 * 3600, 12 * 3600))
    assert not ins.feasible and "round_not_retimable" not in ins.failures and ins.failures.get("capacity")


def test_bad_input_is_refused(demo, settings, paris_network):
    with pytest.raises(InvalidInput) as exc:
        slots.offer_slots(48.70, 2.10, 3.0, WED, 3, session=demo, settings=settings, network=paris_network, today=TODAY)
    assert exc.value.field == "lat"
    with pytest.raises(InvalidInput) as exc:
        slots.offer_slots(*DONOR, 3.0, WED, 0, session=demo, settings=settings, network=paris_network, today=TODAY)
    assert exc.value.field == "days"


def test_the_endpoint_is_public_and_validates(anon_client):  # noqa: F811
    r = anon_client.get("/api/v1/pickup-slots", params={"lat": DONOR[0], "lon": DONOR[1], "volume_m3": 3, "days": 3})
    assert r.status_code == 200, r.text
    assert r.json() and all({"date", "slot", "available", "checked", "reason"} <= set(o) for o in r.json())
    assert anon_client.get("/api/v1/pickup-slots", params={"lat": DONOR[0], "lon": DONOR[1],
                                                           "volume_m3": -1}).status_code == 422
    bad = anon_client.get("/api/v1/pickup-slots", params={"lat": 48.70, "lon": 2.10, "volume_m3": 3})
    assert bad.status_code == 422 and bad.json()["field"] == "lat"


def test_a_far_away_start_date_is_refused_not_crashed(anon_client):  # noqa: F811
    r = anon_client.get("/api/v1/pickup-slots", params={"lat": DONOR[0], "lon": DONOR[1], "volume_m3": 3,
                                                       "from": "9999-12-30", "days": 31})
    assert r.status_code == 422 and r.json()["field"] == "from"


def test_alternatives_are_only_slots_that_still_fit_the_days_plans(demo, settings, paris_network):
    """The rules' calendar would offer Wednesday (nothing booked there), but Wednesday's plan has its van
    nearly full and may not unload: the alternatives checked by trial insertion skip it; Thursday (no plan
    yet) stays."""
    from dispatch.pickups import rule_decision, rules
    from dispatch.pickups.requests import rules_config

    settings = settings.model_copy(update={"max_unloads": 0})
    rnd = _one_round_plan(demo, WED, load_m3=0.0)
    rnd.stops[0].expected_m3 = rnd.van.capacity_m3 - 1
    demo.flush()
    config = rules_config(settings)
    ctx = rule_decision.RuleContext(today=TODAY, largest_van_m3=20.0, in_graph_area=lambda *_: True)
    calendar = rules.next_slots(config, ctx, from_day=WED, count=4)
    assert calendar[:2] == [(WED, "morning"), (WED, "afternoon")]  # what the calendar alone would offer
    checked = slots.with_trial_insertion(ctx, *DONOR, 3.0, session=demo, settings=settings, network=paris_network)
    offered = rules.next_slots(config, checked, from_day=WED, count=4)
    assert offered == [(THU, "morning"), (THU, "afternoon"), (FRI, "morning"), (FRI, "afternoon")]
    assert checked.slot_fits.offer(WED, "morning").reason == "no_room_in_plan"
    assert checked.slot_fits.offer(THU, "morning").checked == "rules_only"
    # A small donation still fits Wednesday's van: offered there.
    small = slots.with_trial_insertion(ctx, *DONOR, 0.5, session=demo, settings=settings, network=paris_network)
    assert rules.next_slots(config, small, from_day=WED, count=1) == [(WED, "morning")]
    # A position off the map fits no planned day, and nothing is raised.
    off = slots.with_trial_insertion(ctx, 48.70, 2.10, 0.5, session=demo, settings=settings, network=paris_network)
    assert rules.next_slots(config, off, from_day=WED, count=1) == [(THU, "morning")]


def test_a_pickup_moved_to_another_slot_of_its_day_is_not_counted_twice(demo, settings, paris_network):
    """Moving a booked pickup from the morning to the afternoon of its planned day: the trial takes it out of
    its round first, or the van (which may not unload here) would seem to carry it twice."""
    from dispatch.planning.insertion import TrialPlan, new_pickup

    settings = settings.model_copy(update={"max_unloads": 0})
    rnd = _one_round_plan(demo, WED, load_m3=0.0)
    rnd.stops[0].expected_m3 = rnd.van.capacity_m3 - 4
    pu = PickupRequest(ref="PU-MOVE0001", donor_name="x", phone="0600000000", address="a", postcode="75019",
                       lat=DONOR[0], lon=DONOR[1], volume_m3=3.0, date=WED, slot=Slot.MORNING,
                       status=PickupStatus.SCHEDULED)
    demo.add(pu)
    demo.flush()
    rnd.stops.append(Stop(position=2, kind=StopKind.PICKUP, pickup_request_id=pu.id, service_s=900,
                          planned_arrival=dt.datetime.combine(WED, dt.time(9)),
                          window_start=dt.datetime.combine(WED, dt.time(8)),
                          window_end=dt.datetime.combine(WED, dt.time(12)), expected_m3=3.0, load_after_m3=0.0))
    demo.flush()
    afternoon = (13 * 3600, 16 * 3600)
    moved = new_pickup(pu.lat, pu.lon, pu.volume_m3, 900, settings, site=pu)
    twice = TrialPlan(rnd.plan, moved, settings=settings, network=paris_network, session=demo).insert(afternoon)
    assert not twice.feasible and twice.failures.get("capacity")
    once = TrialPlan(rnd.plan, moved, settings=settings, network=paris_network, session=demo,
                     leaving=f"pu:{pu.id}").insert(afternoon)
    assert once.feasible and once.round_id == rnd.id
    # The slot offers to move it say the same.
    offers = {o.slot: o for o in slots.offer_slots(*DONOR, 3.0, WED, 1, session=demo, settings=settings,
                                                   network=paris_network, today=TODAY, site=pu)}
    assert offers["afternoon"].available, offers["afternoon"]
