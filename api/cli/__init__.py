"""The ``dispatch`` command line (an interface, like the HTTP API: it sits above ``dispatch``).

``main`` (the console script ``dispatch``, also ``python -m api.cli``) parses the arguments, runs the command
and answers a DispatchError with ``dispatch: error: ...`` and exit status 2. The commands live by family:
``planning`` (seed-demo, plan, week, manifests), ``server`` (migrate, serve, run), ``data`` (roads,
addresses, import, report), ``depots``, ``access`` (user, retention, backup, restore, donor) and ``messages``;
``arguments`` holds the options' value types.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from api.cli import access, data, depots, messages, planning, server
from api.cli.arguments import existing_file
from dispatch.errors import DispatchError

# Each adds its sub-command(s), in the order `dispatch --help` lists them.
COMMANDS = (
    data.add_roads, data.add_addresses, server.add_migrate, planning.add_seed_demo, planning.add_plan,
    planning.add_week, planning.add_manifests, data.add_import, depots.add_depots, data.add_report,
    access.add_user, access.add_retention, messages.add_messages, access.add_backup_and_restore, access.add_donor,
    server.add_serve_and_run,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dispatch", description="Donation-collection dispatch: plan vans' rounds.")
    parser.add_argument("--graph", type=existing_file, metavar="FILE",
                        help="road graph to use instead of DISPATCH_GRAPH_PATH or the bundled Paris graph")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
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
