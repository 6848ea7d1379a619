#!/usr/bin/env python
"""Multi-day simulator of relay-point collection on the Paris demo network.

Runs N calendar days (collection days: Monday-Saturday except public holidays) with stochastic
donations per relay point, noisy and late fill reports, home-pickup demand, van absences and
breakdowns; each collection day a policy chooses the relay points, the day is planned as ``dispatch plan``
plans one (the product's problem builder and solve options, through scripts/sim_planner.py: the demo fleet,
mandatory visits mandatory), the plan is executed with travel-time noise, and the outcomes are recorded.

Policies: ``reactive`` (visit only relay points reported full), ``fixed`` (each relay point on a
fixed weekday every week, no reaction to calls), ``forecast`` (rolling horizon, dispatch.planning.horizon),
``oracle`` (the same horizon rule fed each morning with every relay point's true stock and true rates:
the limit the forecasts are measured against). Worlds (``--world``, see scripts/sim_worlds.py) change how
donations arrive and hosts report; ``default`` is the world of earlier reports.

    .venv/bin/python scripts/simulate.py --days 60 --seeds 5 [--policies reactive,fixed,forecast,oracle]
        [--world default | --worlds all] [--time-limit 5] [--solution-limit 200] [--workers 2] [--json]
        [--report docs/simulation]

The result for a seed is deterministic when the solver stops on ``--solution-limit`` (the default)
before ``--time-limit``; the time limit is a safety net.

The parts: ``sim_model.py`` (the settings, the demo world, a seed's truth, a run's outcome), ``sim_run.py`` (one
run of a policy, day by day), ``sim_planner.py`` (a day planned as ``dispatch plan`` plans it), ``sim_worlds.py``
(the worlds) and ``sim_report.py`` (aggregates, targets, reports). This module is the command line: it runs the
(policy, seed) jobs of each world, side by side with ``--workers``, and hands them to the report; it re-exports
what the tests use (:func:`run`, :class:`Config`, :func:`world`, :func:`scenario`, :data:`START`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sim_worlds  # noqa: E402
from sim_model import START, Config, Outcome, scenario, world  # noqa: E402
from sim_report import aggregate, oracle_gap, targets, write_report, write_worlds_table  # noqa: E402
from sim_run import run  # noqa: E402

__all__ = ["POLICIES", "START", "Config", "Outcome", "main", "run", "scenario", "simulate_world", "world"]

POLICIES = ("reactive", "fixed", "forecast", "oracle")


def _job(args: tuple[str, int, Config]) -> Outcome:
    """One (policy, seed, cfg) job: a module-level function, as a process pool's work must be."""
    return run(*args)


def simulate_world(world_name: str, a: argparse.Namespace, policies: list[str]) -> tuple[dict, list[Outcome], float]:
    """Every policy over every seed of the command line in one world: the aggregate (with the oracle gap, the
    targets and the world's name, as the JSON gives it), the outcomes and the wall time; the report when asked."""
    cfg = Config(days=a.days, time_limit=a.time_limit, solution_limit=a.solution_limit or None,
                 horizon_days=a.horizon, world=world_name)
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    jobs = [(p, s, cfg) for s in seeds for p in policies]
    started = time.perf_counter()
    if a.workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(a.workers) as pool:
            outcomes = pool.map(_job, jobs, chunksize=1)
    else:
        outcomes = [_job(j) for j in jobs]
    elapsed = time.perf_counter() - started
    agg = aggregate(outcomes, policies)
    if a.merge:
        _merge(agg, a.merge, world_name)
    gap = oracle_gap(agg)
    if gap:
        agg["policies"]["forecast"]["oracle_gap"] = gap
    agg["targets"] = targets(agg, world_name)
    agg["world"] = world_name
    if a.report and not a.merge:
        out_dir = Path(a.report) if world_name == "default" else Path(a.report) / "worlds" / world_name
        write_report(outcomes, agg, cfg, seeds, policies, out_dir, elapsed)
    return agg, outcomes, elapsed


def _merge(agg: dict, path: Path, world_name: str) -> None:
    """The policies of the previous run in ``path`` (a ``--json`` output) that this run did not run, added to
    ``agg`` (in the usual order), so that the targets are judged on every policy."""
    previous = json.loads(path.read_text(encoding="utf-8"))
    previous = previous.get(world_name) if "policies" not in previous else previous
    if not previous or previous.get("world", world_name) != world_name:
        raise SystemExit(f"--merge {path}: no run of the world {world_name!r} in it")
    for key in ("policies", "sd"):
        both = previous[key] | agg[key]
        agg[key] = {p: both[p] for p in POLICIES if p in both}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--world", default="default", choices=sim_worlds.WORLDS, help="see scripts/sim_worlds.py")
    ap.add_argument("--worlds", choices=("all",), help="every world, one after the other, and a table per world")
    ap.add_argument("--time-limit", type=float, default=5.0, help="safety net per solve; --solution-limit stops first")
    ap.add_argument("--solution-limit", type=int, default=200, help="0: time limit only (not deterministic)")
    ap.add_argument("--horizon", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", default=str(REPO / "docs" / "simulation"), help="directory; '' for none")
    ap.add_argument("--merge", type=Path, help="a previous run's --json output (same days, seeds, worlds): the "
                    "policies not run here are taken from it and the targets judged on all of them; per-world "
                    "reports are then not written (worlds.md is, saying so)")
    a = ap.parse_args(argv)
    policies = [p.strip() for p in a.policies.split(",") if p.strip()]
    bad = [p for p in policies if p not in POLICIES]
    if bad:
        ap.error(f"unknown policy {bad}; choose among {', '.join(POLICIES)}")
    names = list(sim_worlds.WORLDS) if a.worlds == "all" else [a.world]
    results, elapsed = {}, 0.0
    for name in names:
        agg, _, seconds = simulate_world(name, a, policies)
        results[name], elapsed = agg, elapsed + seconds
    if a.worlds == "all" and a.report:
        write_worlds_table(results, a, Path(a.report) / "worlds.md")
    if a.json:
        print(json.dumps(results if a.worlds == "all" else results[names[0]], indent=2))
    else:
        for name, agg in results.items():
            for p in policies:
                print(name, p, agg["policies"][p])
            print(name, "targets", agg["targets"])
        print(f"{elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
