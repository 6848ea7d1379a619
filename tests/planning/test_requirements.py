"""Requirements and skills end to end, and the service time of a site, from the rules file as data.

A pickup's needs (two people, a tail lift...) come from the rules file and from what is set by hand;
crews' features from their van, their own skills and how many they are. They reach the solver: a
pickup needing two people never goes to a one-person crew; a pickup no crew can take is left out with
the ``skill`` reason, said in plain words. Floors without a lift make a pickup take longer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dispatch.demo import add_pickup, load_demo, seed_demo
from dispatch.documents import plan_texts
from dispatch.models import Crew, PickupRequest, StopKind
from dispatch.pickups import requirements as req
from dispatch.pickups.rules_file import load_rules
from dispatch.planning import problem as builder
from dispatch.planning.day import plan_day
from dispatch.planning.views import plan_view

DAY = dt.date(2026, 12, 1)


def _pickup(session, **fields) -> PickupRequest:
    item = dict(load_demo()["pickups"][0])
    pu = add_pickup(item, DAY, session=session, **fields)
    session.flush()
    return pu


def test_a_fifth_floor_without_lift_takes_longer_than_the_ground_floor(session, settings):
    seed_demo(DAY, session=session)
    ground = _pickup(session, ref="ENL-RDC", floor=0, has_lift=False, volume_m3=3.0, categories=["books"])
    fifth = _pickup(session, ref="ENL-5E", floor=5, has_lift=False, volume_m3=3.0, categories=["books"])
    lift = _pickup(session, ref="ENL-ASC", floor=5, has_lift=True, volume_m3=3.0, categories=["books"])
    s0, s5, sl = (builder.pickup_candidate(p, settings).service_s for p in (ground, fifth, lift))
    rules = load_rules().service_time
    assert s0 == settings.pickup_service_s(3.0)
    assert s5 - s0 == 5 * (rules.per_floor_without_lift_s + rules.per_floor_without_lift_per_m3_s * 3) == 600
    assert s0 < sl < s5
    furniture = _pickup(session, ref="ENL-MEU", floor=0, volume_m3=3.0, categories=["furniture"])
    assert builder.pickup_candidate(furniture, settings).service_s == s0 + rules.category_s["furniture"]


def test_requirements_come_from_the_rules_file_and_by_hand():
    class Site:
        def __init__(self, **kw):
            self.floor, self.has_lift, self.volume_m3, self.categories, self.requirements = 0, None, 1.0, [], []
            self.__dict__.update(kw)

    rules = load_rules().requirements
    assert req.requirements(Site(), rules) == (frozenset(), ())
    assert req.requirements(Site(floor=3, has_lift=False), rules)[0] == {"two_people"}
    assert req.requirements(Site(floor=3, has_lift=True), rules)[0] == frozenset()
    assert req.requirements(Site(categories=["furniture"], volume_m3=3.5), rules) == (
        {"two_people"}, ({"code": "heavy_furniture", "m3": 3.5},))
    assert req.requirements(Site(volume_m3=6.5), rules)[0] == {"tail_lift"}
    assert req.requirements(Site(requirements=["three_people"]), rules) == (
        {"two_people", "three_people"}, ({"code": "by_hand"},))
    assert req.crew_features(["tail_lift"], [], ["Karim"]) == {"tail_lift"}
    assert req.crew_features([], [], ["Karim", "Sophie", "Ali"]) == {"two_people", "three_people"}


def test_a_two_person_pickup_is_never_given_to_a_one_person_crew(session, settings, paris_network):
    seed_demo(DAY, session=session)
    crews = session.scalars(select(Crew).order_by(Crew.id)).all()
    for crew in crews[:3]:  # Équipes A, B, C: one person each; D stays two
        crew.members = crew.members[:1]
    session.flush()
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    rules = load_rules().requirements
    two_person = {p.id for p in session.scalars(select(PickupRequest)).all()
                  if "two_people" in req.requirements(p, rules)[0]}
    assert len(two_person) >= 4
    served = [(s.pickup_request_id, r.crew) for r in plan.rounds for s in r.stops if s.kind is StopKind.PICKUP]
    assert any(pid in two_person for pid, _ in served), "the two-person crew should take some of them"
    for pid, crew in served:
        if pid in two_person:
            assert len(crew.members) >= 2, (pid, crew.name, crew.members)
    for un in plan.unassigned:
        if un.pickup_request_id in two_person and un.reason == "skill":
            assert "two_people" in un.params["needs"] or "tail_lift" in un.params["needs"]


def test_a_pickup_no_crew_can_take_is_unassigned_with_reason_skill(session, settings, paris_network):
    seed_demo(DAY, session=session)
    pu = _pickup(session, ref="ENL-PIANO", donor_name="M. Piano", address="8 rue des Petits-Champs, 75001 Paris",
                 floor=0, volume_m3=2.0, categories=["music"], requirements=["three_people"])
    fast = settings.model_copy(update={"solve_solution_limit": 20})
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    un = next(u for u in plan.unassigned if u.pickup_request_id == pu.id)
    assert un.reason == "skill" and un.mandatory
    assert un.params == {"needs": ["three_people", "two_people"], "why": [{"code": "by_hand"}]}
    view = plan_view(plan)
    fr = plan_texts.unassigned_text(un.reason, un.params, "fr")
    assert fr == ("il faut trois personnes (demandé à la main)\u00a0; aucune équipe au travail ce jour-là "
                  "n'a tout cela")
    assert plan_texts.unassigned_text(un.reason, un.params, "en") == (
        "it needs three people (set by hand); no crew working that day has all of it")
    said = plan_texts.explanation(view, "fr")
    assert "ENL-PIANO M. Piano (8 rue des Petits-Champs, 75001 Paris) — il faut trois personnes" in said


def test_the_sheet_and_manifest_say_why_a_stop_needs_two_people(session, settings, paris_network):
    from dispatch.documents.manifests import render_html
    from tests.documents.language_check import foreign_text

    seed_demo(DAY, session=session)
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    view = plan_view(plan)
    stops = [(r, s) for r in view.rounds for s in r.stops if s.requirements]
    assert stops, "the demo day has pickups above the 2nd floor without a lift"
    rnd, stop = next((r, s) for r, s in stops if any(w["code"] == "floor_no_lift" for w in s.requirements["why"]))
    fr = plan_texts.needs_text(stop.requirements, "fr")
    assert fr.startswith("Il faut deux personnes (") and f"{stop.floor}e étage sans ascenseur" in fr
    assert plan_texts.needs_text(stop.requirements, "en").startswith("Needs two people (")
    for lang in ("fr", "en"):
        html = render_html("manifest_round.html", lang=lang, day=view, round=rnd, lunch=None, colour="#000",
                           map_uri=None, qr_uri="", sheet_url="", members="", plate="", font_regular="",
                           font_bold="")
        assert plan_texts.needs_text(stop.requirements, lang) in html.replace("&#39;", "'")
        assert plan_texts.floor_text(stop.floor, stop.has_lift, lang) in html
        notes = [s.access_notes for s in rnd.stops if s.access_notes]  # what donors wrote, in their words
        assert foreign_text(html, lang, ignore=notes) == [], lang
