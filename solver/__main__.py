"""``python -m solver INSTANCE --time-limit SECONDS [--seed N] [--workers W] [--search-params FILE] [--json]``.

The benchmark CLI. ``--search-params`` reads a JSON / TOML file of ``SearchParams`` fields to change
(search tuning experiments; the defaults are the shipped settings).

Instances above ``--decompose-above`` customers (default 500, e.g. X-n1001) are solved by decomposition
(``solver.decompose``: angular sectors around the depot of about ``--cluster-size`` customers, solved in
``--workers`` processes, then neighbouring sectors re-solved in pairs); measured on X-n1001-k43 at 60 s,
that is about half the gap of one OR-Tools search over the whole instance."""

from __future__ import annotations

import argparse
import json
import sys

from . import ProblemError, SearchParams, SolveOptions, check, solve
from .decompose import solve_large
from .instances import read


def _as_lat_lon(xy: tuple[float, float]) -> tuple[float, float]:
    """Planar instance coordinates as (lat, lon) on a tiny patch at the equator, where the decomposition's
    angles and straight-line distances are the planar ones (up to a constant factor)."""
    return xy[1] * 1e-5, xy[0] * 1e-5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m solver", description=__doc__)
    ap.add_argument("instance", help="Solomon .txt or VRPLIB .vrp file")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solution-limit", type=int, default=None)
    ap.add_argument(
        "--workers", type=int, default=2, help="parallel searches, best plan kept (default 2; 1 = deterministic)"
    )
    ap.add_argument(
        "--decompose-above",
        type=int,
        default=500,
        metavar="N",
        help="solve instances of more than N customers by decomposition (default 500)",
    )
    ap.add_argument("--cluster-size", type=int, default=100, help="customers per sector when decomposing")
    ap.add_argument(
        "--search-params",
        metavar="FILE",
        default=None,
        help="JSON or TOML file of SearchParams fields to change (search tuning experiments)",
    )
    ap.add_argument("--json", action="store_true", help="print only the JSON result")
    args = ap.parse_args(argv)
    if args.time_limit <= 0 or args.workers < 1 or args.cluster_size < 2:
        ap.error("--time-limit must be positive, --workers at least 1 and --cluster-size at least 2")

    try:
        search = SearchParams() if args.search_params is None else SearchParams.from_file(args.search_params)
    except ProblemError as exc:
        ap.error(f"--search-params: {exc}")
    inst = read(args.instance)
    problem = inst.problem
    options = SolveOptions(
        time_limit_s=args.time_limit,
        seed=args.seed,
        solution_limit=args.solution_limit,
        workers=args.workers,
        search=search,
    )
    decompose = len(problem.visits) > args.decompose_above and bool(inst.coordinates)
    if decompose:
        solution = solve_large(
            problem,
            options,
            coordinates=tuple(map(_as_lat_lon, inst.coordinates)),
            cluster_size=args.cluster_size,
            workers=args.workers,
        )
    else:
        solution = solve(problem, options)
    routes = [[int(s) for s in r.visit_ids] for r in solution.routes]
    out = {"routes": routes, "cost": round(solution.summary.cost / inst.scale, 6), "vehicles": len(routes)}
    violations = check(problem, solution)
    if args.json:
        print(json.dumps(out))
    else:
        print(json.dumps(out))
        print(
            f"{inst.name}: status {solution.status.value}, cost {out['cost']}, vehicles {len(routes)}, "
            f"unassigned {len(solution.unassigned)}, {solution.summary.solve_seconds} s, "
            f"{'decomposition into sectors' if decompose else 'one search'}, "
            f"checker: {'ok' if not violations else '; '.join(map(str, violations))}",
            file=sys.stderr,
        )
    return 0 if not violations and solution.status.value == "solved" else 1


if __name__ == "__main__":
    sys.exit(main())
