"""Planning a day: the one problem builder (``problem``), the day's plan (``day``, ``day_problem``,
``plans``), editing (``versions``, ``edit_context``, ``round_timing``, ``round_writing``, ``editing``,
``round_status``), re-optimising and re-planning (``resolve``, ``resolve_write``, ``reoptimise``,
``replan``), the rolling horizon and fill forecasts (``horizon``, ``forecast``, pure), depots and regions
(``regions``, ``scale``), views of a plan (``views``).

The public names below are loaded on first use (PEP 562): ``relay_points`` imports ``planning.forecast``
while ``planning.day`` imports ``relay_points``, so nothing here is imported eagerly.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "build_day": "day", "plan_day": "day", "publish_plan": "plans", "get_plan": "plans", "latest_plan": "plans",
    "DayProblem": "day_problem", "Candidate": "problem", "LITRES_PER_M3": "problem",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
