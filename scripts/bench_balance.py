#!/usr/bin/env python
"""Fair work on the demo day: the crews' working-time spread and the km, balancing off vs on.

Seeds the Paris demo day (2026-12-01) in a temporary SQLite database, plans it with the same time limit,
seed and solution limit twice (``balance=False`` then ``balance=True``, ``DISPATCH_BALANCE_COST_PER_S``
as set), and prints one line each: each crew's working time, the spread (longest - shortest) and the km.

    python scripts/bench_balance.py                       # 10 s each, seed 1
    python scripts/bench_balance.py --time-limit 30 --seed 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.db import engine_for, session_scope, upgrade  # noqa: E402
from dispatch.demo import seed_demo  # noqa: E402
from dispatch.planning.day import plan_day  # noqa: E402
from dispatch.planning.views import plan_view  # noqa: E402
from dispatch.roads import RoadNetwork, default_graph_path  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

DAY = dt.date(2026, 12, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--solution-limit", type=int, default=None, help="stop after this many solutions")
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-balance-')}/bench.sqlite3"
    upgrade(url)
    settings = Settings(database_url=url, solve_solution_limit=args.solution_limit, _env_file=None)
    network = RoadNetwork.load(default_graph_path(), van_speed_factor=settings.van_speed_factor)
    with session_scope(engine_for(url)) as session:
        seed_demo(DAY, session=session)
    for balance in (False, True):
        with session_scope(engine_for(url)) as session:
            plan = plan_day(DAY, settings, network, session=session, time_limit_s=args.time_limit, seed=args.seed,
                            balance=balance)
            view = plan_view(plan)
            times = ", ".join(f"{who} {m // 60}h{m % 60:02d}" for who, m in view.work_minutes)
            print(f"balance {'on ' if balance else 'off'}: spread {view.spread_minutes} min, "
                  f"{view.distance_km:.1f} km, {view.stop_count} visits, {len(view.unassigned)} unassigned ({plan.solver_status}); {times}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
