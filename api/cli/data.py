"""`dispatch roads|addresses|import|report`: the data the planner reads and what it gives back: road graphs
(fetched once, described), the address index (imported from BAN files, searched), relay points and home pickups
imported from CSV (all rows or none, every bad row printed), and the monthly report for funders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dispatch.errors import DispatchError
from dispatch.workdays import local_today


def cmd_import(args: argparse.Namespace) -> int:
    """`dispatch import relay-points|pickups FILE`: all rows or none; every bad row is printed."""
    from dispatch.exchange import ImportRejected
    from dispatch.exchange import import_pickups
    from dispatch.exchange import import_relay_points
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.roads import get_network
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    path = Path(args.file)
    if not path.is_file():
        raise DispatchError(f"{args.file!r} is not a file: give the CSV file to import")
    data = path.read_bytes()
    network = get_network(settings)
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            if args.what == "relay-points":
                result = import_relay_points(
                    data, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m,
                    max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes, dry_run=args.dry_run,
                    update=args.update)
            else:
                today = local_today(settings.timezone)
                result = import_pickups(
                    data, session=session, settings=settings, network=network, today=today,
                    max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes, dry_run=args.dry_run)
    except ImportRejected as exc:
        for error in exc.errors:
            print(f"row {error['row']}, column {error['column'] or '-'}: {error['error']}", file=sys.stderr)
        raise
    verb = "would create" if result.dry_run else "created"
    print(f"{path.name}: {result.rows} rows ({result.encoding}, separator {result.delimiter!r}): {verb} "
          f"{result.created}, updated {result.updated}" + (" (dry run: nothing stored)" if result.dry_run else ""))
    if result.ignored_columns:
        print(f"ignored columns: {', '.join(result.ignored_columns)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`dispatch report --month YYYY-MM [--csv]`: the monthly report for funders."""
    import json

    from dispatch.exchange import reports
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        if args.csv:
            sys.stdout.write(reports.monthly_report_csv(args.month, session=session).decode("utf-8"))
        else:
            print(json.dumps(reports.monthly_report(args.month, session=session), indent=2, ensure_ascii=False))
    return 0


def cmd_roads_fetch(args: argparse.Namespace) -> int:
    from dispatch.roads import fetch_graph

    places = list(args.place)
    path = fetch_graph(places if len(places) > 1 else places[0], Path(args.out))
    print(f"saved the road network of {' + '.join(places)} to {path}; use it with DISPATCH_GRAPH_PATH={path} "
          "or --graph (data © OpenStreetMap contributors, ODbL 1.0)")
    return 0


def cmd_roads_info(args: argparse.Namespace) -> int:
    from dispatch.roads import get_network
    from dispatch.roads import default_graph_path
    from dispatch.settings import get_settings

    settings = get_settings()
    network = get_network(settings)
    south, west, north, east = network.bbox
    print(f"graph: {settings.graph_path or default_graph_path()}")
    print(f"routing nodes: {network.n}, bounding box: lat {south:.5f}-{north:.5f}, lon {west:.5f}-{east:.5f}")
    print(f"van speed factor: {settings.van_speed_factor}, fingerprint: {network.fingerprint[:16]}")
    from dispatch.pickups import coverage
    from dispatch.pickups import rules_config

    rules = rules_config(settings)
    gaps = coverage.unreachable_communes(rules, network, max_snap_distance_m=settings.max_snap_distance_m)
    print(f"served communes reached: {len(coverage.served(rules)) - len(gaps)} of {len(coverage.served(rules))}"
          + "".join(f"\n  not reached: {g}" for g in gaps))
    return 0


def cmd_addresses_import(args: argparse.Namespace) -> int:
    from dispatch.addresses import import_addresses
    from dispatch.settings import get_settings

    target = get_settings().address_index_file()

    def progress(rows: int, share: float) -> None:
        print(f"\r{rows:>9,} addresses read ({share:4.0%})", end="", file=sys.stderr, flush=True)

    result = import_addresses(Path(args.file), target, replace=args.replace, progress=progress)
    print(file=sys.stderr)
    print(f"imported {result.read} addresses from {args.file} into {result.index_path}: {result.added} new, "
          f"{result.updated} updated, {result.unchanged} unchanged; the index holds {result.total} addresses")
    return 0


def cmd_addresses_search(args: argparse.Namespace) -> int:
    from dispatch.addresses import check_query, get_geocoder
    from dispatch.settings import get_settings

    for m in get_geocoder(get_settings()).search(check_query(args.query), limit=args.limit):
        print(f"{m.score:.2f}  {m.label}  ({m.lat:.6f}, {m.lon:.6f})")
    return 0


def add_roads(sub: argparse._SubParsersAction) -> None:
    roads = sub.add_parser("roads", help="road network files").add_subparsers(dest="roads_command", required=True)
    fetch = roads.add_parser("fetch", help="download a drivable OSM network once (needs Internet) for offline use")
    fetch.add_argument("place", nargs="+", help='one or more place names, e.g. "Paris, France" "Pantin, France" '
                       "(several places: one graph covering them all)")
    fetch.add_argument("--out", default="var/roads.graphml.gz", help="file to write (gzip GraphML)")
    fetch.set_defaults(func=cmd_roads_fetch)
    roads.add_parser("info", help="load the configured road graph and describe it").set_defaults(func=cmd_roads_info)


def add_addresses(sub: argparse._SubParsersAction) -> None:
    addresses = sub.add_parser("addresses", help="the address index (geocoding)").add_subparsers(
        dest="addresses_command", required=True)
    aimp = addresses.add_parser("import", help="import a BAN CSV file (adresses-75.csv.gz) into the address index "
                                "(all rows or none; re-importing the same file changes nothing)")
    aimp.add_argument("file", help="BAN CSV file, plain or .gz")
    aimp.add_argument("--replace", action="store_true", help="start from an empty index instead of merging")
    aimp.set_defaults(func=cmd_addresses_import)
    asearch = addresses.add_parser("search", help="search the configured geocoder, e.g. '12 r de belleville'")
    asearch.add_argument("query")
    asearch.add_argument("--limit", type=int, default=5, choices=range(1, 21), metavar="N")
    asearch.set_defaults(func=cmd_addresses_search)


def add_import(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import relay points or home pickups from a CSV file (all rows or none)")
    imp.add_argument("what", choices=("relay-points", "pickups"))
    imp.add_argument("file", help="CSV file (',' or ';', UTF-8 or Windows-1252); see docs/samples/")
    imp.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    imp.add_argument("--update", action="store_true", help="relay points: update those whose code exists")
    imp.set_defaults(func=cmd_import)


def add_report(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser("report", help="the monthly report for funders (published plans and crews' reports)")
    rep.add_argument("--month", required=True, help="YYYY-MM")
    rep.add_argument("--csv", action="store_true", help="print CSV lines instead of JSON")
    rep.set_defaults(func=cmd_report)
