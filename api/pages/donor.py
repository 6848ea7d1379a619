"""The donor's page, /donner (open to all, rate-limited): where to drop a donation (the nearest relay points by
road, from a position or an address) and the home-pickup request form, with the rules' live check while the
donor types (/donner/verifier, nothing stored) and the address suggestions (/donner/adresses). A request sent
is judged by the same rules as the API and stored, accepted or refused, with the slots offered instead.

Errors become a friendly page in the visitor's language with the right status (HTMLErrorRoute), never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import NetworkDep, SessionDep, SettingsDep, in_unit_of_work
from api.pages.common import HTMLErrorRoute, page_lang, render
from api.ratelimit import limit_key, rate_limited
from api.security import public
from dispatch.access import booking_guard
from dispatch.addresses import AddressRefused, unavailable_text
from dispatch.addresses import get_geocoder, resolve_address
from dispatch.documents import i18n
from dispatch.errors import DispatchError, Unavailable
from dispatch.exchange import pickup_field_problems
from dispatch.models import Slot
from dispatch.pickups import requests as pickup_rules
from dispatch.pickups import offer_slots, with_trial_insertion
from dispatch.relay_points import nearest_relay_points
from dispatch.workdays import local_today, next_collection_day

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, dependencies=[public()])


def _nearest(lat: float, lon: float, *, session, network, settings, k: int = 3) -> list:
    try:
        return nearest_relay_points(lat, lon, k, session=session, network=network,
                                    max_snap_distance_m=settings.max_snap_distance_m)
    except DispatchError:  # handled: the address search answers no suggestion
        return []


def _donor_defaults(settings) -> dict[str, Any]:
    today = local_today(settings.timezone)
    day = next_collection_day(next_collection_day(next_collection_day(today)))
    return {"date": day.isoformat(), "slot": "morning", "categories": []}


def _categories(settings) -> list[str]:
    config = pickup_rules.rules_config(settings)
    return list(config.accepted_categories) + list(config.refused_categories)


def _float(value: Any) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        x = float(str(value).strip().replace(",", "."))
    except ValueError:  # handled: not a number: the form says which field is invalid
        return None
    return x if math.isfinite(x) else None


def _rule_context(settings, network, session, *, lat: float | None = None, lon: float | None = None,
                  volume_m3: float | None = None):
    """The rules' context; with the donation's position and volume, the slots it offers instead of a
    refused one are checked by trial insertion into the days' plans (dispatch/pickups/slots.py), not guessed."""
    ctx = pickup_rules.rule_context(session=session, settings=settings, network=network,
                                    today=local_today(settings.timezone))
    if lat is None or lon is None or volume_m3 is None or volume_m3 <= 0:
        return ctx
    return with_trial_insertion(ctx, lat, lon, volume_m3, session=session, settings=settings, network=network)


def _alternatives(decision, lang: str) -> list[dict[str, str]]:
    return [{"date": d.isoformat(), "slot": s, "label": f"{i18n.format_date(d, lang)} — {i18n.text('slot_' + s, lang)}"}
            for d, s in decision.alternatives]


def _first_open_slot(lat: float, lon: float, *, session, settings, network) -> dict[str, str] | None:
    """The first (date, slot) from today on where a small donation still fits, by trial insertion into
    the days' plans (the rules' calendar for days not planned yet): what the form proposes."""
    config = pickup_rules.rules_config(settings)
    today = local_today(settings.timezone)
    try:
        offers = offer_slots(lat, lon, max(config.min_volume_m3, 0.1), today, 21, session=session,
                             settings=settings, network=network, today=today)
    except DispatchError:  # handled: off the map: no slot offers, the form still works
        return None
    first = next((o for o in offers if o.available), None)
    return {"date": first.date.isoformat(), "slot": first.slot} if first else None


def _locate(text: str, lang: str, settings) -> tuple[float | None, float | None, str, str | None, str | None]:
    """The best address for ``text``: (lat, lon, label, postcode, None), or (None, None, text, None, why not)."""
    try:
        found = get_geocoder(settings).search(text, limit=1)
    except DispatchError as exc:  # the address server is down, or refused the query
        log.warning("address search failed on the donor page: %s", exc.message)
        return None, None, text, None, unavailable_text(lang)
    if not found or found[0].score < settings.geocoder_min_score:
        return None, None, text, None, i18n.text("address_none", lang)
    return found[0].lat, found[0].lon, found[0].label, found[0].postcode, None


@router.get("/donner", response_class=HTMLResponse, dependencies=[rate_limited("public")])
def donor_page(request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
               lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
               lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
               adresse: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    lang = page_lang(request)
    nearby, error, postcode = None, None, None
    if (lat is None or lon is None) and adresse and adresse.strip():  # "where are you?" sent with an address
        lat, lon, adresse, postcode, error = _locate(adresse, lang, settings)
    if lat is not None and lon is not None:
        try:
            nearby = nearest_relay_points(lat, lon, 3, session=session, network=network,
                                          max_snap_distance_m=settings.max_snap_distance_m)
        except DispatchError:  # handled: answered: the page says the address is outside the area
            error = i18n.text("outside_area", lang)
    values = _donor_defaults(settings) | {"lat": lat, "lon": lon, "address": adresse or "", "postcode": postcode}
    if nearby is not None:  # the date proposed is the first slot that still fits the days' plans
        values |= _first_open_slot(lat, lon, session=session, settings=settings, network=network) or {}
    return render(request, "donor.html", lang=lang, nearby=nearby, position_error=error, values=values,
                  categories=_categories(settings), category_label=pickup_rules.rules_config(settings).label, result=None, errors=[])


@router.get("/donner/adresses", dependencies=[rate_limited("addresses")])  # the form uses /api/v1/addresses
def donor_addresses(settings: SettingsDep, q: Annotated[str, Query(max_length=200)] = "") -> JSONResponse:
    if not q.strip():
        return JSONResponse([])
    return JSONResponse([{"label": a.label, "postcode": a.postcode, "lat": a.lat, "lon": a.lon}
                         for a in get_geocoder(settings).search(q, limit=8)])


def _parse_pickup(data: dict[str, Any], lang: str, *, partial: bool) -> tuple[dict[str, Any], list[str]]:
    """Form or JSON fields -> clean values and the list of input errors (in the visitor's language)."""
    _ = i18n.Translator(lang)
    errors: list[str] = []
    values: dict[str, Any] = {}
    for name in ("donor_name", "phone", "address", "postcode", "access_code", "notes"):
        raw = data.get(name)
        values[name] = str(raw).strip()[: 300 if name != "notes" else 1000] if raw is not None else ""
    for name in ("lat", "lon", "volume_m3"):
        values[name] = _float(data.get(name))
    floor_raw = data.get("floor")
    values["floor"] = None
    if floor_raw not in (None, ""):
        try:
            values["floor"] = int(str(floor_raw))
        except ValueError:  # handled: answered: the form shows the field error
            errors.append(_("field_invalid", field=_("floor")))
    values["has_lift"] = str(data.get("has_lift") or "").lower() in ("1", "true", "on", "yes", "oui")
    values["email"] = str(data.get("email") or "").strip()[:200]
    if values["email"] and not _EMAIL.match(values["email"]):
        errors.append(_("field_invalid", field=_("email")))
    values["messages_opt_out"] = str(data.get("no_messages") or "").lower() in ("1", "true", "on", "yes", "oui")
    values["slot"] = str(data.get("slot") or "")
    cats = data.get("categories") or []
    values["categories"] = [str(c) for c in (cats if isinstance(cats, list) else [cats])][:20]
    values["date"] = None
    raw_date = str(data.get("date") or "")
    if raw_date:
        try:
            values["date"] = dt.date.fromisoformat(raw_date)
        except ValueError:  # handled: answered: the form shows the field error
            errors.append(_("field_invalid", field=_("pickup_date")))
    if not partial:
        for name, label in (("donor_name", "donor_name"), ("phone", "phone"), ("address", "address")):
            if not values[name]:
                errors.append(_("field_required", field=_(label)))
        if values["volume_m3"] is None or values["volume_m3"] <= 0:
            errors.append(_("field_invalid", field=_("volume_m3")))
        if values["date"] is None and raw_date == "":
            errors.append(_("field_required", field=_("pickup_date")))
        if values["lat"] is None or values["lon"] is None:  # the address is looked up (_resolve_address)
            if not values["address"]:
                errors.append(_("position_needed"))
        elif not (-90 <= values["lat"] <= 90 and -180 <= values["lon"] <= 180):
            errors.append(_("position_needed"))
        elif not values["postcode"]:
            errors.append(_("field_required", field=_("postcode")))
    # The same field rules as the JSON API and the CSV imports (dispatch/exchange/fields.py).
    errors.extend(_("field_invalid", field=_(name)) for name in pickup_field_problems(values))
    if values["slot"] and values["slot"] not in ("morning", "afternoon"):
        errors.append(_("field_invalid", field=_("slot")))
    elif not values["slot"] and not partial:
        errors.append(_("field_required", field=_("slot")))
    return values, errors


def _pickup_input(values: dict[str, Any]) -> pickup_rules.PickupInput:
    return pickup_rules.PickupInput(
        donor_name=values["donor_name"], phone=values["phone"], address=values["address"],
        postcode=values["postcode"], lat=values["lat"], lon=values["lon"], volume_m3=values["volume_m3"],
        date=values["date"], slot=Slot(values["slot"]), categories=tuple(values["categories"]),
        floor=values["floor"], has_lift=values["has_lift"] if values["floor"] else None,
        access_code=values["access_code"] or None, notes=values["notes"] or None,
        email=values.get("email") or None, lang=values.get("lang", "fr"),
        messages_opt_out=bool(values.get("messages_opt_out")),
    )


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


@router.post("/donner/verifier", dependencies=[rate_limited("public")])
async def donor_check(request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> JSONResponse:
    """Live check of the collection rules while the donor fills the form (nothing is stored)."""
    lang = page_lang(request)
    try:  # strict JSON (no NaN/Infinity, like the API); malformed or nested too deep: a 4xx, never a 500
        data = json.loads(await request.body(), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # handled: answered: the page shows the field error
        data = None
    if not isinstance(data, dict):
        return JSONResponse({"ok": False, "reasons": [i18n.text("error_422", lang)]}, status_code=422)
    values, errors = _parse_pickup(data, lang, partial=True)
    if errors:
        return JSONResponse({"ok": False, "reasons": errors, "complete": False}, status_code=422)
    # The rules read the database and try insertions into the days' plans: in the thread pool, not the event
    # loop (this check runs as donors type).
    return await run_in_threadpool(_donor_check, values, lang, session=session, settings=settings, network=network)


def _donor_check(values: dict[str, Any], lang: str, *, session, settings, network) -> JSONResponse:
    known = {"volume": values["volume_m3"] is not None, "date": values["date"] is not None,
             "position": values["lat"] is not None and values["lon"] is not None}
    ctx = _rule_context(settings, network, session, lat=values["lat"], lon=values["lon"],
                        volume_m3=values["volume_m3"]) if known["volume"] and known["position"] else \
        _rule_context(settings, network, session)
    filled = dict(values)
    config = pickup_rules.rules_config(settings)
    filled["volume_m3"] = values["volume_m3"] if known["volume"] else config.min_volume_m3
    filled["date"] = values["date"] or next_collection_day(ctx.today + dt.timedelta(days=1))
    filled["slot"] = values["slot"] or "morning"
    if not known["position"]:
        filled["lat"], filled["lon"] = 48.8566, 2.3522
    req = _pickup_input(filled)
    decision = pickup_rules.evaluate(req, config=config, ctx=ctx)
    # Only what the donor has already filled in is judged; details are asked for when the form is sent.
    unknown_fields = ({"volume_m3"} if not known["volume"] else set()) | ({"date"} if not known["date"] else set()) \
        | ({"position", "postcode"} if not known["position"] else set())
    shown = [r for r in decision.reasons if r.field not in unknown_fields and r.code != "missing_detail"]
    # Slots offered instead (checked against the days' plans) once the position and volume are known.
    offered = _alternatives(decision, lang) if known["volume"] and known["position"] and any(
        r.field in ("date", "slot") for r in shown) else []
    return JSONResponse({"ok": not shown, "complete": all(known.values()), "codes": [r.code for r in shown],
                         "reasons": [r.message(lang) for r in shown], "alternatives": offered})


def _resolve_address(values: dict[str, Any], lang: str, *, settings, network) -> list[str]:
    """An address typed without choosing a suggestion: looked up; ``values`` get its position, normalised label
    and postcode, or the reason it cannot be used is returned (in the donor's language)."""
    try:
        found = resolve_address(values["address"], settings=settings, network=network,
                                postcode=values["postcode"] or None)
    except AddressRefused as exc:
        return [exc.text(lang)]
    except Unavailable:  # handled: answered: the form says the address search is unavailable
        return [unavailable_text(lang)]
    values.update(lat=found.lat, lon=found.lon, address=found.label, postcode=found.postcode)
    return []


@router.post("/donner", response_class=HTMLResponse, dependencies=[rate_limited("public")])
async def donor_request(request: Request, session: SessionDep, settings: SettingsDep,
                        network: NetworkDep) -> HTMLResponse:
    lang = page_lang(request)
    form = await request.form()
    data: dict[str, Any] = {k: form.get(k) for k in form.keys()}
    data["categories"] = form.getlist("categories")
    values, errors = _parse_pickup(data, lang, partial=False)
    phone_digits = "".join(c for c in values["phone"] if c.isdigit())
    if phone_digits:  # per phone number as well as per address (api/ratelimit.py)
        limit_key(request, phone_digits)
    values["lang"] = lang  # the donor's messages come in the page's language
    shown = _donor_defaults(settings) | {k: v for k, v in values.items() if v not in (None, "")}
    if isinstance(shown.get("date"), dt.date):
        shown["date"] = shown["date"].isoformat()
    common = {"lang": lang, "values": shown, "categories": _categories(settings), "category_label": pickup_rules.rules_config(settings).label,
              "nearby": None, "position_error": None}
    if not errors and (values["lat"] is None or values["lon"] is None):
        errors = await run_in_threadpool(_resolve_address, values, lang, settings=settings, network=network)
    if errors:
        return render(request, "donor.html", status_code=422, result=None, errors=errors, **common)
    req = _pickup_input(values)

    def work() -> tuple[Any, dict[str, Any], list | None]:
        # The rules read the database and try insertions into the days' plans, then the request is stored (it
        # may wait for a lock): all of it in one thread-pool hop with the commit, never in the event loop.
        ctx = _rule_context(settings, network, session, lat=values["lat"], lon=values["lon"],
                            volume_m3=values["volume_m3"])
        # The abuse guard of the online booking: open requests per phone, a daily cap the switchboard releases.
        guard = booking_guard.reasons_for(req.phone, session=session, settings=settings, today=ctx.today)
        record, decision = pickup_rules.create_pickup(req, config=pickup_rules.rules_config(settings), ctx=ctx,
                                                      session=session, channel=booking_guard.ONLINE, guard=guard)
        result = {
            "accepted": decision.accepted, "ref": record.ref, "date": record.date, "slot": record.slot.value,
            "reasons": decision.messages(lang),
            "date_refused": any(r.field in ("date", "slot") for r in decision.reasons),
            "alternatives": _alternatives(decision, lang),
        }
        nearby = None if decision.accepted else _nearest(req.lat, req.lon, session=session, network=network,
                                                         settings=settings)
        return decision, result, nearby

    decision, result, nearby = await in_unit_of_work(request, work)
    common["nearby"] = nearby
    if decision.accepted:  # a fresh form: the same donation is not sent twice by mistake
        common["values"] = _donor_defaults(settings) | {"lat": req.lat, "lon": req.lon, "address": ""}
    return render(request, "donor.html", result=result, errors=[], **common)
