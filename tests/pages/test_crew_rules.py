"""Crews follow the plan (issue 25, item 5): the stop's state machine, no update before the round's day,
volumes to confirm, flagged to the coordinator."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.field import crew_rules
from dispatch.field import events as driver
from dispatch.models import PickupRequest, PickupStatus, StopEvent, StopKind
from tests.pages.plan_data import DAY, build_plan

ON_THE_DAY = dt.datetime.combine(DAY, dt.time(9))  # naive UTC, 10:00 in Paris


@pytest.fixture
def rnd(session):
    from dispatch.demo import seed_demo

    seed_demo(DAY, session=session)
    return build_plan(session).rounds[0]


def _stop(rnd, kind):
    return next(s for s in rnd.stops if s.kind is kind)


def _send(session, rnd, stop, kind, key, **kw):
    return driver.record_stop_event(rnd.id, stop.id, kind, session=session, idempotency_key=key,
                                    at=kw.pop("at", ON_THE_DAY), **kw)


def test_collected_missed_collected_flip_is_refused(session, rnd):
    pickup = _stop(rnd, StopKind.PICKUP)
    _send(session, rnd, pickup, "arrived", "flip-0001")
    _send(session, rnd, pickup, "collected", "flip-0002", collected_m3=pickup.expected_m3)
    with pytest.raises(crew_rules.CrewRefusal) as refused:  # a change of outcome needs its reason
        _send(session, rnd, pickup, "missed", "flip-0003", reason="absent")
    assert refused.value.code == "correction_reason"
    corrected = _send(session, rnd, pickup, "missed", "flip-0004", reason="absent",
                      correction_reason="wrong button: the donor was not there")
    event = session.get(StopEvent, corrected.event_id)
    assert event.corrects_event_id is not None and event.correction_reason.startswith("wrong button")
    with pytest.raises(crew_rules.CrewRefusal) as refused:  # and back again: refused, whatever the reason
        _send(session, rnd, pickup, "collected", "flip-0005", collected_m3=1.0, correction_reason="no, it was done")
    assert refused.value.code == "corrected"
    # missed stands (the pickup was re-booked on the next collection day, not collected)
    assert session.get(PickupRequest, pickup.pickup_request_id).status is not PickupStatus.COLLECTED
    kinds = [e.kind.value for e in session.scalars(select(StopEvent).where(StopEvent.stop_id == pickup.id)
                                                   .order_by(StopEvent.id))]
    assert kinds == ["arrived", "collected", "missed"]


def test_arrivals_repeat_freely_and_do_not_change_the_outcome(session, rnd):
    relay = _stop(rnd, StopKind.RELAY_POINT)
    _send(session, rnd, relay, "collected", "arr-00001", collected_m3=1.0)
    _send(session, rnd, relay, "arrived", "arr-00002")  # a late "arrived" from a phone's queue
    assert driver.route_sheet(rnd, session=session).stops[0].last_event == "collected"


def test_no_update_before_the_rounds_day(session, rnd):
    relay = _stop(rnd, StopKind.RELAY_POINT)
    the_day_before = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(20))  # 21:00 in Paris
    with pytest.raises(crew_rules.CrewRefusal) as refused:
        _send(session, rnd, relay, "arrived", "early-001", at=the_day_before)
    assert refused.value.code == "before_day"
    # 23:30 UTC the day before is already 00:30 on the day in Paris: accepted
    _send(session, rnd, relay, "arrived", "early-002", at=dt.datetime.combine(DAY - dt.timedelta(days=1),
                                                                              dt.time(23, 30)))


def test_a_volume_far_above_the_expected_one_is_confirmed_then_flagged(session, rnd):
    relay = _stop(rnd, StopKind.RELAY_POINT)  # 1.2 m³ expected
    with pytest.raises(crew_rules.NeedsConfirmation) as asked:
        _send(session, rnd, relay, "collected", "vol-00001", collected_m3=21.0)
    assert asked.value.code == crew_rules.FLAG_OVER_CAPACITY or asked.value.code == crew_rules.FLAG_VOLUME_HIGH
    assert session.scalars(select(StopEvent).where(StopEvent.stop_id == relay.id)).first() is None
    with pytest.raises(crew_rules.NeedsConfirmation) as asked:
        _send(session, rnd, relay, "collected", "vol-00002", collected_m3=4.0)
    assert asked.value.code == crew_rules.FLAG_VOLUME_HIGH and asked.value.params["expected"] == 1.2
    done = _send(session, rnd, relay, "collected", "vol-00003", collected_m3=4.0, confirm=True)
    assert session.get(StopEvent, done.event_id).flag == crew_rules.FLAG_VOLUME_HIGH
    ordinary = _send(session, rnd, _stop_after(rnd, relay), "collected", "vol-00004", collected_m3=1.5)
    assert session.get(StopEvent, ordinary.event_id).flag is None


def _stop_after(rnd, stop):
    return next(s for s in rnd.stops if s.position > stop.position and s.kind is StopKind.RELAY_POINT)


def test_a_volume_above_the_room_left_in_the_van_is_confirmed(session, rnd):
    capacity = rnd.van.capacity_m3
    first = _stop(rnd, StopKind.RELAY_POINT)
    second = _stop_after(rnd, first)
    first.expected_m3 = second.expected_m3 = capacity  # big stops: only the van's room is in question
    _send(session, rnd, first, "collected", "cap-00001", collected_m3=capacity - 1.0)
    with pytest.raises(crew_rules.NeedsConfirmation) as asked:
        _send(session, rnd, second, "collected", "cap-00002", collected_m3=2.0)
    assert asked.value.code == crew_rules.FLAG_OVER_CAPACITY and asked.value.params["left"] == 1.0
    done = _send(session, rnd, second, "collected", "cap-00003", collected_m3=2.0, confirm=True)
    assert session.get(StopEvent, done.event_id).flag == crew_rules.FLAG_OVER_CAPACITY
