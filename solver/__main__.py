"""``python -m solver INSTANCE --time-limit SECONDS [--seed N] [--workers W] [--json]``: benchmark CLI."""

from __future__ import annotations

import argparse
import json
import sys

from . import SolveOptions, check, solve
from .instances import read


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m solver", description=__doc__)
    ap.add_argument("instance", help="Solomon .txt or VRPLIB .vrp file")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solution-limit", type=int, default=None)
    ap.add_argument(
        "--workers", type=int, default=2, help="parallel searches, best plan kept (default 2; 1 = deterministic)"
    )
    ap.add_argument("--json", action="store_true", help="print only the JSON result")
    args = ap.parse_args(argv)

    inst = read(args.instance)
    problem = inst.problem
    solution = solve(
        problem,
        SolveOptions(
            time_limit_s=args.time_limit, seed=args.seed, solution_limit=args.solution_limit, workers=args.workers
        ),
    )
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
            f"checker: {'ok' if not violations else violations}",
            file=sys.stderr,
        )
    return 0 if not violations and solution.status.value == "solved" else 1


if __name__ == "__main__":
    sys.exit(main())
