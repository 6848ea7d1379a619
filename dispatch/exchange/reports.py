"""The monthly report for funders, from the published plans and what crews reported at each stop.

Figures say where they come from:

* ``reported``: from the crews' stop events (``collected`` with the m³ collected, ``missed``);
* ``planned``: from the published plan, for stops with no outcome reported (expected m³), and for the
  km driven and crew hours (the plan's rounds; vans do not report odometers).

Only published plans count (a draft was never driven).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput
from dispatch.models import Plan, PlanStatus, StopEvent, StopEventKind, StopKind

HOME_PICKUP = "home_pickup"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2026-12' -> (first day, first day of the next month)."""
    m = _MONTH_RE.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise InvalidInput(f"month must be YYYY-MM, e.g. 2026-12; got {text!r}", field="month")
    first = dt.date(int(m.group(1)), int(m.group(2)), 1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def _arrondissement(postcode: str | None, arrondissement: int | None) -> str:
    """'75019' for Paris (75116 is the 16e), else the postcode (neighbouring communes)."""
    if arrondissement:
        return f"750{arrondissement:02d}"
    pc = (postcode or "").strip()
    if pc == "75116":
        return "75016"
    return pc or "unknown"


def _bucket() -> dict[str, float]:
    return {"m3": 0.0, "reported_m3": 0.0, "planned_m3": 0.0, "stops": 0}


def _published_plans(first: dt.date, nxt: dt.date, *, session: Session) -> list[Plan]:
    return list(session.scalars(
        select(Plan).where(Plan.status == PlanStatus.PUBLISHED, Plan.date >= first, Plan.date < nxt)
        .order_by(Plan.date)
    ).all())


def _outcomes(plans: list[Plan], *, session: Session) -> dict[int, StopEvent]:
    """The last outcome (collected or missed) reported at each stop of ``plans``."""
    stop_ids = [s.id for p in plans for r in p.rounds for s in r.stops]
    outcome: dict[int, StopEvent] = {}
    for start in range(0, len(stop_ids), 500):
        for ev in session.scalars(
            select(StopEvent).where(StopEvent.stop_id.in_(stop_ids[start:start + 500]),
                                    StopEvent.kind.in_([StopEventKind.COLLECTED, StopEventKind.MISSED]))
            .order_by(StopEvent.recorded_at, StopEvent.id)
        ).all():
            outcome[ev.stop_id] = ev  # the last outcome reported wins
    return outcome


@dataclass
class _Tally:
    """The month's figures, added up round by round and stop by stop."""

    outcome: dict[int, StopEvent]
    by_arr: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(_bucket))
    by_kind: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(_bucket))
    total: dict[str, float] = field(default_factory=_bucket)
    km: float = 0.0
    crew_hours: float = 0.0
    person_hours: float = 0.0
    rp_visits: dict[str, int] = field(
        default_factory=lambda: {"planned": 0, "collected": 0, "missed": 0, "not_reported": 0})
    # not_planned: accepted pickups of a published day that the plan left out (with a reason).
    pickups: dict[str, int] = field(
        default_factory=lambda: {"planned": 0, "collected": 0, "missed": 0, "not_reported": 0, "not_planned": 0})
    missed_reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rounds_count: int = 0

    def add_plan(self, plan: Plan) -> None:
        self.pickups["not_planned"] += sum(1 for u in plan.unassigned if u.kind is StopKind.PICKUP)
        for rnd in plan.rounds:
            self.rounds_count += 1
            self.km += rnd.distance_m / 1000
            hours = max(0.0, (rnd.end_at - rnd.start_at).total_seconds() / 3600)
            self.crew_hours += hours
            members = len(rnd.crew.members or []) if rnd.crew else 0
            self.person_hours += hours * max(1, members)
            for stop in rnd.stops:
                self.add_stop(stop)

    def add_stop(self, stop: Any) -> None:
        if stop.kind is StopKind.RELAY_POINT and stop.relay_point is not None:
            kind = stop.relay_point.kind.value
            arr = _arrondissement(stop.relay_point.postcode, stop.relay_point.arrondissement)
            counter = self.rp_visits
        elif stop.kind is StopKind.PICKUP and stop.pickup_request is not None:
            kind = HOME_PICKUP
            arr = _arrondissement(stop.pickup_request.postcode, None)
            counter = self.pickups
        else:
            return
        counter["planned"] += 1
        ev = self.outcome.get(stop.id)
        if ev is None:
            counter["not_reported"] += 1
            m3, source = stop.expected_m3, "planned_m3"
        elif ev.kind is StopEventKind.COLLECTED:
            counter["collected"] += 1
            m3, source = ev.collected_m3 or 0.0, "reported_m3"
        else:
            counter["missed"] += 1
            self.missed_reasons[ev.reason or "other"] += 1
            m3, source = 0.0, "reported_m3"
        for bucket in (self.by_arr[arr], self.by_kind[kind], self.total):
            bucket["m3"] += m3
            bucket[source] += m3
            bucket["stops"] += 1


def _rows(buckets: dict[str, dict[str, float]], key: str) -> list[dict[str, Any]]:
    return [{key: k, "m3": round(b["m3"], 2), "reported_m3": round(b["reported_m3"], 2),
             "planned_m3": round(b["planned_m3"], 2), "stops": int(b["stops"])}
            for k, b in sorted(buckets.items())]


def monthly_report(month: str, *, session: Session) -> dict[str, Any]:
    first, nxt = parse_month(month)
    plans = _published_plans(first, nxt, session=session)
    t = _Tally(_outcomes(plans, session=session))
    for plan in plans:
        t.add_plan(plan)
    return {
        "month": f"{first.year:04d}-{first.month:02d}",
        "published_plans": len(plans),
        "days": [p.date.isoformat() for p in plans],
        "rounds": t.rounds_count,
        "volume_m3": {"total": round(t.total["m3"], 2), "reported": round(t.total["reported_m3"], 2),
                      "planned": round(t.total["planned_m3"], 2)},
        "volume_by_arrondissement": _rows(t.by_arr, "arrondissement"),
        "volume_by_kind": _rows(t.by_kind, "kind"),
        "km_driven": {"value": round(t.km, 1), "source": "planned"},
        "crew_hours": {"value": round(t.crew_hours, 1), "person_hours": round(t.person_hours, 1),
                       "source": "planned"},
        "relay_point_visits": {**t.rp_visits, "source": "reported where crews reported, planned otherwise"},
        "pickups": {**t.pickups, "source": "reported where crews reported, planned otherwise"},
        "missed_reasons": dict(sorted(t.missed_reasons.items())),
        "sources": {
            "reported": "what crews reported at each stop from their route sheets (collected m³, missed)",
            "planned": "the published plan: expected m³ of stops with no outcome reported; km and hours of the "
                       "planned rounds (vans do not report odometers or clock times)",
        },
    }


REPORT_CSV_COLUMNS = ("section", "key", "value", "unit", "source", "reported", "planned")


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report as flat CSV lines (section, key, value, unit, source, reported part, planned part)."""
    out: list[dict[str, Any]] = []
    v = report["volume_m3"]
    out.append({"section": "volume", "key": "total", "value": v["total"], "unit": "m3", "source": "mixed",
                "reported": v["reported"], "planned": v["planned"]})
    for section, key in (("volume_by_arrondissement", "arrondissement"), ("volume_by_kind", "kind")):
        for row in report[section]:
            out.append({"section": section, "key": row[key], "value": row["m3"], "unit": "m3", "source": "mixed",
                        "reported": row["reported_m3"], "planned": row["planned_m3"]})
    out.append({"section": "km_driven", "key": "total", "value": report["km_driven"]["value"], "unit": "km",
                "source": "planned"})
    out.append({"section": "crew_hours", "key": "rounds", "value": report["crew_hours"]["value"], "unit": "h",
                "source": "planned"})
    out.append({"section": "crew_hours", "key": "person_hours", "value": report["crew_hours"]["person_hours"],
                "unit": "h", "source": "planned"})
    for section in ("relay_point_visits", "pickups"):
        for key in ("planned", "collected", "missed", "not_reported", "not_planned"):
            if key not in report[section]:
                continue
            out.append({"section": section, "key": key, "value": report[section][key], "unit": "count",
                        "source": "planned" if key in ("planned", "not_reported") else "reported"})
    for reason, count in report["missed_reasons"].items():
        out.append({"section": "missed_reasons", "key": reason, "value": count, "unit": "count",
                    "source": "reported"})
    return out


def monthly_report_csv(month: str, *, session: Session, excel: bool = False) -> bytes:
    from dispatch.exchange.exports import write_csv

    return write_csv(report_rows(monthly_report(month, session=session)), REPORT_CSV_COLUMNS, excel=excel)
