"""The value types of the ``dispatch`` command's options (argparse ``type=``) and the day a command works on by
default. Each type answers a bad value with argparse's usual error (exit status 2) and the reason in words."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-12-01") from None


def tcp_port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:  # handled: answered by argparse's error below
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (1-65535, or 0 for any free port)")
    return port


def positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:  # handled: answered by argparse's error below
        number = -1
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive number of seconds")
    return number


def whole_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:  # handled: answered by argparse's error below
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number of days, at least 1")
    return days


def existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"{value!r} is not a file: give a GraphML (.graphml, .graphml.gz) or OSM XML file")
    return str(Path(value).resolve())


def _today() -> dt.date:
    from dispatch.settings import get_settings
    from dispatch.workdays import local_today

    return local_today(get_settings().timezone)


def default_day() -> dt.date:
    """The next collection day after today (in the association's time zone): what ``plan``, ``seed-demo`` and
    ``run`` work on without ``--date``."""
    from dispatch.workdays import next_collection_day

    return next_collection_day(_today())
