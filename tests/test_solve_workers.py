"""``Settings.solve_workers``: how many searches plan a day (``dispatch.planning.day.solve_options``)."""

from __future__ import annotations

import os

import pytest

from dispatch.planning.day import solve_options
from dispatch.settings import Settings


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 2), (8, 2), (None, 1)])
def test_auto_uses_the_machine_s_cores_up_to_two(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    options = solve_options(Settings(database_url="sqlite://", _env_file=None), 10.0)
    assert options.workers == expected
    assert options.time_limit_s == 10.0


def test_a_solution_limit_keeps_one_reproducible_search(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    settings = Settings(database_url="sqlite://", solve_solution_limit=50, _env_file=None)
    assert solve_options(settings, 10.0).workers == 1


def test_an_explicit_count_wins(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    settings = Settings(database_url="sqlite://", solve_workers=3, _env_file=None)
    assert solve_options(settings, 5.0, seed=7).workers == 3
    assert solve_options(settings, 5.0, seed=7).seed == 7


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="solve_workers"):
        Settings(database_url="sqlite://", solve_workers=-1, _env_file=None)
