"""The coordinator's day page, /jour/{day} (a signed-in coordinator): the day's plan on a map with each round's
link, the vans left out, the plans it replaced and the running planning job; from it a coordinator starts
planning the day (a job, never in the request) and publishes the plan."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import NetworkDep, SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, lang_suffix, page_lang, render
from api.security import Role, StaffUser, require
from dispatch.documents import i18n
from dispatch.documents import round_geojson
from dispatch.documents import day_map_svg, round_colour
from dispatch.errors import DispatchError, InvalidInput
from dispatch.field import links
from dispatch.jobs import records as jobs
from dispatch.models import JobStatus, PlanJob, PlanStatus
from dispatch.planning import plans as planning
from dispatch.planning import day_vans_out, day_view
from dispatch.workdays import local_now

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, tags=["staff"],
                   dependencies=[require(Role.COORDINATOR)])


def _day_job(day: dt.date, job_id: str | None, *, session) -> dict | None:
    """The day's running job (or the one just started, to say how it ended) as the page shows it."""
    job = jobs.active_job(day, session=session)
    if job is None and job_id:
        asked = session.get(PlanJob, job_id)
        job = asked if asked is not None and asked.date == day and asked.status is JobStatus.FAILED else None
    if job is None:
        return None
    return {"id": job.id, "status": job.status.value, "phase": job.phase, "error": job.error,
            "time_limit": job.time_limit_s, "progress": job.progress or {}}


@router.get("/jour/{day}", response_class=HTMLResponse)
def coordinator_day(day: dt.date, request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
                    ok: Annotated[str | None, Query(pattern="^(published|planned|replanned)$")] = None,
                    job: Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")] = None) -> HTMLResponse:
    lang = page_lang(request)
    view = day_view(day, session=session)
    svg, round_links = None, {}
    if view is not None:
        geos = []
        for i, r in enumerate(view.rounds):
            try:
                geos.append((round_colour(i), round_geojson(r.id, session=session, network=network,
                                                            max_snap_distance_m=settings.max_snap_distance_m)))
            except DispatchError:  # handled: a day without a plan has nothing to show
                continue
            token, _ = links.round_link(r.id, session=session, settings=settings)
            round_links[r.id] = f"/r/{token}"
        svg = day_map_svg(geos, network)
    message = {"published": i18n.text("published_ok", lang), "planned": i18n.text("planned_ok", lang),
               "replanned": i18n.text("replan_applied", lang)}.get(ok or "")
    return render(request, "day.html", lang=lang, day=day, view=view, svg=svg, round_links=round_links,
                  colours=[round_colour(i) for i in range(len(view.rounds) if view else 0)], message=message,
                  suffix=lang_suffix(lang), time_limit=settings.solve_time_limit_s,
                  balance_default=settings.balance_work_time,
                  vans_out=day_vans_out(day, view, session=session), job=_day_job(day, job, session=session),
                  history=[p for p in planning.plan_history(day, session=session)
                           if p.status is PlanStatus.REPLACED][:10],
                  texts={k: i18n.text(k, lang) for k in i18n.MESSAGES if k.startswith(DAY_PAGE_TEXTS)},
                  live_ms=settings.day_page_poll_ms,
                  now_hhmm=local_now(settings.timezone).strftime("%H:%M"))


# What the day page's script says (dispatch/static/day.js), in the coordinator's language.
DAY_PAGE_TEXTS = ("edit_", "rule_", "replan_", "live_", "job_", "ev_", "status_")


@router.post("/jour/{day}/planifier")
def coordinator_plan(day: dt.date, request: Request, session: SessionDep, settings: SettingsDep,
                     background: BackgroundTasks, user: Annotated[StaffUser, require(Role.COORDINATOR)],
                     time_limit_s: Annotated[float | None, Form(gt=0, le=600)] = None,
                     balance: Annotated[bool, Form()] = False) -> RedirectResponse:
    """Start planning the day as a job (never in this request); the page then shows its progress."""
    planning.ensure_not_published(day, session=session)
    job = jobs.create_job(day, session=session, time_limit_s=time_limit_s or settings.solve_time_limit_s,
                          actor=user.username, balance=balance)
    background.add_task(request.app.state.job_runner.submit, job.id)  # after the commit: the runner finds it
    lang = page_lang(request)
    return RedirectResponse(f"/jour/{day.isoformat()}?job={job.id}" + ("&lang=en" if lang == "en" else ""),
                            status_code=303)


@router.post("/jour/{day}/publier")
def coordinator_publish(day: dt.date, request: Request, session: SessionDep, plan_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
                        user: Annotated[StaffUser, require(Role.COORDINATOR)],
                        accept_unassigned: Annotated[bool, Form()] = False) -> RedirectResponse:
    plan = planning.get_plan(plan_id, session=session)
    if plan.date != day:
        raise InvalidInput(f"plan {plan_id} is not the plan of {day.isoformat()}", field="plan_id")
    planning.publish_plan(plan_id, session=session, accept_unassigned=accept_unassigned, actor=user.username)
    lang = page_lang(request)
    return RedirectResponse(f"/jour/{day.isoformat()}?ok=published" + ("&lang=en" if lang == "en" else ""),
                            status_code=303)
