"""`dispatch migrate|serve|run`: the database schema and the HTTP API's server. ``serve`` listens before it
announces its address; ``run`` seeds the demo into an empty database, plans a day, prints it, then serves."""

from __future__ import annotations

import argparse
import socket

from api.cli.arguments import default_day, iso_date, positive_seconds, tcp_port
from api.cli.planning import plan_and_print, seed_demo_network
from dispatch.errors import DispatchError


def cmd_migrate(args: argparse.Namespace) -> int:
    from dispatch.db import upgrade
    from dispatch.settings import get_settings

    upgrade(get_settings().database_url)
    print("database schema is up to date")
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
    day = args.date or default_day()
    seed_demo_network(day, only_if_empty=True)
    plan_and_print(day, args.time_limit, None, False)
    if args.no_serve:
        return 0
    return cmd_serve(args)


def add_migrate(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=cmd_migrate)


def add_serve_and_run(sub: argparse._SubParsersAction) -> None:
    for name, func, text in (
        ("serve", cmd_serve, "serve the HTTP API"),
        ("run", cmd_run, "seed if empty, plan a day, print it, then serve the API"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=tcp_port, default=8000)
        if name == "run":
            p.add_argument("--date", type=iso_date, help="day to plan (default: next collection day)")
            p.add_argument("--time-limit", type=positive_seconds, help="solver time limit in seconds")
            p.add_argument("--no-serve", action="store_true", help="stop after printing the plan")
        p.set_defaults(func=func)
