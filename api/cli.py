"""The ``dispatch`` command line (an interface, like the HTTP API: it sits above ``dispatch``)."""

from __future__ import annotations

import argparse
import os
import socket
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from dispatch.errors import DispatchError

from api.cli_depots import cmd_depots


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-12-01") from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:  # handled: answered by argparse's error below
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (1-65535, or 0 for any free port)")
    return port


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:  # handled: answered by argparse's error below
        number = -1
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive number of seconds")
    return number


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    from dispatch.settings import get_settings

    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()


def _default_day() -> dt.date:
    from dispatch.workdays import next_collection_day

    return next_collection_day(_today())


def cmd_migrate(args: argparse.Namespace) -> int:
    from dispatch.db import upgrade
    from dispatch.settings import get_settings

    upgrade(get_settings().database_url)
    print("database schema is up to date")
    return 0


def _seed(day: dt.date, *, only_if_empty: bool) -> None:
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
    _seed(args.date or _default_day(), only_if_empty=args.if_empty)
    return 0


def _plan(day: dt.date, time_limit: float | None, seed: int | None, as_json: bool,
          balance: bool | None = None) -> None:
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.roads.cache import get_network
    from dispatch.planning.day import plan_day
    from dispatch.settings import get_settings
    from dispatch.planning.views import format_summary, plan_view

    settings = get_settings()
    upgrade(settings.database_url)
    network = get_network(settings)
    with session_scope(engine_for(settings.database_url)) as session:
        plan = plan_day(day, settings, network, session=session, time_limit_s=time_limit, seed=seed,
                        balance=balance)
        view = plan_view(plan)
    if as_json:
        from api.schemas import DayOut

        print(DayOut.from_view(view).model_dump_json(indent=2))
    else:
        print(format_summary(view))


def cmd_week(args: argparse.Namespace) -> int:
    """The week ahead: each day's visits, load per van-day, overloaded days and their fixes."""
    import json

    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.planning.week import week_ahead, week_dict
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
    _plan(args.date or _default_day(), args.time_limit, args.seed, args.json, args.balance)
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind and listen before announcing the address, so a client may connect as soon as it reads it."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise DispatchError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port") from None
    sock.listen(128)
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.proxies import server_config
    from dispatch.db import upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    sock = _listen(args.host, args.port)
    server = uvicorn.Server(server_config(create_app(settings), log_level="warning"))
    port = sock.getsockname()[1]
    print(f"serving the API on http://{args.host}:{port} (OpenAPI at /docs); Ctrl-C stops it", flush=True)
    server.run(sockets=[sock])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    day = args.date or _default_day()
    _seed(day, only_if_empty=True)
    _plan(day, args.time_limit, None, False)
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_manifests(args: argparse.Namespace) -> int:
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.documents.manifests import write_day_manifests
    from dispatch.roads.cache import get_network
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        paths = write_day_manifests(args.date, Path(args.out), session=session, network=get_network(settings),
                                    settings=settings, base_url=args.base_url or settings.base_url, lang=args.lang)
    for path in paths:
        print(path)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """`dispatch import relay-points|pickups FILE`: all rows or none; every bad row is printed."""
    from zoneinfo import ZoneInfo

    from dispatch.exchange.csv_import import ImportRejected
    from dispatch.exchange.pickup_import import import_pickups
    from dispatch.exchange.relay_import import import_relay_points
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.roads.cache import get_network
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
                today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
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
    from dispatch.roads.cache import get_network
    from dispatch.roads import default_graph_path
    from dispatch.settings import get_settings

    settings = get_settings()
    network = get_network(settings)
    south, west, north, east = network.bbox
    print(f"graph: {settings.graph_path or default_graph_path()}")
    print(f"routing nodes: {network.n}, bounding box: lat {south:.5f}-{north:.5f}, lon {west:.5f}-{east:.5f}")
    print(f"van speed factor: {settings.van_speed_factor}, fingerprint: {network.fingerprint[:16]}")
    from dispatch.pickups import coverage
    from dispatch.pickups.requests import rules_config

    rules = rules_config(settings)
    gaps = coverage.unreachable_communes(rules, network, max_snap_distance_m=settings.max_snap_distance_m)
    print(f"served communes reached: {len(coverage.served(rules)) - len(gaps)} of {len(coverage.served(rules))}"
          + "".join(f"\n  not reached: {g}" for g in gaps))
    return 0


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:  # handled: answered by argparse's error below
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number of days, at least 1")
    return days


def _read_new_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin: the first line) or asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise DispatchError("the two passwords differ: run the command again")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    """`dispatch user add USERNAME --role ROLE [--name N] [--password-stdin]`."""
    from dispatch.access import auth
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    password = _read_new_password(args)
    with session_scope(engine_for(settings.database_url)) as session:
        user = auth.create_user(args.username, password, args.role, session=session, display_name=args.name or "")
        print(f"created {user.role.value} {user.username!r} (id {user.id}); sign in with POST /api/v1/auth/token "
              "or at /connexion")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from dispatch.access import auth
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        users = auth.list_users(session=session)
        if not users:
            print("no staff users yet: create the first admin with `dispatch user add NAME --role admin`")
        for u in users:
            print(f"{u.id:>4}  {u.username:<24} {u.role.value:<12} {'active' if u.active else 'inactive':<9} "
                  f"{u.display_name}")
    return 0


def cmd_user_revoke(args: argparse.Namespace) -> int:
    """`dispatch user revoke USERNAME`: every token of that user stops working now."""
    from dispatch.access import auth
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        user = auth.get_user_by_name(args.username, session=session)
        count = auth.revoke_all(user.id, session=session)
    print(f"revoked {count} token(s) of {user.username!r}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """`dispatch retention [--days N] [--dry-run]`: anonymise donors' details of old pickups."""
    from zoneinfo import ZoneInfo

    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.access.retention import anonymise_old_data
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    days = args.days or settings.retention_days
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    with session_scope(engine_for(settings.database_url)) as session:
        result = anonymise_old_data(session=session, days=days, today=today, dry_run=args.dry_run)
    verb = "would anonymise" if result.dry_run else "anonymised"
    print(f"{verb} {result.pickups} pickup request(s) dated before {result.cutoff.isoformat()} ({days} days) "
          f"and cleared {result.stop_event_notes} stop-event note(s)" + (" (dry run: nothing changed)"
                                                                         if result.dry_run else ""))
    return 0


def cmd_messages_deliver(args: argparse.Namespace) -> int:
    """`dispatch messages deliver [--loop] [--interval S]`: queue the visit windows that are due and send the
    donor messages waiting in the outbox (e-mail, SMS); with --loop, again every interval until Ctrl-C."""
    import time

    from dispatch.db import engine_for, upgrade
    from dispatch.messages.worker import run
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    engine = engine_for(settings.database_url)
    while True:
        stats = run(engine, settings)
        if stats.attempted or stats.skipped or not args.loop:
            print(f"donor messages: {stats.sent} sent, {stats.retrying} to retry, {stats.failed} failed, "
                  f"{stats.skipped} skipped (channel not configured)", flush=True)
        if not args.loop:
            return 0 if not stats.failed else 1
        time.sleep(args.interval or settings.messages_delivery_interval_s or 10.0)


def cmd_addresses_import(args: argparse.Namespace) -> int:
    from dispatch.addresses.importer import import_addresses
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
    from dispatch.addresses.resolve import check_query, get_geocoder
    from dispatch.settings import get_settings

    for m in get_geocoder(get_settings()).search(check_query(args.query), limit=args.limit):
        print(f"{m.score:.2f}  {m.label}  ({m.lat:.6f}, {m.lon:.6f})")
    return 0


def cmd_donor(args: argparse.Namespace) -> int:
    """`dispatch donor export|erase PHONE`: a donor's right of access (JSON on stdout) and of erasure (audited)."""
    import getpass
    import json

    from dispatch.access import donors
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    actor = f"cli:{getpass.getuser()}"
    with session_scope(engine_for(settings.database_url)) as session:
        if args.donor_command == "export":
            data = donors.export(args.phone, session=session, actor=actor)
            print(json.dumps(data, ensure_ascii=False, indent=2))
            return 0
        if not args.yes:
            found = donors.find_pickups(args.phone, session=session)
            print(f"would erase the personal details of {len(found)} pickup request(s): "
                  + ", ".join(p.ref for p in found) + "; run again with --yes to erase them")
            return 1
        refs = donors.erase(args.phone, session=session, actor=actor)
    print(f"erased the personal details of {len(refs)} pickup request(s): {', '.join(refs)}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`dispatch backup FILE`: a consistent copy of the database while the API serves."""
    from dispatch.access import backups
    from dispatch.settings import get_settings

    result = backups.backup(get_settings().database_url, args.file)
    print(f"backup of the {result.engine} database written to {result.file} ({result.bytes:,} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """`dispatch restore FILE --yes`: replace the database's content by a backup (stop the API first)."""
    from dispatch.access import backups
    from dispatch.settings import get_settings

    url = get_settings().database_url
    if not args.yes:
        print(f"this replaces everything in the database ({url.split('@')[-1]}) by the backup {args.file}: stop the "
              "API, then run again with --yes")
        return 1
    result = backups.restore(url, args.file)
    print(f"the {result.engine} database was restored from {result.file}")
    return 0


def _existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"{value!r} is not a file: give a GraphML (.graphml, .graphml.gz) or OSM XML file")
    return str(Path(value).resolve())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dispatch", description="Donation-collection dispatch: plan vans' rounds.")
    parser.add_argument("--graph", type=_existing_file, metavar="FILE",
                        help="road graph to use instead of DISPATCH_GRAPH_PATH or the bundled Paris graph")
    sub = parser.add_subparsers(dest="command", required=True)

    roads = sub.add_parser("roads", help="road network files").add_subparsers(dest="roads_command", required=True)
    fetch = roads.add_parser("fetch", help="download a drivable OSM network once (needs Internet) for offline use")
    fetch.add_argument("place", nargs="+", help='one or more place names, e.g. "Paris, France" "Pantin, France" '
                       "(several places: one graph covering them all)")
    fetch.add_argument("--out", default="var/roads.graphml.gz", help="file to write (gzip GraphML)")
    fetch.set_defaults(func=cmd_roads_fetch)
    roads.add_parser("info", help="load the configured road graph and describe it").set_defaults(func=cmd_roads_info)

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

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="load the Paris demo network into an empty database")
    seed.add_argument("--date", type=_date, help="day of the demo's home pickups (default: next collection day)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if the database already holds data")
    seed.set_defaults(func=cmd_seed_demo)

    plan = sub.add_parser("plan", help="plan a day's rounds and store them as the draft plan")
    plan.add_argument("--date", type=_date, help="day to plan (default: next collection day)")
    plan.add_argument("--time-limit", type=_positive, help="solver time limit in seconds")
    plan.add_argument("--seed", type=int, help="solver random seed")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument("--balance", action=argparse.BooleanOptionalAction, default=None,
                      help="balance the crews' working time (default: DISPATCH_BALANCE_WORK_TIME)")
    plan.set_defaults(func=cmd_plan)

    week = sub.add_parser("week", help="the week ahead: visits per day, load per van-day, overloaded days")
    week.add_argument("--from", dest="start", type=_date, help="first day (default: today)")
    week.add_argument("--days", type=int, default=5, choices=range(1, 15), metavar="N",
                      help="collection days to show (1-14, default 5)")
    week.add_argument("--json", action="store_true", help="print the week as JSON")
    week.set_defaults(func=cmd_week)

    manifests = sub.add_parser("manifests", help="write the printable PDFs of a planned day")
    manifests.add_argument("--date", type=_date, required=True, help="planned day")
    manifests.add_argument("--out", default="manifests", help="folder to write into")
    manifests.add_argument("--lang", choices=("fr", "en"), default="fr")
    manifests.add_argument("--base-url", help="address crews open (default: DISPATCH_BASE_URL)")
    manifests.set_defaults(func=cmd_manifests)

    imp = sub.add_parser("import", help="import relay points or home pickups from a CSV file (all rows or none)")
    imp.add_argument("what", choices=("relay-points", "pickups"))
    imp.add_argument("file", help="CSV file (',' or ';', UTF-8 or Windows-1252); see docs/samples/")
    imp.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    imp.add_argument("--update", action="store_true", help="relay points: update those whose code exists")
    imp.set_defaults(func=cmd_import)

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

    rep = sub.add_parser("report", help="the monthly report for funders (published plans and crews' reports)")
    rep.add_argument("--month", required=True, help="YYYY-MM")
    rep.add_argument("--csv", action="store_true", help="print CSV lines instead of JSON")
    rep.set_defaults(func=cmd_report)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a staff account (the first one: --role admin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("admin", "coordinator", "switchboard"))
    add.add_argument("--name", help="display name, e.g. 'Marie Dupont'")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)
    user.add_parser("list", help="list staff accounts").set_defaults(func=cmd_user_list)
    revoke = user.add_parser("revoke", help="revoke every token of a staff member (signs them out everywhere)")
    revoke.add_argument("username")
    revoke.set_defaults(func=cmd_user_revoke)

    retention = sub.add_parser("retention", help="anonymise donors' personal data of old pickup requests")
    retention.add_argument("--days", type=_days, help="keep this many days (default: DISPATCH_RETENTION_DAYS, 365)")
    retention.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")
    retention.set_defaults(func=cmd_retention)

    msgs = sub.add_parser("messages", help="messages to donors (e-mail, SMS)").add_subparsers(
        dest="messages_command", required=True)
    deliver = msgs.add_parser("deliver", help="send the donor messages that are due (and the day-before windows)")
    deliver.add_argument("--loop", action="store_true", help="keep delivering every interval until Ctrl-C")
    deliver.add_argument("--interval", type=_positive, help="seconds between rounds with --loop "
                                                           "(default: DISPATCH_MESSAGES_DELIVERY_INTERVAL_S)")
    deliver.set_defaults(func=cmd_messages_deliver)
    p_backup = sub.add_parser("backup", help="write a consistent backup of the database (the API may keep serving)")
    p_backup.add_argument("file", help="the file to write (SQLite: a database file; PostgreSQL: pg_dump's format)")
    p_backup.set_defaults(func=cmd_backup)
    p_restore = sub.add_parser("restore", help="replace the database's content by a backup (stop the API first)")
    p_restore.add_argument("file", help="a file written by `dispatch backup`")
    p_restore.add_argument("--yes", action="store_true", help="restore (without it: say what would happen)")
    p_restore.set_defaults(func=cmd_restore)

    donor = sub.add_parser("donor", help="a donor's right of access and erasure, by phone number") \
        .add_subparsers(dest="donor_command", required=True)
    export = donor.add_parser("export", help="print everything stored about the donor with this phone (JSON)")
    export.add_argument("phone", help='the phone number the donor gave, e.g. "06 12 34 56 78"')
    export.set_defaults(func=cmd_donor)
    erase = donor.add_parser("erase", help="anonymise every request of the donor with this phone (audited)")
    erase.add_argument("phone", help='the phone number the donor gave, e.g. "06 12 34 56 78"')
    erase.add_argument("--yes", action="store_true", help="erase (without it: say what would be erased)")
    erase.set_defaults(func=cmd_donor)

    for name, func, text in (
        ("serve", cmd_serve, "serve the HTTP API"),
        ("run", cmd_run, "seed if empty, plan a day, print it, then serve the API"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=_port, default=8000)
        if name == "run":
            p.add_argument("--date", type=_date, help="day to plan (default: next collection day)")
            p.add_argument("--time-limit", type=_positive, help="solver time limit in seconds")
            p.add_argument("--no-serve", action="store_true", help="stop after printing the plan")
        p.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous_graph = os.environ.get("DISPATCH_GRAPH_PATH")
    if args.graph:
        os.environ["DISPATCH_GRAPH_PATH"] = args.graph  # read when settings are loaded by the command
    try:
        return args.func(args)
    except DispatchError as exc:
        print(f"dispatch: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # handled: Ctrl-C: the shell's usual exit status
        return 130
    finally:  # the command's graph does not outlive it (main() is also called in-process)
        if args.graph:
            if previous_graph is None:
                os.environ.pop("DISPATCH_GRAPH_PATH", None)
            else:
                os.environ["DISPATCH_GRAPH_PATH"] = previous_graph


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
