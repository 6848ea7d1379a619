"""`dispatch user|retention|backup|restore|donor`: who may sign in, and the personal data kept: staff accounts
(created, listed, revoked), the retention of donors' details, backups of the database and their restoring, and
a donor's rights of access and erasure. Commands that change something for good ask for ``--yes`` first."""

from __future__ import annotations

import argparse
import sys

from api.cli.arguments import whole_days
from dispatch.errors import DispatchError
from dispatch.workdays import local_today


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
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.access import anonymise_old_data
    from dispatch.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    days = args.days or settings.retention_days
    today = local_today(settings.timezone)
    with session_scope(engine_for(settings.database_url)) as session:
        result = anonymise_old_data(session=session, days=days, today=today, dry_run=args.dry_run)
    verb = "would anonymise" if result.dry_run else "anonymised"
    print(f"{verb} {result.pickups} pickup request(s) dated before {result.cutoff.isoformat()} ({days} days) "
          f"and cleared {result.stop_event_notes} stop-event note(s)" + (" (dry run: nothing changed)"
                                                                         if result.dry_run else ""))
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


def add_user(sub: argparse._SubParsersAction) -> None:
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


def add_retention(sub: argparse._SubParsersAction) -> None:
    retention = sub.add_parser("retention", help="anonymise donors' personal data of old pickup requests")
    retention.add_argument("--days", type=whole_days, help="keep this many days (default: DISPATCH_RETENTION_DAYS, 365)")
    retention.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")
    retention.set_defaults(func=cmd_retention)


def add_backup_and_restore(sub: argparse._SubParsersAction) -> None:
    p_backup = sub.add_parser("backup", help="write a consistent backup of the database (the API may keep serving)")
    p_backup.add_argument("file", help="the file to write (SQLite: a database file; PostgreSQL: pg_dump's format)")
    p_backup.set_defaults(func=cmd_backup)
    p_restore = sub.add_parser("restore", help="replace the database's content by a backup (stop the API first)")
    p_restore.add_argument("file", help="a file written by `dispatch backup`")
    p_restore.add_argument("--yes", action="store_true", help="restore (without it: say what would happen)")
    p_restore.set_defaults(func=cmd_restore)


def add_donor(sub: argparse._SubParsersAction) -> None:
    donor = sub.add_parser("donor", help="a donor's right of access and erasure, by phone number") \
        .add_subparsers(dest="donor_command", required=True)
    export = donor.add_parser("export", help="print everything stored about the donor with this phone (JSON)")
    export.add_argument("phone", help='the phone number the donor gave, e.g. "06 12 34 56 78"')
    export.set_defaults(func=cmd_donor)
    erase = donor.add_parser("erase", help="anonymise every request of the donor with this phone (audited)")
    erase.add_argument("phone", help='the phone number the donor gave, e.g. "06 12 34 56 78"')
    erase.add_argument("--yes", action="store_true", help="erase (without it: say what would be erased)")
    erase.set_defaults(func=cmd_donor)
