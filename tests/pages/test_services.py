"""Links, stop events, relay-point flags and translations (services, no browser)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dispatch.fleet import calendars, pickup_lifecycle
from dispatch.field import events as driver
from dispatch.documents import i18n
from dispatch.field import links
from dispatch.errors import Conflict, InvalidInput
from dispatch.models import PickupStatus, PlanStatus, RelayPoint, ReportSource, StockReport, StopEvent, StopKind, utcnow
from tests.pages.plan_data import DAY, build_plan

KEY = b"test-key"


@pytest.fixture
def plan(session):
    from dispatch.demo import seed_demo

    seed_demo(DAY, session=session)
    return build_plan(session)


def test_round_token_round_trip_forgery_and_expiry() -> None:
    expires = links.round_link_expiry(DAY)
    assert expires == dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)  # end of day in Paris (UTC+1) + 12 h
    token = links.make_round_token(42, expires, KEY)
    now = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    assert links.read_round_token(token, KEY, now=now) == 42
    with pytest.raises(links.LinkInvalid):
        links.read_round_token(token, b"other-key", now=now)
    forged = token.replace("42.", "43.", 1)
    with pytest.raises(links.LinkInvalid):
        links.read_round_token(forged, KEY, now=now)
    with pytest.raises(links.LinkInvalid, match="expired"):
        links.read_round_token(token, KEY, now=expires + dt.timedelta(seconds=1))
    for bad in ("", "x", "1.2", "a.b.c", "1.2.3.4"):
        with pytest.raises(links.LinkInvalid):
            links.read_round_token(bad, KEY, now=now)


def test_secret_key_file_is_created_once_with_mode_600(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DISPATCH_SECRET_KEY", raising=False)
    path = tmp_path / "var" / "secret_key"
    first = links.secret_key(None, key_file=path)
    assert links.secret_key(None, key_file=path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("DISPATCH_SECRET_KEY", "from-env")
    assert links.secret_key(None, key_file=path) == b"from-env"


def test_relay_point_link_is_stored_hashed_and_revocable(session, plan) -> None:
    rp = session.scalars(select(RelayPoint)).first()
    token = links.create_relay_point_link(rp.id, session=session)
    assert links.relay_point_from_token(token, session=session).id == rp.id
    newer = links.create_relay_point_link(rp.id, session=session)  # replaces the old one
    with pytest.raises(links.LinkInvalid, match="revoked"):
        links.relay_point_from_token(token, session=session)
    assert links.revoke_relay_point_links(rp.id, session=session) == 1
    with pytest.raises(links.LinkInvalid):
        links.relay_point_from_token(newer, session=session)
    with pytest.raises(links.LinkInvalid):
        links.relay_point_from_token("nope-nope-nope", session=session)


def test_stop_events_are_idempotent_and_update_stock_and_pickups(session, plan) -> None:
    rnd = plan.rounds[0]
    relay, pickup = rnd.stops[0], rnd.stops[2]
    assert relay.relay_point.stock_m3 > 0
    first = driver.record_stop_event(rnd.id, relay.id, "collected", session=session, idempotency_key="key-0001",
                                     collected_m3=1.1)
    again = driver.record_stop_event(rnd.id, relay.id, "collected", session=session, idempotency_key="key-0001",
                                     collected_m3=9.9)
    assert not first.repeated and again.repeated and again.event_id == first.event_id and again.collected_m3 == 1.1
    assert relay.relay_point.stock_m3 == 0 and relay.relay_point.full is False
    reports = session.scalars(select(StockReport).where(StockReport.source == ReportSource.DRIVER)).all()
    assert len(reports) == 1
    driver.record_stop_event(rnd.id, pickup.id, "missed", session=session, idempotency_key="key-0002",
                             reason="absent", note="personne")
    # Missed, then automatically re-scheduled on a later collection day (dispatch/fleet/pickup_lifecycle.py).
    missed_day = rnd.plan.date
    assert pickup.pickup_request.status is PickupStatus.ACCEPTED and pickup.pickup_request.date > missed_day
    assert PickupStatus.MISSED in {e.status for e in pickup_lifecycle.pickup_history(pickup.pickup_request_id,
                                                                                     session=session)}
    with pytest.raises(Conflict):
        driver.record_stop_event(rnd.id, pickup.id, "arrived", session=session, idempotency_key="key-0001")
    with pytest.raises(InvalidInput):
        driver.record_stop_event(rnd.id, pickup.id, "missed", session=session, idempotency_key="key-0003",
                                 reason="because")
    with pytest.raises(InvalidInput):
        driver.record_stop_event(rnd.id, relay.id, "collected", session=session, idempotency_key="key-0004")
    assert session.scalar(select(func.count()).select_from(StopEvent)) == 2
    sheet = driver.route_sheet(rnd, session=session)
    assert [s.last_event for s in sheet.stops][:3] == ["collected", None, "missed"]


def test_draft_plan_stops_cannot_be_updated(session, plan) -> None:
    plan.status = PlanStatus.DRAFT
    rnd = plan.rounds[0]
    with pytest.raises(driver.PlanNotPublished):
        driver.record_stop_event(rnd.id, rnd.stops[0].id, "arrived", session=session, idempotency_key="key-0005")


def test_relay_point_full_flag_is_not_repeated_within_ten_minutes(session, plan) -> None:
    rp = plan.rounds[0].stops[0].relay_point
    now = utcnow()  # after the demo's own reports: the newest report by time sets the stock
    first = driver.flag_relay_point(rp.id, session=session, full=True, now=now)
    second = driver.flag_relay_point(rp.id, session=session, full=True, now=now + dt.timedelta(minutes=9))
    assert not first.duplicate and second.duplicate and second.report_id == first.report_id
    third = driver.flag_relay_point(rp.id, session=session, full=True, now=now + dt.timedelta(minutes=11))
    assert not third.duplicate and rp.full
    driver.flag_relay_point(rp.id, session=session, level_pct=50, now=now + dt.timedelta(minutes=12))
    assert not rp.full and rp.stock_m3 == pytest.approx(rp.capacity_m3 / 2)
    with pytest.raises(InvalidInput):
        driver.flag_relay_point(rp.id, session=session, level_pct=30)


def test_language_negotiation_and_french_reasons() -> None:
    assert i18n.negotiate(None, None) == "fr"
    assert i18n.negotiate("en", "fr") == "en"
    assert i18n.negotiate(None, "de-DE,en;q=0.8,fr;q=0.5") == "en"
    assert i18n.negotiate(None, "de") == "fr"
    assert i18n.format_date(DAY) == "mardi 1er décembre 2026"
    assert "en dehors" in i18n.text("outside_area", "fr") and "outside" in i18n.text("outside_area", "en")


def test_pickup_evaluation_uses_the_association_rules() -> None:
    from dispatch.pickups import requests as pickups
    from dispatch.pickups import rule_decision, rules_file

    req = pickups.PickupInput(donor_name="A", phone="0612345678", address="x", postcode="75019", lat=48.88,
                              lon=2.37, volume_m3=1.0, date=dt.date(2026, 12, 6), slot=pickups.Slot.MORNING,
                              categories=("mattress", "books", "piano"), floor=0)
    ctx = rule_decision.RuleContext(today=dt.date(2026, 12, 1), largest_van_m3=20.0,
                                    in_graph_area=lambda lat, lon: True)
    decision = pickups.evaluate(req, config=rules_file.load_rules(), ctx=ctx)
    assert decision.codes == ["volume_below_minimum", "category_refused", "category_unknown",
                              "date_not_collection_day"]
    assert "dimanche" in decision.messages("fr")[-1] and "Sunday" in decision.messages("en")[-1]
    assert StopKind.BREAK.value == "break"


def test_day_page_shows_vans_out_and_why_in_french_and_english(session, plan) -> None:
    """The plan left a van out for maintenance; since then the crew of the van the plan uses has been
    declared absent: both are listed with why, the second flagged (re-plan), in French and English."""
    from dispatch.documents.manifests import render_html
    from dispatch.models import Crew, Van
    from dispatch.planning.views import day_vans_out, plan_view

    used = plan.rounds[0].van
    other = session.scalars(select(Van).where(Van.id != used.id).order_by(Van.id)).first()
    calendars.add_unavailability("van", other.id, DAY, DAY, "vidange et freins", session=session)
    _, out_at_planning = calendars.fleet_for_day(DAY, session=session)
    plan.vans_out = out_at_planning  # what planning stores
    crew = session.scalars(select(Crew).where(Crew.van_id == used.id)).first()
    calendars.add_unavailability("crew", crew.id, DAY, DAY + dt.timedelta(days=2), "arrêt maladie",
                                 session=session)
    session.flush()
    view = plan_view(plan)
    vans_out = day_vans_out(DAY, view, session=session)
    by_van = {o.van: o for o in vans_out}
    assert by_van[other.name].reason == "maintenance" and not by_van[other.name].since_plan
    assert by_van[used.name].reason == "no_crew" and by_van[used.name].since_plan
    assert "arrêt maladie" in by_van[used.name].text("fr") and "absent" in by_van[used.name].text("en")
    common = dict(day=DAY, view=view, svg="", round_links={}, colours=["#000"], message=None, suffix="",
                  time_limit=10, vans_out=vans_out)
    fr = render_html("day.html", lang="fr", **common)
    assert "Camions et équipes indisponibles" in fr and "entretien / indisponible" in fr
    assert f"camion {other.name} indisponible du 01/12/2026 au 01/12/2026 (vidange et freins)" in fr
    assert "re-planifiez" in fr and f"l&#39;équipe {crew.name} est absente" in fr
    en = render_html("day.html", lang="en", **{**common, "suffix": "?lang=en"})
    assert "Vans and crews unavailable" in en and "maintenance / unavailable" in en and "no crew available" in en
    assert f"van {other.name} is unavailable from 2026-12-01 to 2026-12-01 (vidange et freins)" in en
    assert "since the plan was made: re-plan" in en
    # A day with every van available says so; a day without a plan reads the calendars.
    later = DAY + dt.timedelta(days=7)
    assert day_vans_out(later, None, session=session) == ()
    assert "Tous les camions" in render_html("day.html", lang="fr", **{**common, "day": later, "view": None,
                                                                          "vans_out": ()})
    assert [o.van for o in day_vans_out(DAY + dt.timedelta(days=1), None, session=session)] == [used.name]
