"""Planning a day: the one problem builder (``problem``), the day's plan (``day``, ``day_problem``,
``plans``), editing (``versions``, ``edit_context``, ``round_timing``, ``round_writing``, ``editing``,
``round_status``), trial insertion of a new pickup (``insertion``), re-optimising and re-planning (``resolve``, ``resolve_write``, ``reoptimise``,
``replan``), the rolling horizon and fill forecasts (``horizon``, ``forecast``, pure), depots and regions
(``regions``, ``scale``), views of a plan (``views``).

Other packages use only the names and modules made public below (``relay_points`` imports
``planning.forecast`` while ``planning.day`` imports ``relay_points``, so nothing is imported eagerly).
"""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "build_day": "day", "plan_day": "day", "DayProblem": "day_problem", "FillForecast": "forecast",
    "Peer": "forecast", "Prior": "forecast", "estimate": "forecast", "observations_from_reports": "forecast",
    "open_weekdays": "forecast", "prior_from_peers": "forecast", "HorizonInput": "horizon", "decide": "horizon",
    "Insertion": "insertion", "TrialPlan": "insertion", "new_pickup": "insertion",
    "get_plan": "plans", "latest_plan": "plans", "publish_plan": "plans", "Candidate": "problem",
    "LITRES_PER_M3": "problem", "check_regions": "regions", "region_of_depot": "regions",
    "ROUND_IN_PROGRESS": "round_status", "update_round_status": "round_status", "open_plan": "versions",
    "DayView": "views", "RoundView": "views", "StopView": "views", "UnassignedView": "views",
    "day_vans_out": "views", "day_view": "views", "format_summary": "views", "plan_view": "views",
    "week_ahead": "week", "week_dict": "week",
}
_MODULES: tuple[str, ...] = (
    "editing", "plans", "reoptimise", "replan", "replan_preview", "resolve", "resolve_write", "scale",
    "versions", "week",
)
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
