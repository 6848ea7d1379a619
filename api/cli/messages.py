"""`dispatch messages deliver [--loop]`: the donor-message worker run by hand or by cron: it queues the visit
windows that are due and sends what waits in the outbox (e-mail, SMS); exit status 1 when a message failed."""

from __future__ import annotations

import argparse

from api.cli.arguments import positive_seconds


def cmd_messages_deliver(args: argparse.Namespace) -> int:
    """`dispatch messages deliver [--loop] [--interval S]`: queue the visit windows that are due and send the
    donor messages waiting in the outbox (e-mail, SMS); with --loop, again every interval until Ctrl-C."""
    import time

    from dispatch.db import engine_for, upgrade
    from dispatch.messages import run
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


def add_messages(sub: argparse._SubParsersAction) -> None:
    msgs = sub.add_parser("messages", help="messages to donors (e-mail, SMS)").add_subparsers(
        dest="messages_command", required=True)
    deliver = msgs.add_parser("deliver", help="send the donor messages that are due (and the day-before windows)")
    deliver.add_argument("--loop", action="store_true", help="keep delivering every interval until Ctrl-C")
    deliver.add_argument("--interval", type=positive_seconds, help="seconds between rounds with --loop "
                                                                   "(default: DISPATCH_MESSAGES_DELIVERY_INTERVAL_S)")
    deliver.set_defaults(func=cmd_messages_deliver)
