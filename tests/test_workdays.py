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
