"""Slots offered to donors and the switchboard on the /donner pages are checked by trial insertion into
the days' plans; the coordinator's day page lists the vans and crews out (no browser needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.api.conftest import PLAN_DAY
from dispatch.workdays import local_today

DONOR = {"lat": 48.8721, "lon": 2.3770}


@pytest.fixture
def settings(settings):
    """Vans that may not go back to unload mid-day: a nearly full van then has no room left for a donation
    (with unloading trips allowed, the trial insertion would send it to the depot first, as the planner does)."""
    return settings.model_copy(update={"max_unloads": 0})


def _full_plan_on_the_first_open_day(client, db_engine) -> dt.date:
    """The first day the rules' calendar offers gets a draft whose only round has its van nearly full."""
    from dispatch.pickups import rules
    from dispatch.db import session_scope
    from dispatch.models import Crew, Plan, PlanStatus, RelayPoint, Round, Stop, StopKind, Van
    from dispatch.pickups.requests import rule_context, rules_config

    settings = client.app.state.settings
    # the product's today is Paris's (the API's routers): after 23:00 UTC in winter, tomorrow in UTC terms
    today = local_today(settings.timezone)
    with session_scope(db_engine) as s:
        ctx = rule_context(session=s, settings=settings, network=None, today=today)
        day = rules.next_slots(rules_config(settings), ctx, from_day=ctx.today, count=1)[0][0]
        van = s.scalars(select(Van).order_by(Van.capacity_m3, Van.id)).first()
        crew = s.scalars(select(Crew).where(Crew.van_id == van.id)).first()
        rp = s.scalars(select(RelayPoint).order_by(RelayPoint.id)).first()
        start = dt.datetime.combine(day, dt.time(8))
        full = van.capacity_m3 - 1
        plan = Plan(date=day, status=PlanStatus.DRAFT)
        rnd = Round(plan=plan, van=van, crew=crew, start_at=start, end_at=start + dt.timedelta(hours=1),
                    distance_m=5000, duration_s=3600, load_m3=full)
        rnd.stops.append(Stop(position=1, kind=StopKind.RELAY_POINT, relay_point_id=rp.id,
                              planned_arrival=start + dt.timedelta(minutes=20), service_s=600,
                              window_start=dt.datetime.combine(day, dt.time(7)),
                              window_end=dt.datetime.combine(day, dt.time(20)), expected_m3=full,
                              load_after_m3=full))
        s.add(plan)
    return day


def _form(**over):
    data = {"donor_name": "Mme Durand", "phone": "0612345678", "address": "12 rue de Belleville",
            "postcode": "75020", "volume_m3": "3.5", "date": "2020-01-02", "slot": "morning",
            "categories": ["books"], "floor": "0", **{k: str(v) for k, v in DONOR.items()}}
    data.update(over)
    return data


def test_refusal_alternatives_skip_a_planned_day_whose_vans_are_full(client, db_engine):
    """The earliest bookable day has a plan whose only van is nearly full: the rules' calendar would offer
    it first, the API's answer does not (checked by trial insertion); days without a plan are still offered."""
    earliest = _full_plan_on_the_first_open_day(client, db_engine)
    body = client.post("/api/v1/pickup-requests", json={
        "donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville, 75020 Paris",
        "postcode": "75020", **DONOR, "volume_m3": 3.5, "date": "2020-01-02", "slot": "morning",
        "categories": ["books"], "floor": 0}).json()
    assert body["status"] == "refused" and [r["code"] for r in body["reasons"]] == ["date_too_soon"]
    offered = [(a["date"], a["slot"]) for a in body["alternatives"]]
    assert offered and all(d != earliest.isoformat() for d, _ in offered)
    assert offered[0][0] > earliest.isoformat()
    # The same donation offered by the slots endpoint agrees: no room on that day.
    slots = client.get("/api/v1/pickup-slots", params={**DONOR, "volume_m3": 3.5, "from": earliest.isoformat(),
                                                       "days": 1}).json()
    assert slots and all(not o["available"] and o["reason"] == "no_room_in_plan" for o in slots)


def test_the_donor_form_offers_only_slots_that_fit_the_days_plans(client, anon_client, db_engine):
    full_day = _full_plan_on_the_first_open_day(client, db_engine)
    # Sent with a date too soon: refused, with the slots where we can still come (not the full day).
    page = anon_client.post("/donner?lang=en", data=_form())
    assert page.status_code == 200 and 'data-accepted="false"' in page.text
    assert 'id="alternatives"' in page.text and "Slots where we can still come" in page.text
    offered = [line.split('data-date="')[1][:10] for line in page.text.splitlines() if 'data-date="' in line]
    assert offered and full_day.isoformat() not in offered and min(offered) > full_day.isoformat()
    # The live check says the same while the form is being filled in.
    live = anon_client.post("/donner/verifier", json={"volume_m3": 3.5, "date": "2020-01-02", "slot": "morning",
                                                      **DONOR, "postcode": "75020"})
    body = live.json()
    assert not body["ok"] and body["alternatives"]
    assert full_day.isoformat() not in {a["date"] for a in body["alternatives"]}
    assert all(a["label"] for a in body["alternatives"])
    # The form opened at that position proposes a date that fits, not the full day.
    form = anon_client.get("/donner", params=DONOR)
    assert form.status_code == 200
    proposed = form.text.split('name="date" value="')[1][:10]
    assert proposed != full_day.isoformat() and proposed > dt.date.today().isoformat()


def test_the_day_page_lists_vans_out_and_why(client_as, db_engine):
    from dispatch.fleet import calendars
    from dispatch.db import session_scope
    from dispatch.models import Van

    with session_scope(db_engine) as s:
        van = s.scalars(select(Van).order_by(Van.id)).first()
        calendars.add_unavailability("van", van.id, PLAN_DAY, PLAN_DAY, "contrôle technique", session=s)
        name = van.name
    coordinator = client_as("coordinator")
    fr = coordinator.get(f"/jour/{PLAN_DAY.isoformat()}")
    assert fr.status_code == 200, fr.text
    assert "Camions et équipes indisponibles (1)" in fr.text and f"camion {name} indisponible" in fr.text
    assert "contrôle technique" in fr.text
    en = coordinator.get(f"/jour/{PLAN_DAY.isoformat()}?lang=en")
    assert "Vans and crews unavailable (1)" in en.text and f"van {name} is unavailable from" in en.text


def test_a_request_for_a_planned_day_it_no_longer_fits_is_refused_with_slots_that_fit(client, db_engine):
    full_day = _full_plan_on_the_first_open_day(client, db_engine)
    body = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville",
            "postcode": "75020", **DONOR, "volume_m3": 3.5, "date": full_day.isoformat(), "slot": "morning",
            "categories": ["books"], "floor": 0}
    r = client.post("/api/v1/pickup-requests?lang=en", json=body)
    assert r.status_code == 201, r.text
    refused = r.json()
    assert refused["status"] == "refused"
    assert [x["code"] for x in refused["reasons"]] == ["no_room_in_plan"], refused["reasons"]
    assert refused["reasons"][0]["field"] == "slot" and "already planned" in refused["reasons"][0]["message"]
    offered = {a["date"] for a in refused["alternatives"]}
    assert offered and full_day.isoformat() not in offered
    # the switchboard may still accept it (the coordinator then re-plans the day), with a recorded reason
    r = client.post(f"/api/v1/pickup-requests/{refused['id']}/override",
                    json={"by": "Awa (standard)", "reason": "donneur prioritaire, tournée à replanifier"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
