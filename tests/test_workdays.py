import datetime as dt

import pytest

from dispatch.workdays import easter_sunday, is_collection_day, next_collection_day, why_not_collection_day


@pytest.mark.parametrize("year,expected", [(2024, dt.date(2024, 3, 31)), (2025, dt.date(2025, 4, 20)),
                                           (2026, dt.date(2026, 4, 5)), (2027, dt.date(2027, 3, 28))])
def test_easter(year, expected):
    assert easter_sunday(year) == expected


def test_sundays_and_holidays_are_not_collection_days():
    assert "Sunday" in why_not_collection_day(dt.date(2026, 11, 29))
    assert "Noël" in why_not_collection_day(dt.date(2026, 12, 25))
    assert "Lundi de Pentecôte" in why_not_collection_day(dt.date(2026, 5, 25))
    assert is_collection_day(dt.date(2026, 12, 1))  # a Tuesday
    assert is_collection_day(dt.date(2026, 11, 28))  # a Saturday


def test_next_collection_day_skips_sunday_and_holiday():
    assert next_collection_day(dt.date(2026, 11, 28)) == dt.date(2026, 11, 30)  # Sat -> Mon
    assert next_collection_day(dt.date(2026, 12, 24)) == dt.date(2026, 12, 26)  # skips Christmas
    assert next_collection_day(dt.date(2027, 3, 27)) == dt.date(2027, 3, 29) + dt.timedelta(days=1)  # Easter Monday


def test_today_is_the_date_where_the_association_works_not_the_machines():
    """The API, pages, CLI and tests all take today from ``local_today(settings.timezone)``: between 23:00 and
    00:00 UTC in a Paris winter, the machine's date is still yesterday there (a test once failed in that hour)."""
    from dispatch.workdays import local_now, local_today

    east, west = local_today("Pacific/Kiritimati"), local_today("Etc/GMT+12")  # UTC+14 and UTC-12: 26 h apart
    assert (east - west).days in (1, 2)
    assert local_now("Europe/Paris").tzinfo is not None
    assert local_now("Europe/Paris").date() == local_today("Europe/Paris") or local_now("Europe/Paris").hour == 0


def test_today_where_the_association_works_is_computed_in_one_place():
    """``dt.datetime.now(ZoneInfo(...))`` was written out in eight modules and a test; only ``workdays`` says it."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    twins = [str(p.relative_to(repo)) for d in ("api", "dispatch", "scripts", "tests") for p in (repo / d).rglob("*.py")
             if re.search(r"datetime\.now\(\s*ZoneInfo\(", p.read_text(encoding="utf-8"))
             and p.relative_to(repo) not in (Path("dispatch/workdays.py"), Path("tests/test_workdays.py"))]
    assert twins == []
