"""A depot's opening hours bound the shifts of the crews whose vans are based there."""

from __future__ import annotations

import datetime as dt

from dispatch.demo import seed_demo
from dispatch.fleet import depots
from dispatch.planning.day import build_day

DAY = dt.date(2026, 12, 1)  # a Tuesday


def test_depot_hours_bound_the_shifts(session, settings, paris_network):
    seed_demo(DAY, session=session)
    depot = depots.list_depots(session=session)[0]
    assert depots.depot_window(depot, DAY) is None  # no hours: no limit beyond the shifts
    before = build_day(DAY, settings, paris_network, session=session).problem.vehicles
    assert {(v.shift.start, v.shift.end) for v in before} == {(8 * 3600, 16 * 3600)}
    depots.update_depot(depot.id, {"opening_hours": [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "15:30"},
                                                     {"days": [5], "open": "10:00", "close": "12:00"}]},
                        session=session)
    assert depots.depot_window(depot, DAY) == (9 * 3600, 15 * 3600 + 1800)
    assert depots.depot_window(depot, dt.date(2026, 12, 6)) == (0, 0)  # closed on Sundays
    after = build_day(DAY, settings, paris_network, session=session).problem.vehicles
    assert {(v.shift.start, v.shift.end) for v in after} == {(9 * 3600, 15 * 3600 + 1800)}
