"""Collection rules (dispatch/pickups/rules.py, rules_file.py, rule_decision.py, rule_messages.py): the table of requests, overrides, the rules file, messages, next slots."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydantic
import pytest

from dispatch.pickups.rule_decision import (
    OverrideError,
    OverrideNotAllowed,
    RuleContext,
    RuleDecision,
    RuleReason,
    RuleRequest,
    override,
)
from dispatch.pickups.rules import earliest_date, evaluate, next_slots, point_in_polygon
from dispatch.pickups.rules_file import (
    DEFAULT_RULES_PATH,
    REASON_CODES,
    SLOTS,
    RulesConfig,
    RulesConfigError,
    load_rules,
)
from tests.conftest import REPO

D = dt.date
MONDAY = D(2025, 6, 2)  # a plain Monday: requests made today can be collected from Wednesday 4 June
FRIDAY_BEFORE_PENTECOST = D(2025, 6, 6)  # Sat 7, Sun 8, Whit Monday 9 (holiday), Tue 10
FRIDAY_PLAIN = D(2025, 5, 23)  # Sat 24, Sun 25, Mon 26
VAN_M3 = 20.0

# Pickups already booked (accepted or scheduled) per (date, slot).
BOOKED = {
    (D(2025, 6, 6), "morning"): 8,
    (D(2025, 6, 6), "afternoon"): 8,  # Friday 6 June: the whole day is full
    (D(2025, 6, 7), "morning"): 8,  # Saturday 7 June: the morning is full, the afternoon is not
    (D(2025, 6, 7), "afternoon"): 2,
    (D(2025, 6, 10), "morning"): 6,
    (D(2025, 6, 10), "afternoon"): 6,  # Tuesday 10 June: 12 pickups, full only when daily_capacity is 12
}

# A square around the 19e arrondissement, [lon, lat].
SQUARE_19E = [[2.36, 48.87], [2.41, 48.87], [2.41, 48.90], [2.36, 48.90]]
IN_19E = {"lat": 48.884, "lon": 2.382}
OFF_NETWORK_LAT = 49.5  # our fake road graph covers latitudes below 49


def in_graph_area(lat: float, lon: float) -> bool:
    return lat < 49.0


@pytest.fixture(scope="module")
def rules() -> RulesConfig:
    return load_rules()


def base_request(**changes: Any) -> RuleRequest:
    fields: dict[str, Any] = {
        "volume_m3": 3.0,
        "categories": ("furniture", "books"),
        "date": D(2025, 6, 5),  # Thursday
        "slot": "morning",
        "postcode": "75019",
        "lat": 48.884,
        "lon": 2.382,
        "phone": "06 12 34 56 78",
        "floor": 2,
        "has_lift": True,
        "access_code": None,
    }
    fields.update(changes)
    return RuleRequest(**fields)


def context(today: dt.date = MONDAY, **changes: Any) -> RuleContext:
    fields: dict[str, Any] = {"today": today, "largest_van_m3": VAN_M3, "booked": BOOKED, "in_graph_area": in_graph_area}
    fields.update(changes)
    return RuleContext(**fields)


# The communes bordering the 19e/20e, as an association with a graph that reaches them would serve them.
NEIGHBOURS = {"served_zone": {"extra_communes": [{"name": "Pantin", "postcode": "93500"},
                                                 {"name": "Montreuil", "postcode": "93100"}]}}

# (id, request changes, today, config changes, expected reason codes; [] = accepted)
CASES: list[tuple[str, dict, dt.date, dict, list[str]]] = [
    ("plain request in Paris", {}, MONDAY, {}, []),
    ("Paris 16e written 75116", {"postcode": "75116"}, MONDAY, {}, []),
    ("neighbouring commune Pantin, once served", {"postcode": "93500", "lat": 48.894, "lon": 2.409}, MONDAY,
     NEIGHBOURS, []),
    ("neighbouring commune Montreuil, once served", {"postcode": "93100", "lat": 48.861, "lon": 2.443}, MONDAY,
     NEIGHBOURS, []),
    ("neighbouring commune Pantin: not served by the bundled rules (off the bundled graph)",
     {"postcode": "93500", "lat": 48.894, "lon": 2.409}, MONDAY, {}, ["outside_zone"]),
    ("commune not in the list: Vincennes", {"postcode": "94300"}, MONDAY, {}, ["outside_zone"]),
    ("commune not in the list: Boulogne", {"postcode": "92100"}, MONDAY, {}, ["outside_zone"]),
    ("no postcode", {"postcode": "  "}, MONDAY, {}, ["missing_detail"]),
    ("volume below the minimum", {"volume_m3": 1.5}, MONDAY, {}, ["volume_below_minimum"]),
    ("volume exactly the minimum", {"volume_m3": 2.0}, MONDAY, {}, []),
    ("volume above the largest van", {"volume_m3": 25.0}, MONDAY, {}, ["volume_above_van"]),
    ("volume above a policy maximum", {"volume_m3": 12.0}, MONDAY, {"max_volume_m3": 10.0}, ["volume_above_maximum"]),
    ("volume zero", {"volume_m3": 0.0}, MONDAY, {}, ["volume_invalid"]),
    ("volume not a number", {"volume_m3": float("nan")}, MONDAY, {}, ["volume_invalid"]),
    ("refused: mattress", {"categories": ("furniture", "mattress")}, MONDAY, {}, ["category_refused"]),
    ("refused: large appliance", {"categories": ("large_appliance",)}, MONDAY, {}, ["category_refused"]),
    ("refused: rubble", {"categories": ("rubble",)}, MONDAY, {}, ["category_refused"]),
    ("refused: hazardous", {"categories": ("hazardous", "books")}, MONDAY, {}, ["category_refused"]),
    ("two refused categories", {"categories": ("mattress", "rubble")}, MONDAY, {}, ["category_refused"] * 2),
    ("a category listed twice counts once", {"categories": ("mattress", "Mattress ")}, MONDAY, {}, ["category_refused"]),
    ("unknown category", {"categories": ("piano",)}, MONDAY, {}, ["category_unknown"]),
    (
        "several reasons at once",
        {"volume_m3": 1.0, "categories": ("mattress", "piano"), "postcode": "94300", "date": D(2025, 6, 8), "phone": None},
        MONDAY,
        {},
        ["volume_below_minimum", "category_refused", "category_unknown", "outside_zone", "date_not_collection_day",
         "missing_detail"],
    ),
    ("Sunday", {"date": D(2025, 6, 8)}, MONDAY, {}, ["date_not_collection_day"]),
    ("Whit Monday (holiday)", {"date": D(2025, 6, 9)}, MONDAY, {}, ["date_not_collection_day"]),
    ("Saturday is a collection day", {"date": D(2025, 6, 14)}, MONDAY, {}, []),
    ("Monday for Tuesday: too soon", {"date": D(2025, 6, 3)}, MONDAY, {}, ["date_too_soon"]),
    ("Monday for Wednesday: earliest", {"date": D(2025, 6, 4)}, MONDAY, {}, []),
    ("today", {"date": MONDAY}, MONDAY, {}, ["date_too_soon"]),
    ("in the past", {"date": D(2025, 5, 30)}, MONDAY, {}, ["date_too_soon"]),
    ("lead 0 allows today", {"date": MONDAY}, MONDAY, {"min_lead_working_days": 0}, []),
    ("60 days ahead", {"date": D(2025, 8, 1)}, MONDAY, {}, []),
    ("61 days ahead", {"date": D(2025, 8, 2)}, MONDAY, {}, ["date_too_far"]),
    ("lead across a Sunday: Saturday too soon", {"date": D(2025, 5, 24)}, FRIDAY_PLAIN, {}, ["date_too_soon"]),
    ("lead across a Sunday: Monday ok", {"date": D(2025, 5, 26)}, FRIDAY_PLAIN, {}, []),
    ("lead across Sunday + holiday: Saturday", {"date": D(2025, 6, 7), "slot": "afternoon"},
     FRIDAY_BEFORE_PENTECOST, {}, ["date_too_soon"]),
    ("lead across Sunday + holiday: Whit Monday", {"date": D(2025, 6, 9)}, FRIDAY_BEFORE_PENTECOST, {},
     ["date_not_collection_day", "date_too_soon"]),
    ("lead across Sunday + holiday: Tuesday ok", {"date": D(2025, 6, 10)}, FRIDAY_BEFORE_PENTECOST, {}, []),
    ("day full (both slots full)", {"date": D(2025, 6, 6)}, MONDAY, {}, ["day_full", "slot_full"]),
    ("slot full, morning", {"date": D(2025, 6, 7)}, MONDAY, {}, ["slot_full"]),
    ("other slot free, afternoon", {"date": D(2025, 6, 7), "slot": "afternoon"}, MONDAY, {}, []),
    ("day full by daily capacity only", {"date": D(2025, 6, 10), "slot": "afternoon"}, MONDAY, {"daily_capacity": 12},
     ["day_full"]),
    ("same day under the default daily capacity", {"date": D(2025, 6, 10), "slot": "afternoon"}, MONDAY, {}, []),
    ("closed slot (capacity 0)", {"slot": "afternoon"}, MONDAY, {"slot_capacity": {"morning": 8, "afternoon": 0}},
     ["slot_full"]),
    ("unknown slot", {"slot": "evening"}, MONDAY, {}, ["slot_unknown"]),
    ("missing phone", {"phone": None}, MONDAY, {}, ["missing_detail"]),
    ("blank phone", {"phone": "   "}, MONDAY, {}, ["missing_detail"]),
    ("missing floor", {"floor": None, "has_lift": None}, MONDAY, {}, ["missing_detail"]),
    ("3rd floor, lift unknown", {"floor": 3, "has_lift": None}, MONDAY, {}, ["missing_detail"]),
    ("ground floor, lift not asked", {"floor": 0, "has_lift": None}, MONDAY, {}, []),
    ("access code optional by default", {"access_code": None}, MONDAY, {}, []),
    ("access code required by config", {"access_code": ""}, MONDAY,
     {"required_details": ["phone", "floor", "has_lift", "access_code"]}, ["missing_detail"]),
    ("floor not required by config", {"floor": None, "has_lift": None}, MONDAY, {"required_details": ["phone"]}, []),
    ("inside the polygon", IN_19E, MONDAY, {"served_zone": {"polygon": SQUARE_19E}}, []),
    ("outside the polygon", {"lat": 48.86, "lon": 2.30}, MONDAY, {"served_zone": {"polygon": SQUARE_19E}},
     ["position_outside_zone"]),
    ("off the road network", {"lat": OFF_NETWORK_LAT}, MONDAY, {}, ["position_off_network"]),
    ("position not a number", {"lat": float("nan")}, MONDAY, {}, ["position_invalid"]),
]


def _with_config(rules: RulesConfig, changes: dict) -> RulesConfig:
    if not changes:
        return rules
    if "served_zone" in changes:
        changes = {**changes, "served_zone": {**rules.served_zone.model_dump(), **changes["served_zone"]}}
    return rules.replace(**changes)


def test_the_table_is_big_enough():
    assert len(CASES) >= 20
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("name,changes,today,config_changes,expected", CASES, ids=[c[0] for c in CASES])
def test_rules_table(rules, name, changes, today, config_changes, expected):
    decision = evaluate(base_request(**changes), _with_config(rules, config_changes), context(today))
    assert sorted(decision.codes) == sorted(expected), [r.message("en") for r in decision.reasons]
    assert decision.accepted is (not expected)
    for reason in decision.reasons:  # every reason produced renders in both languages
        assert reason.field
        assert reason.message("fr") and reason.message("en")
        json.dumps(reason.to_dict())  # params are plain JSON


def test_a_planned_day_the_visit_no_longer_fits_is_refused_with_the_slots_that_fit(rules):
    """With ``slot_fits`` (trial insertion into the days' plans), a request is refused when its own slot no
    longer fits the day's rounds; the alternatives are only slots that fit. Without it, the calendar decides."""
    thursday = D(2025, 6, 5)
    asked = []

    def fits(day: dt.date, slot: str) -> bool:
        asked.append((day, slot))
        return day != thursday  # Thursday's rounds are full, every other day has room

    decision = evaluate(base_request(), rules, context(slot_fits=fits))
    assert decision.codes == ["no_room_in_plan"] and decision.overridable
    assert decision.reasons[0].field == "slot"
    assert "déjà prévues" in decision.reasons[0].message("fr")
    assert decision.alternatives and all(day != thursday for day, _ in decision.alternatives)
    assert (thursday, "morning") in asked
    # the afternoon of a day with room is accepted; without trial insertion the calendar alone accepts Thursday
    assert evaluate(base_request(date=D(2025, 6, 11)), rules, context(slot_fits=fits)).accepted
    assert evaluate(base_request(), rules, context()).accepted
    # another refusal comes first: the plan is not asked about a request already refused
    asked.clear()
    decision = evaluate(base_request(volume_m3=1.0), rules, context(slot_fits=fits))
    assert decision.codes == ["volume_below_minimum"] and (thursday, "morning") not in asked


def test_reasons_name_the_field_and_the_numbers(rules):
    decision = evaluate(
        base_request(volume_m3=1.5, floor=3, has_lift=None, phone="", date=D(2025, 6, 7)), rules, context()
    )
    by_code = {r.code: r for r in decision.reasons}
    assert by_code["volume_below_minimum"].field == "volume_m3"
    assert by_code["volume_below_minimum"].params == {"volume_m3": 1.5, "min_m3": 2.0}
    assert by_code["slot_full"].field == "slot"
    assert by_code["slot_full"].params == {"date": "2025-06-07", "slot": "morning", "booked": 8, "capacity": 8}
    assert sorted(r.field for r in decision.reasons if r.code == "missing_detail") == ["has_lift", "phone"]
    assert by_code["volume_below_minimum"].message("fr") == (
        "Le volume (1,5 m³) est inférieur au minimum de 2 m³ pour un enlèvement à domicile : "
        "déposez vos dons dans le point relais le plus proche."
    )
    assert by_code["volume_below_minimum"].message("en") == (
        "The volume (1.5 m³) is below the 2 m³ minimum for a home pickup: "
        "please bring your donation to the nearest relay point."
    )


def test_lead_time_messages_give_the_earliest_date(rules):
    decision = evaluate(base_request(date=D(2025, 6, 9)), rules, context(FRIDAY_BEFORE_PENTECOST))
    too_soon = next(r for r in decision.reasons if r.code == "date_too_soon")
    assert too_soon.params["earliest"] == "2025-06-10"
    assert "mardi 10 juin 2025" in too_soon.message("fr")
    assert "Tuesday 10 June 2025" in too_soon.message("en")
    holiday = next(r for r in decision.reasons if r.code == "date_not_collection_day")
    assert "Lundi de Pentecôte" in holiday.message("fr") and "Whit Monday" in holiday.message("en")


def test_earliest_date_counts_collection_days_strictly_after_today(rules):
    assert earliest_date(rules, MONDAY) == D(2025, 6, 4)
    assert earliest_date(rules, D(2025, 6, 7)) == D(2025, 6, 11)  # Saturday: Sun, holiday skipped -> Tue 10, Wed 11
    assert earliest_date(rules.replace(min_lead_working_days=0), D(2025, 6, 8)) == D(2025, 6, 8)


def test_slot_enum_and_string_keys_mix(rules):
    from dispatch.models import Slot

    assert tuple(s.value for s in Slot) == SLOTS
    enum_keys = context(booked={(D(2025, 6, 5), Slot.MORNING): 8, (D(2025, 6, 5), Slot.AFTERNOON): 1})
    assert evaluate(base_request(slot="morning"), rules, enum_keys).codes == ["slot_full"]
    assert enum_keys.booked_slot(D(2025, 6, 5), "morning") == 8 and enum_keys.booked_day(D(2025, 6, 5)) == 9
    str_keys = context(booked={(D(2025, 6, 5), "morning"): 8})
    assert evaluate(base_request(slot=Slot.MORNING), rules, str_keys).codes == ["slot_full"]
    assert evaluate(base_request(slot=Slot.AFTERNOON), rules, str_keys).accepted


def test_request_from_a_pickup_input_like_object(rules):
    from dispatch.models import Slot

    pickup = SimpleNamespace(
        donor_name="Mme Diallo", address="12 rue de Crimée", notes=None, phone="0612345678", postcode="75019",
        lat=48.884, lon=2.382, volume_m3=4.0, date=D(2025, 6, 5), slot=Slot.AFTERNOON,
        categories=("furniture",), floor=0, has_lift=None, access_code="A12",
    )  # fmt: skip
    request = RuleRequest.from_input(pickup)
    assert request.access_code == "A12" and request.slot is Slot.AFTERNOON
    assert evaluate(request, rules, context()).accepted


def test_refused_date_or_slot_proposes_alternatives(rules):
    decision = evaluate(base_request(date=D(2025, 6, 7)), rules, context())
    assert decision.codes == ["slot_full"]
    assert decision.alternatives[0] == (D(2025, 6, 7), "afternoon")
    assert evaluate(base_request(), rules, context()).alternatives == []
    too_far = evaluate(base_request(date=D(2025, 9, 1)), rules, context())
    assert too_far.alternatives[0] == (D(2025, 6, 4), "morning")


def test_polygon_unit():
    square = [(0, 0), (4, 0), (4, 4), (0, 4)]
    assert point_in_polygon(2, 2, square)
    assert not point_in_polygon(5, 2, square)
    assert not point_in_polygon(-0.1, 2, square)
    assert point_in_polygon(4, 2, square)  # on an edge
    assert point_in_polygon(0, 0, square)  # on a vertex
    assert point_in_polygon(2, 2, square + [(0, 0)])  # closed ring
    u_shape = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]  # concave
    assert point_in_polygon(0.5, 2, u_shape) and point_in_polygon(2.5, 2, u_shape)
    assert not point_in_polygon(1.5, 2, u_shape)  # in the notch
    assert point_in_polygon(1.5, 0.5, u_shape)


# ------------------------------------------------------------------------------------------------
# Overrides
# ------------------------------------------------------------------------------------------------


def test_override_allowed_keeps_the_reasons(rules):
    refused = evaluate(base_request(volume_m3=1.5, date=D(2025, 6, 7), categories=("mattress",)), rules, context())
    assert refused.codes == ["volume_below_minimum", "category_refused", "slot_full"]
    assert refused.overridable
    accepted = override(refused, by="Awa (standard)", reason="  donatrice âgée, le camion passe dans la rue  ")
    assert accepted.accepted and accepted.overridden
    assert accepted.overridden_by == "Awa (standard)"
    assert accepted.override_reason == "donatrice âgée, le camion passe dans la rue"
    assert accepted.reasons == refused.reasons
    assert not refused.accepted and refused.overridden_by is None  # the original is untouched
    assert "Dérogation accordée par Awa (standard)" in accepted.summary("fr")
    assert RuleDecision.from_dict(json.loads(json.dumps(accepted.to_dict()))) == accepted


@pytest.mark.parametrize(
    "changes,code,named",
    [
        ({"categories": ("hazardous",)}, "category_refused", "hazardous"),
        ({"volume_m3": 25.0}, "volume_above_van", "volume_above_van"),
        ({"date": D(2025, 6, 8)}, "date_not_collection_day", "date_not_collection_day"),
        ({"lat": OFF_NETWORK_LAT}, "position_off_network", "position_off_network"),
    ],
)
def test_override_not_allowed(rules, changes, code, named):
    refused = evaluate(base_request(**{"volume_m3": 1.5, **changes}), rules, context())
    assert code in refused.codes and not refused.overridable
    with pytest.raises(OverrideNotAllowed, match=named) as info:
        override(refused, by="Awa", reason="the donor insists a lot")
    assert [r.code for r in info.value.reasons] == [code]
    assert isinstance(info.value, ValueError)


def test_non_overridable_codes_are_configurable(rules):
    strict = rules.replace(not_overridable=["outside_zone"])
    refused = evaluate(base_request(postcode="94300"), strict, context())
    with pytest.raises(OverrideNotAllowed, match="outside_zone"):
        override(refused, by="Awa", reason="just across the street")
    assert override(evaluate(base_request(postcode="94300"), rules, context()), by="Awa", reason="just across").accepted
    lenient = rules.replace(
        not_overridable=[],
        refused_categories={
            **{k: v.model_dump() for k, v in rules.refused_categories.items()},
            "hazardous": {**rules.refused_categories["hazardous"].model_dump(), "overridable": True},
        },
    )
    assert override(evaluate(base_request(categories=("hazardous",)), lenient, context()), by="Awa", reason="sealed cans").accepted


@pytest.mark.parametrize("by,reason,field", [("Awa", "", "reason"), ("Awa", "   ", "reason"), ("Awa", "ok!", "reason"),
                                             ("", "a real reason", "by"), ("  ", "a real reason", "by")])
def test_override_needs_a_name_and_a_reason(rules, by, reason, field):
    refused = evaluate(base_request(volume_m3=1.5), rules, context())
    with pytest.raises(ValueError) as info:
        override(refused, by=by, reason=reason)
    assert isinstance(info.value, OverrideError) and info.value.field == field
    assert str(info.value)


def test_override_needs_a_refusal_and_happens_once(rules):
    with pytest.raises(ValueError, match="no refusal"):
        override(evaluate(base_request(), rules, context()), by="Awa", reason="nothing to do")
    once = override(evaluate(base_request(volume_m3=1.5), rules, context()), by="Awa", reason="elderly donor")
    with pytest.raises(ValueError, match="already overridden by Awa"):
        override(once, by="Bob", reason="again, why not")


# ------------------------------------------------------------------------------------------------
# The rules file
# ------------------------------------------------------------------------------------------------


def test_default_rules_file(rules):
    assert load_rules(None) == rules == load_rules(DEFAULT_RULES_PATH)
    assert rules.min_volume_m3 == 2.0 and rules.max_volume_m3 is None
    assert set(rules.accepted_categories) == {
        "furniture", "textile", "books", "dishes", "toys", "small_appliances", "decor", "linen", "sports", "music"
    }  # fmt: skip
    assert {"mattress", "large_appliance", "rubble", "hazardous"} <= set(rules.refused_categories)
    assert not rules.refused_categories["hazardous"].overridable
    zone = rules.served_zone
    assert set(zone.paris_postcodes) == {f"750{n:02d}" for n in range(1, 21)} | {"75116"}
    assert zone.extra_communes == ()  # the bundled graph stops at the city limit (dispatch/pickups/coverage.py)
    assert zone.polygon is None
    assert (rules.min_lead_working_days, rules.max_days_ahead, rules.daily_capacity) == (2, 60, 16)
    assert rules.slot_capacity == {"morning": 8, "afternoon": 8}
    assert rules.required_details == ("phone", "floor", "has_lift")
    assert {"volume_above_van", "date_not_collection_day"} <= set(rules.not_overridable)
    raw = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    assert "EXAMPLE" in raw["served_zone"]["_extra_communes"]  # marked as an example the association edits
    assert "Pantin" in raw["served_zone"]["_extra_communes"]  # with how to turn the neighbours on


def _write(tmp_path: Path, changes: dict, *, drop: tuple[str, ...] = ()) -> Path:
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".", 1)
            data[outer][inner] = value
        else:
            data[key] = value
    for key in drop:
        del data[key]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


BAD_FILES = [
    ({"daily_capacity": "16"}, "daily_capacity", "valid integer"),
    ({"daily_capacity": 16.5}, "daily_capacity", "integer"),
    ({"daily_capacity": -1}, "daily_capacity", "greater than or equal to 0"),
    ({"min_volume_m3": "two"}, "min_volume_m3", "valid number"),
    ({"min_lead_working_days": True}, "min_lead_working_days", "integer"),
    ({"max_volume_m3": 1.0}, "max_volume_m3", "below min_volume_m3"),
    ({"accepted_categories": "furniture, books"}, "accepted_categories", "list"),
    ({"accepted_categories": {"furniture": True}}, "accepted_categories", "list"),
    ({"accepted_categories": [["furniture"]]}, "accepted_categories", "string"),
    ({"accepted_categories": ["Furniture"]}, "accepted_categories", "pattern"),
    ({"accepted_categories": ["books", "books"]}, "accepted_categories", "listed twice: books"),
    ({"accepted_categories": ["books", "mattress"]}, "refused_categories", "both accepted and refused: mattress"),
    ({"refused_categories": ["mattress", "rubble"]}, "refused_categories", "object"),
    ({"refused_categories": {"mattress": "no"}}, "refused_categories", "refused_categories.mattress"),
    ({"refused_categories": {"mattress": {"fr": "Non."}}}, "refused_categories", "refused_categories.mattress.en"),
    ({"served_zone.extra_communes": [{"name": "Pantin", "postcode": 93500}]}, "served_zone", "extra_communes.0.postcode"),
    ({"served_zone.extra_communes": [{"name": "Pantin", "postcode": "9350"}]}, "served_zone", "pattern"),
    ({"served_zone.polygon": [[2.3, 48.8], [2.4, 48.9]]}, "served_zone", "at least 3"),
    ({"served_zone.polygon": [[48.8, 2.3], [48.9, 2.4], [248.9, 2.3]]}, "served_zone", "[lon, lat]"),
    ({"slot_capacity": {"morning": 8}}, "slot_capacity", "missing: afternoon"),
    ({"slot_capacity": {"morning": 8, "afternoon": 8, "evening": 2}}, "slot_capacity", "evening"),
    ({"required_details": ["floor"]}, "required_details", "'phone' is always required"),
    ({"required_details": ["phone", "shoe_size"]}, "required_details", "shoe_size"),
    ({"not_overridable": ["volume_too_big"]}, "not_overridable", "unknown reason code"),
    ({"daily_capacty": 16}, "daily_capacty", "Extra inputs"),
]


@pytest.mark.parametrize("changes,field,text", BAD_FILES, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_FILES)])
def test_bad_rules_file_names_the_field(tmp_path, changes, field, text):
    path = _write(tmp_path, changes)
    with pytest.raises(RulesConfigError) as info:
        load_rules(path)
    assert info.value.field == field
    assert field in str(info.value) and text in str(info.value)
    assert str(path) in str(info.value)


def test_missing_field_is_named(tmp_path):
    with pytest.raises(RulesConfigError, match="served_zone: Field required") as info:
        load_rules(_write(tmp_path, {}, drop=("served_zone",)))
    assert info.value.field == "served_zone"


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(RulesConfigError, match="cannot read"):
        load_rules(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"min_volume_m3": 2.0,\n "daily_capacity": }', encoding="utf-8")
    with pytest.raises(RulesConfigError, match=r"not valid JSON.*line 2"):
        load_rules(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RulesConfigError, match="top level must be a JSON object"):
        load_rules(listed)


def test_comment_keys_are_ignored_and_config_is_frozen(tmp_path, rules):
    assert load_rules(_write(tmp_path, {"_note": "edited by the association", "served_zone._why": "x"})) == rules
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        rules.daily_capacity = 3  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# Messages: every code, both languages
# ------------------------------------------------------------------------------------------------

REFUSED_PARAMS = {"category": "mattress", "label_fr": "matelas", "label_en": "mattresses",
                  "reason_fr": "Nous ne reprenons pas les matelas.", "reason_en": "We cannot take mattresses."}
EXAMPLES: dict[str, list[dict]] = {
    "volume_invalid": [{"volume_m3": -1.0}, {"volume_m3": "nan"}],
    "volume_below_minimum": [{"volume_m3": 1.5, "min_m3": 2.0}],
    "volume_above_van": [{"volume_m3": 25.0, "max_m3": 20.0}, {"volume_m3": 3.0, "max_m3": 0.0}],
    "volume_above_maximum": [{"volume_m3": 12.0, "max_m3": 10.0}],
    "category_refused": [REFUSED_PARAMS],
    "category_unknown": [{"category": "piano", "accepted": ["books"], "accepted_fr": "livres", "accepted_en": "books"}],
    "outside_zone": [{"postcode": "94300", "communes": ["Pantin", "Les Lilas"]}, {"postcode": "94300", "communes": []}],
    "position_invalid": [{"lat": "nan", "lon": 2.35}],
    "position_outside_zone": [{"lat": 48.86, "lon": 2.30}],
    "position_off_network": [{"lat": 49.5, "lon": 2.35}],
    "date_not_collection_day": [{"date": "2025-06-08", "kind": "sunday", "holiday": None},
                                {"date": "2025-12-25", "kind": "holiday", "holiday": "Noël"}],
    "date_too_soon": [{"date": "2025-06-03", "today": "2025-06-02", "earliest": "2025-06-04", "min_lead_working_days": 2},
                      {"date": "2025-05-30", "today": "2025-06-02", "earliest": "2025-06-04", "min_lead_working_days": 1}],
    "date_too_far": [{"date": "2025-08-02", "latest": "2025-08-01", "max_days_ahead": 60}],
    "day_full": [{"date": "2025-06-06", "booked": 16, "capacity": 16}, {"date": "2025-06-06", "booked": 0, "capacity": 0}],
    "slot_full": [{"date": "2025-06-07", "slot": "morning", "booked": 8, "capacity": 8},
                  {"date": "2025-06-07", "slot": "afternoon", "booked": 0, "capacity": 0}],
    "slot_unknown": [{"slot": "evening", "known": ["morning", "afternoon"]}],
    "no_room_in_plan": [{"date": "2025-06-05", "slot": "morning"}, {"date": "2025-06-05", "slot": "afternoon"}],
    "missing_detail": [{"detail": d} for d in ("phone", "floor", "has_lift", "access_code", "categories", "postcode")]
    + [{"detail": "has_lift", "floor": 1}, {"detail": "has_lift", "floor": 3}],
    "online_open_limit": [{"open": 3}],
    "online_daily_cap": [{"cap": 300}],
}


def test_every_code_has_an_example():
    assert set(EXAMPLES) == set(REASON_CODES)


@pytest.mark.parametrize("code", REASON_CODES)
def test_messages_in_french_and_english(code):
    for params in EXAMPLES[code]:
        reason = RuleReason(code, "x", params)
        fr, en = reason.message("fr"), reason.message("en")
        assert reason.message() == fr
        for text in (fr, en):
            assert text and text[0].isupper() and text.endswith("."), text
            assert "{" not in text and "None" not in text and "_" not in text, text
        assert fr != en
        if code not in ("category_refused",):
            assert any(w in fr.lower() for w in (" le ", " la ", " les ", " de ", " du ", " est ", "merci", "nous ")), fr
            assert any(w in en.lower() for w in (" the ", " is ", "please", " we ", " our ")), en
    with pytest.raises(ValueError, match="unknown language"):
        RuleReason(code, "x", EXAMPLES[code][0]).message("de")


def test_message_details():
    assert "1er étage" in RuleReason("missing_detail", "has_lift", {"detail": "has_lift", "floor": 1}).message("fr")
    assert "3rd floor" in RuleReason("missing_detail", "has_lift", {"detail": "has_lift", "floor": 3}).message("en")
    noel = RuleReason("date_not_collection_day", "date", EXAMPLES["date_not_collection_day"][1])
    assert "jeudi 25 décembre 2025" in noel.message("fr") and "Christmas Day" in noel.message("en")
    assert "déjà passée" in RuleReason("date_too_soon", "date", EXAMPLES["date_too_soon"][1]).message("fr")
    assert "1er juin" in RuleReason("date_too_far", "date", {"date": "2025-06-01", "latest": "2025-06-01",
                                                             "max_days_ahead": 1}).message("fr")


# ------------------------------------------------------------------------------------------------
# next_slots
# ------------------------------------------------------------------------------------------------


def test_next_slots_skips_full_sundays_and_holidays(rules):
    lead1 = rules.replace(min_lead_working_days=1)
    booked = {(D(2025, 6, 7), "morning"): 8, (D(2025, 6, 7), "afternoon"): 8, (D(2025, 6, 10), "morning"): 8}
    ctx = context(FRIDAY_BEFORE_PENTECOST, booked=booked)
    # Sat 7 full, Sun 8, Whit Monday 9, Tue 10 morning full.
    assert next_slots(lead1, ctx, from_day=FRIDAY_BEFORE_PENTECOST, count=4) == [
        (D(2025, 6, 10), "afternoon"), (D(2025, 6, 11), "morning"), (D(2025, 6, 11), "afternoon"), (D(2025, 6, 12), "morning"),
    ]  # fmt: skip


def test_next_slots_respects_lead_day_capacity_and_horizon(rules):
    ctx = context(MONDAY)
    assert next_slots(rules, ctx, from_day=D(2025, 5, 1))[0] == (D(2025, 6, 4), "morning")  # lead time
    assert len(next_slots(rules, ctx, from_day=MONDAY)) == 6
    assert next_slots(rules, ctx, from_day=MONDAY, count=0) == []
    assert next_slots(rules, ctx, from_day=D(2025, 7, 31), count=10) == [
        (D(2025, 7, 31), "morning"), (D(2025, 7, 31), "afternoon"), (D(2025, 8, 1), "morning"), (D(2025, 8, 1), "afternoon"),
    ]  # horizon: 60 days after 2 June  # fmt: skip
    tight = rules.replace(daily_capacity=12)
    slots = next_slots(tight, context(FRIDAY_BEFORE_PENTECOST), from_day=D(2025, 6, 10), count=2)
    assert slots == [(D(2025, 6, 11), "morning"), (D(2025, 6, 11), "afternoon")]  # Tue 10 has 12 of 12
    for day, slot in next_slots(rules, context(MONDAY), from_day=MONDAY, count=20):
        assert evaluate(base_request(date=day, slot=slot), rules, context(MONDAY)).accepted


# ------------------------------------------------------------------------------------------------
# Purity
# ------------------------------------------------------------------------------------------------


def test_rules_module_is_pure():
    code = (
        "import sys, dispatch.pickups.rules\n"
        "heavy = [m for m in ('sqlalchemy', 'networkx', 'osmnx', 'dispatch.settings', 'dispatch.db') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_decision_and_reason_are_frozen():
    reason = RuleReason("slot_unknown", "slot", {"slot": "evening"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        reason.code = "x"  # type: ignore[misc]
