"""`dispatch depots list|add|set|import`: depots managed from the command line, without SQL: listed with their
region, hours and vans; added, changed or imported from CSV (all rows or none); `--van NAME` bases a van there."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dispatch.errors import DispatchError


def _depot_line(depot, vans) -> str:
    from dispatch.planning import region_of_depot

    hours = "; ".join(f"{','.join(str(d) for d in e['days'])} {e['open']}-{e['close']}" for e in depot.opening_hours or [])
    return (f"{depot.id}  {depot.name} ({depot.address}) region {region_of_depot(depot)}, "
            f"hours {hours or 'no limit'}, vans: {', '.join(v.name for v in vans) or 'none'}")


def cmd_depots(args: argparse.Namespace) -> int:
    """`dispatch depots list|add|set|import`: depots managed without SQL; `--van NAME` bases a van there."""
    from dispatch.exchange import ImportRejected
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.exchange import depot_import
    from dispatch.fleet import depots
    from dispatch.roads import get_network
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    network = None if args.depots_command == "list" else get_network(settings)
    with session_scope(engine_for(settings.database_url)) as session:
        if args.depots_command == "import":
            path = Path(args.file)
            if not path.is_file():
                raise DispatchError(f"{args.file!r} is not a file: give the CSV file to import")
            try:
                result = depot_import.import_depots(
                    path.read_bytes(), session=session, network=network,
                    max_snap_distance_m=settings.max_snap_distance_m, max_rows=settings.import_max_rows,
                    max_bytes=settings.import_max_bytes, dry_run=args.dry_run, update=args.update)
            except ImportRejected as exc:
                for error in exc.errors:
                    print(f"row {error['row']}, column {error['column'] or '-'}: {error['error']}", file=sys.stderr)
                raise
            print(f"{path.name}: {result.rows} rows: {'would create' if args.dry_run else 'created'} "
                  f"{result.created}, updated {result.updated}" + (" (dry run: nothing stored)" if args.dry_run else ""))
            return 0
        if args.depots_command in ("add", "set"):
            values = {k: getattr(args, k) for k in ("name", "address", "lat", "lon", "region")
                      if getattr(args, k, None) is not None}
            if args.hours is not None:
                values["opening_hours"] = _opening_hours(args.hours)
            kw = dict(session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m)
            if args.depots_command == "add":
                depot = depots.create_depot(values, **kw)
            else:
                values.pop("name", None)
                if args.rename:
                    values["name"] = args.rename
                depot = depots.update_depot(_depot_by_name(args.name, session), values, **kw)
            for name in args.van or ():
                _van_by_name(name, session).depot_id = depot.id
            session.flush()
        for depot in depots.list_depots(session=session):
            print(_depot_line(depot, depots.vans_of(depot.id, session=session)))
    return 0


def _opening_hours(text: str) -> list:
    from dispatch.exchange import BadValue, parse_opening_hours

    if not text.strip():
        return []
    try:
        return parse_opening_hours(text)
    except BadValue as exc:
        raise DispatchError(f"--hours: {exc}") from None


def _depot_by_name(name: str, session) -> int:
    from sqlalchemy import func, select

    from dispatch.models import Depot

    depot = session.scalars(select(Depot).where(func.lower(Depot.name) == name.strip().lower())).first()
    if depot is None:
        names = ", ".join(repr(d) for d in session.scalars(select(Depot.name)).all())
        raise DispatchError(f"no depot is named {name!r}: the depots are {names or 'none'}")
    return depot.id


def _van_by_name(name: str, session):
    from sqlalchemy import func, select

    from dispatch.models import Van

    van = session.scalars(select(Van).where(func.lower(Van.name) == name.strip().lower())).first()
    if van is None:
        names = ", ".join(repr(v) for v in session.scalars(select(Van.name)).all())
        raise DispatchError(f"no van is named {name!r}: the vans are {names or 'none'}")
    return van



def add_depots(sub: argparse._SubParsersAction) -> None:
    depots = sub.add_parser("depots", help="depots: list, add, change, import from CSV; base vans there")
    dsub = depots.add_subparsers(dest="depots_command", required=True)
    dsub.add_parser("list", help="list the depots, their region, hours and vans").set_defaults(func=cmd_depots)
    for name, text in (("add", "add a depot"), ("set", "change the depot NAME (only the options given)")):
        d = dsub.add_parser(name, help=text)
        d.add_argument("name", help="the depot's name, e.g. 'Dépôt Sud'")
        d.add_argument("--address", required=name == "add")
        d.add_argument("--lat", type=float, required=name == "add")
        d.add_argument("--lon", type=float, required=name == "add")
        d.add_argument("--hours", help="opening hours, e.g. 'Mo-Sa 07:00-18:00' ('' = no limit)")
        d.add_argument("--region", help="planning region, e.g. 'sud' ('' = default)")
        d.add_argument("--van", action="append", metavar="VAN", help="base this van there (repeatable)")
        if name == "set":
            d.add_argument("--rename", help="new name")
        d.set_defaults(func=cmd_depots)
    dimp = dsub.add_parser("import", help="import depots (and their vans) from a CSV file (all rows or none)")
    dimp.add_argument("file", help="CSV: name,address,lat,lon[,opening_hours,region,vans]")
    dimp.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    dimp.add_argument("--update", action="store_true", help="update the depots whose name exists")
    dimp.set_defaults(func=cmd_depots)
