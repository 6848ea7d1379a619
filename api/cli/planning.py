"""`dispatch seed-demo|plan|week|manifests`: the demo network, a day's plan, the week ahead and the printable
manifests of a planned day. Each command upgrades the database schema first; a plan is printed as a summary or
as the API's JSON (``DayOut``)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from api.cli.arguments import default_day, iso_date, positive_seconds
from dispatch.errors import DispatchError


def seed_demo_network(day: dt.date, *, only_if_empty: bool) -> None:
    """Seed the Paris demo, its home pickups on ``day``; into a non-empty database: a DispatchError, or
    nothing with ``only_if_empty``."""
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import is_seeded, seed_demo
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        if is_seeded(session=session):
            if only_if_empty:
                print("database already holds a network: not seeding the demo")
                return
            raise DispatchError(
                "the database is not empty: the demo is only seeded into an empty database "
                "(point DISPATCH_DATABASE_URL at a new file, or delete var/dispatch.sqlite3)"
            )
        counts = seed_demo(day, session=session)
    print(
        f"seeded the Paris demo: {counts['relay_points']} relay points, {counts['vans']} vans, "
        f"{counts['pickups']} home pickups on {day.isoformat()}"
    )


def cmd_seed_demo(args: argparse.Namespace) -> int:
    seed_demo_network(args.date or default_day(), only_if_empty=args.if_empty)
    return 0


def plan_and_print(day: dt.date, time_limit: float | None, seed: int | None, as_json: bool,
                   balance: bool | None = None) -> None:
    """Plan ``day``, store it as the draft plan and print it (a summary, or the API's JSON)."""
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.roads import get_network
    from dispatch.planning import plan_day
    from dispatch.settings import get_settings
    from dispatch.planning import format_summary, plan_view

    settings = get_settings()
    upgrade(settings.database_url)
    network = get_network(settings)
    with session_scope(engine_for(settings.database_url)) as session:
        plan = plan_day(day, settings, network, session=session, time_limit_s=time_limit, seed=seed,
                        balance=balance)
        view = plan_view(plan)
    if as_json:
        from api.schemas.plans import DayOut

        print(DayOut.from_view(view).model_dump_json(indent=2))
    else:
        print(format_summary(view))


def cmd_week(args: argparse.Namespace) -> int:
    """The week ahead: each day's visits, load per van-day, overloaded days and their fixes."""
    import json

    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.planning import week_ahead, week_dict
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        data = week_dict(week_ahead(args.start or dt.date.today(), settings, session=session, days=args.days))
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for d in data["days"]:
        flag = "  OVERLOADED" if d["overloaded"] else ""
        print(f"{d['date']} ({d['source']}): {len(d['visits'])} relay points + {d['pickups']} pickups, "
              f"{d['load_m3']:.1f} m³ for {d['vans']} vans ({d['m3_per_van']:.1f} m³ a van, capacity "
              f"{d['capacity_m3']:.1f} m³ / {d['capacity_stops']} stops){flag}")
        for fix in d["fixes"]:
            print("    fix: " + _fix_text(fix))
    for t in data["twice"]:
        print(f"note: {t['name']} is planned on {t['dates'][0]} and {t['dates'][1]}")
    return 0


def _fix_text(fix: dict) -> str:
    if fix["kind"] == "van":
        return f"bring back van {fix['van']} ({fix['reason']})"
    if fix["kind"] == "saturday":
        return f"add a Saturday round on {fix['date']}"
    return f"move {', '.join(fix['visits'])} to {fix['to']}"


def cmd_plan(args: argparse.Namespace) -> int:
    plan_and_print(args.date or default_day(), args.time_limit, args.seed, args.json, args.balance)
    return 0


def cmd_manifests(args: argparse.Namespace) -> int:
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.documents import write_day_manifests
    from dispatch.roads import get_network
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        paths = write_day_manifests(args.date, Path(args.out), session=session, network=get_network(settings),
                                    settings=settings, base_url=args.base_url or settings.base_url, lang=args.lang)
    for path in paths:
        print(path)
    return 0


def add_seed_demo(sub: argparse._SubParsersAction) -> None:
    seed = sub.add_parser("seed-demo", help="load the Paris demo network into an empty database")
    seed.add_argument("--date", type=iso_date, help="day of the demo's home pickups (default: next collection day)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if the database already holds data")
    seed.set_defaults(func=cmd_seed_demo)


def add_plan(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="plan a day's rounds and store them as the draft plan")
    plan.add_argument("--date", type=iso_date, help="day to plan (default: next collection day)")
    plan.add_argument("--time-limit", type=positive_seconds, help="solver time limit in seconds")
    plan.add_argument("--seed", type=int, help="solver random seed")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument("--balance", action=argparse.BooleanOptionalAction, default=None,
                      help="balance the crews' working time (default: DISPATCH_BALANCE_WORK_TIME)")
    plan.set_defaults(func=cmd_plan)


def add_week(sub: argparse._SubParsersAction) -> None:
    week = sub.add_parser("week", help="the week ahead: visits per day, load per van-day, overloaded days")
    week.add_argument("--from", dest="start", type=iso_date, help="first day (default: today)")
    week.add_argument("--days", type=int, default=5, choices=range(1, 15), metavar="N",
                      help="collection days to show (1-14, default 5)")
    week.add_argument("--json", action="store_true", help="print the week as JSON")
    week.set_defaults(func=cmd_week)


def add_manifests(sub: argparse._SubParsersAction) -> None:
    manifests = sub.add_parser("manifests", help="write the printable PDFs of a planned day")
    manifests.add_argument("--date", type=iso_date, required=True, help="planned day")
    manifests.add_argument("--out", default="manifests", help="folder to write into")
    manifests.add_argument("--lang", choices=("fr", "en"), default="fr")
    manifests.add_argument("--base-url", help="address crews open (default: DISPATCH_BASE_URL)")
    manifests.set_defaults(func=cmd_manifests)
