"""The switchboard page /standard: take a donor's call in one screen (staff sign-in: switchboard, coordinator).

The page (dispatch/templates/switchboard.html, dispatch/static/switchboard.js) calls the JSON endpoints that
exist for each step: the address search (``GET /api/v1/addresses``, else the bundled list ``/donner/adresses``),
the nearest relay points (``GET /standard/points-relais`` here), the rules' live verdict (``POST
/donner/verifier``), the slots that still fit (``GET /api/v1/pickup-slots``), creating a request (``POST
/api/v1/pickup-requests``), a caller's previous requests (``GET /api/v1/pickup-requests?phone=``), cancelling
and moving one (``POST /api/v1/pickup-requests/{id}/cancel|reschedule``). Staff are signed in by the session
cookie; changes are checked for same-origin (api/security.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import NetworkDep, SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, page_lang, render
from api.security import Role, require
from dispatch.documents import i18n
from dispatch.pickups import requests as pickup_rules
from dispatch.errors import DispatchError
from dispatch.relay_points import nearest_relay_points
from dispatch.workdays import local_today, next_collection_day

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, tags=["staff"],
                   dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)])

JS_TEXTS = ("sb_history_none", "sb_no_address", "sb_small_volume", "sb_slots_none", "sb_slots_need", "sb_created",
            "sb_cancel", "sb_cancel_confirm", "sb_move", "sb_move_to", "sb_done", "sb_km", "live_ok", "slot_morning",
            "slot_afternoon", "sb_position")


@router.get("/standard", response_class=HTMLResponse)
def switchboard_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    lang = page_lang(request)
    config = pickup_rules.rules_config(settings)
    today = local_today(settings.timezone)
    categories = list(config.accepted_categories) + list(config.refused_categories)
    texts = {key: i18n.text(key, lang) for key in JS_TEXTS}
    texts["status"] = {s: i18n.text(f"sb_status_{s}", lang) for s in ("requested", "accepted", "refused", "scheduled", "collected", "missed", "cancelled")}
    return render(request, "switchboard.html", lang=lang, categories=categories, category_label=config.label,
                  min_volume=config.min_volume_m3, default_date=next_collection_day(today).isoformat(), texts=texts)


@router.get("/standard/points-relais")
def switchboard_relay_points(session: SessionDep, settings: SettingsDep, network: NetworkDep,
                             lat: Annotated[float, Query(ge=-90, le=90)],
                             lon: Annotated[float, Query(ge=-180, le=180)]) -> JSONResponse:
    """The 3 nearest open relay points by road (name, address, km, walking minutes), or why there are none."""
    try:
        nearby = nearest_relay_points(lat, lon, 3, session=session, network=network,
                                      max_snap_distance_m=settings.max_snap_distance_m)
    except DispatchError as exc:
        return JSONResponse({"results": [], "error": exc.message}, status_code=422)
    return JSONResponse({"results": [
        {"name": n.relay_point.name, "address": n.relay_point.address, "km": round(n.road_distance_m / 1000, 1),
         "walking_minutes": n.walking_minutes} for n in nearby]})
