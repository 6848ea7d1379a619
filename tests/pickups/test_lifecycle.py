"""Home-pickup lifecycle: history, a missed visit re-scheduled on the next possible day, donor tracking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.fleet import pickup_lifecycle
from dispatch.field import events as driver
from dispatch.demo import seed_demo
from dispatch.models import (
    Crew,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    Round,
    Slot,
    Stop,
    StopKind,
    Van,
)
from dispatch.pickups.requests import PickupInput, create_pickup, rules_config
from dispatch.pickups.rule_decision import RuleContext
from tests.api.conftest import PLAN_DAY, anon_client, api_app, seeded  # noqa: F401 - fixtures (tracking is public)

DAY = PLAN_DAY  # Tuesday 1 December 2026
WED, THU = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)


@pytest.fixture
def demo(session):
    seed_demo(DAY, session=session)
    return session


def _published_round_with(session, day: dt.date, pickup: PickupRequest) -> tuple[Round, Stop]:
    van = session.scalars(select(Van).order_by(Van.id)).first()
    crew = session.scalars(select(Crew).where(Crew.van_id == van.id)).first()
    at = dt.datetime.combine(day, dt.time(9))
    plan = Plan(date=day, status=PlanStatus.PUBLISHED)
    rnd = Round(plan=plan, van=van, crew=crew, start_at=at, end_at=at + dt.timedelta(hours=2), distance_m=1000,
                duration_s=3600, load_m3=pickup.volume_m3)
    stop = Stop(position=1, kind=StopKind.PICKUP, pickup_request_id=pickup.id, planned_arrival=at, service_s=600,
                expected_m3=pickup.volume_m3)
    rnd.stops.append(stop)
    session.add(plan)
    session.flush()
    pickup.status = PickupStatus.SCHEDULED
    return rnd, stop


def _filler(session, day: dt.date, slot: Slot, n: int) -> None:
    for i in range(n):
        session.add(PickupRequest(
            ref=f"PU-F{day:%d}{slot.value[0]}{i:02d}", donor_name="x", phone="0600000000", address="a",
            postcode="75019", lat=48.88, lon=2.37, volume_m3=2.0, date=day, slot=slot, status=PickupStatus.ACCEPTED,
        ))
    session.flush()


def _first_pickup(session, slot: Slot = Slot.MORNING) -> PickupRequest:
    return session.scalars(select(PickupRequest).where(PickupRequest.date == DAY, PickupRequest.slot == slot)
                           .order_by(PickupRequest.id)).first()


def _miss(session, rnd: Round, stop: Stop, key: str = "miss-0001") -> None:
    # recorded during the round's day (crews cannot record a stop before it: dispatch/field/crew_rules.py)
    at = dt.datetime.combine(rnd.plan.date, dt.time(10))
    driver.record_stop_event(rnd.id, stop.id, "missed", session=session, idempotency_key=key, reason="absent",
                             note="personne à l'interphone", at=at)


def test_a_missed_pickup_is_rescheduled_on_the_next_collection_day_in_the_same_slot(demo):
    pu = _first_pickup(demo)
    rnd, stop = _published_round_with(demo, DAY, pu)
    _miss(demo, rnd, stop)
    assert pu.status is PickupStatus.ACCEPTED
    assert (pu.date, pu.slot) == (WED, Slot.MORNING)
    assert pu.reschedule_count == 1 and "missed visit of 2026-12-01" in pu.status_reason
    history = pickup_lifecycle.pickup_history(pu.id, session=demo)
    assert [e.status for e in history][-2:] == [PickupStatus.MISSED, PickupStatus.ACCEPTED]
    assert history[-2].date == DAY and "absent" in history[-2].detail
    assert history[-1].date == WED and history[-1].slot is Slot.MORNING
    # A repeat of the same update changes nothing (no second rescheduling).
    _miss(demo, rnd, stop)
    assert (pu.date, pu.reschedule_count) == (WED, 1)


def test_a_full_slot_moves_it_to_the_other_slot_then_to_the_next_day(demo):
    config = rules_config_default()
    pu = _first_pickup(demo)
    rnd, stop = _published_round_with(demo, DAY, pu)
    _filler(demo, WED, Slot.MORNING, config.slot_capacity["morning"])
    _miss(demo, rnd, stop)
    assert (pu.date, pu.slot) == (WED, Slot.AFTERNOON)


def test_a_day_whose_plan_is_published_or_full_is_skipped(demo):
    config = rules_config_default()
    pu = _first_pickup(demo, Slot.AFTERNOON)
    rnd, stop = _published_round_with(demo, DAY, pu)
    other = _first_pickup(demo)
    _published_round_with(demo, WED, other)  # Wednesday's plan is already out: nothing can be added
    _filler(demo, THU, Slot.MORNING, config.slot_capacity["morning"])
    _filler(demo, THU, Slot.AFTERNOON, config.daily_capacity - config.slot_capacity["morning"])  # Thursday full
    _miss(demo, rnd, stop)
    assert (pu.date, pu.slot) == (THU + dt.timedelta(days=1), Slot.AFTERNOON)


def test_sunday_and_holidays_are_never_chosen(demo):
    pu = _first_pickup(demo)
    pu.date = dt.date(2026, 12, 24)  # Thursday; 25 December is a holiday, 27 a Sunday
    rnd, stop = _published_round_with(demo, pu.date, pu)
    _filler(demo, dt.date(2026, 12, 26), Slot.MORNING, 8)
    _filler(demo, dt.date(2026, 12, 26), Slot.AFTERNOON, 8)
    _miss(demo, rnd, stop)
    assert pu.date == dt.date(2026, 12, 28) and pu.slot is Slot.MORNING


def rules_config_default():
    from dispatch.settings import Settings

    return rules_config(Settings(_env_file=None))


def test_history_from_request_to_collection(demo):
    config = rules_config_default()
    ctx = RuleContext(today=DAY - dt.timedelta(days=7), largest_van_m3=20.0, in_graph_area=lambda *_: True)
    record, decision = create_pickup(PickupInput(
        donor_name="Mme Test", phone="06 11 22 33 44", address="3 rue de Belleville", postcode="75020",
        lat=48.8722, lon=2.3770, volume_m3=3.0, date=DAY, slot=Slot.MORNING, categories=("furniture",), floor=0,
    ), config=config, ctx=ctx, session=demo)
    assert decision.accepted
    rnd, stop = _published_round_with(demo, DAY, record)
    driver.record_stop_event(rnd.id, stop.id, "collected", session=demo, idempotency_key="coll-0001",
                             collected_m3=2.5)
    statuses = [e.status.value for e in pickup_lifecycle.pickup_history(record.id, session=demo)]
    assert statuses == ["requested", "accepted", "collected"]
    view = pickup_lifecycle.tracking_view(record, session=demo)
    assert view["status"] == "collected" and "Merci" in view["status_text_fr"]
    assert "donor_name" not in view and "phone" not in str(view)


# ------------------------------------------------------------------ the donor's tracking endpoint and page


def _tracked(seeded_engine) -> tuple[str, str]:  # noqa: F811
    from dispatch.db import session_scope

    with session_scope(seeded_engine) as s:
        pu = s.scalars(select(PickupRequest).order_by(PickupRequest.id)).first()
        digits = "".join(c for c in pu.phone if c.isdigit())
        return pu.ref, digits[-4:]


def test_tracking_endpoint_needs_the_right_phone_digits(anon_client, seeded):  # noqa: F811
    client = anon_client
    ref, last4 = _tracked(seeded)
    ok = client.get(f"/api/v1/pickups/track/{ref}", params={"phone_last4": last4})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["ref"] == ref and body["status"] == "accepted" and body["date"] == DAY.isoformat()
    assert "enlèvement prévu le mardi 1er décembre 2026" in body["status_text_fr"]
    assert set(body) == {"ref", "date", "slot", "status", "rescheduled", "status_text_fr", "status_text_en", "history"}
    wrong = "0000" if last4 != "0000" else "1111"
    bad = client.get(f"/api/v1/pickups/track/{ref}", params={"phone_last4": wrong})
    unknown = client.get("/api/v1/pickups/track/PU-NOPE0000", params={"phone_last4": last4})
    assert bad.status_code == unknown.status_code == 404
    assert bad.json()["detail"] == unknown.json()["detail"]
    assert client.get(f"/api/v1/pickups/track/{ref}", params={"phone_last4": "12a4"}).status_code == 422


def test_tracking_page_in_french(anon_client, seeded):  # noqa: F811
    client = anon_client
    ref, last4 = _tracked(seeded)
    form = client.get("/suivi")
    assert form.status_code == 200 and "Suivre mon enlèvement" in form.text
    page = client.post("/suivi", data={"ref": ref.lower(), "tel": last4})
    assert page.status_code == 200 and "Demande acceptée" in page.text and ref in page.text
    wrong = "0000" if last4 != "0000" else "1111"
    miss = client.post("/suivi", data={"ref": ref, "tel": wrong})
    assert miss.status_code == 404 and "Aucune demande" in miss.text
