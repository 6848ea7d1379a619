"""``SearchParams``: the search tuning travels in ``SolveOptions`` (not environment variables), is
read from JSON / TOML files for experiments (``python -m solver --search-params FILE``), rejects bad
fields with a clear message, and reaches the portfolio's child processes."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys

import pytest
from solver_testlib import ROOT

from solver import Problem, ProblemError, SearchParams, SolveOptions, TimeWindow, Vehicle, Visit, check, solve

TINY = os.path.join(os.path.dirname(__file__), "data", "tiny6.txt")


def _simple_problem(n: int = 30, seed: int = 21) -> Problem:
    """Visits with one time window each, capacities, no breaks / reloads: a "simple model", which
    the defaults search with the Python ruin-and-recreate loop."""
    rng = random.Random(seed)
    xy = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]
    dur = tuple(tuple(int(math.dist(a, b) * 10) for b in xy) for a in xy)
    visits = []
    for i in range(1, n + 1):
        start = rng.randint(0, 3000)
        visits.append(Visit(f"v{i}", i, demand=(rng.randint(1, 5),), service=30,
                            windows=(TimeWindow(start, start + 1500),)))
    vehicles = tuple(Vehicle(f"k{k}", 0, 0, capacity=(40,), shift=TimeWindow(0, 8000)) for k in range(5))
    return Problem(durations=dur, distances=dur, vehicles=vehicles, visits=tuple(visits))


def test_defaults_are_the_shipped_settings():
    p = SearchParams()
    assert (p.lns, p.lns_max_visits, p.first_fraction, p.ruin_size, p.repair, p.python_insertion) == (
        True, 400, 0.1, 15, "py", True)
    assert (p.ortools_threshold, p.string_share, p.granular, p.repair_operators, p.repair_neighbors) == (
        0.01, 0.5, 20, "all", 0)
    assert p.python_thresholds(timed=True) == (0.05, 0.01)
    assert p.python_thresholds(timed=False) == (0.01,)
    assert SolveOptions().search == p


def test_from_json_and_toml_files(tmp_path):
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"ruin_size": 9, "python_thresholds_timed": [0.02, 0.03], "repair": "ort"}))
    toml = tmp_path / "p.toml"
    toml.write_text('ruin_size = 9\npython_thresholds_timed = [0.02, 0.03]\nrepair = "ort"\n')
    expected = SearchParams(ruin_size=9, python_thresholds_timed=(0.02, 0.03), repair="ort")
    assert SearchParams.from_file(js) == expected
    assert SearchParams.from_file(toml) == expected
    assert hash(expected) == hash(SearchParams.from_file(toml))  # frozen, usable as a key


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ruin_sise": 9}, "unknown field(s) ruin_sise; known: "),
        ({"ruin_size": "9"}, "search.ruin_size: '9' is not of type int"),
        ({"lns": 1}, "search.lns: 1 is not of type bool"),
        ({"ruin_size": 1}, "search.ruin_size: 1 must be at least 2"),
        ({"first_fraction": 1.5}, "search.first_fraction: 1.5 must lie in [0, 1]"),
        ({"python_thresholds_untimed": []}, "must be one or more shares in [0, 1]"),
        ({"repair": "cp"}, "search.repair: 'cp' must be 'py' or 'ort'"),
    ],
)
def test_bad_fields_are_named(data, message):
    with pytest.raises(ProblemError) as err:
        SearchParams.from_dict(data)
    assert message in str(err.value)


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(ProblemError, match="cannot read"):
        SearchParams.from_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.toml"
    bad.write_text("ruin_size = \n")
    with pytest.raises(ProblemError, match="is not valid TOML"):
        SearchParams.from_file(bad)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "solver", TINY, "--time-limit", "1", "--workers", "1", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_search_params_flag(tmp_path):
    good = tmp_path / "p.json"
    good.write_text(json.dumps({"ruin_size": 6, "log": True}))
    out = _cli("--search-params", str(good))
    assert out.returncode == 0, out.stderr
    assert "(ruin size 6, threshold" in out.stderr  # the search ran with the file's settings
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ruin": 6}))
    out = _cli("--search-params", str(bad))
    assert out.returncode == 2
    assert "--search-params: search parameters: unknown field(s) ruin" in out.stderr


def test_params_steer_the_search_in_process(capfd):
    p = _simple_problem()
    s = solve(p, SolveOptions(time_limit_s=1.0, search=SearchParams(log=True, ruin_size=7)))
    assert check(p, s) == []
    assert "python lns: " in capfd.readouterr().err  # the Python loop, with its log line
    s = solve(p, SolveOptions(time_limit_s=1.0, search=SearchParams(log=True, lns=False)))
    assert check(p, s) == []
    assert "lns" not in capfd.readouterr().err  # no ruin-and-recreate at all


def test_portfolio_children_receive_the_params(capfd):
    # With the defaults this simple problem would run the Python loop; "ort" switches member 1 (a
    # child process, whose stderr is ours when logging) to the OR-Tools repair loop, which says so.
    p = _simple_problem()
    s = solve(p, SolveOptions(time_limit_s=2.0, workers=2, search=SearchParams(log=True, repair="ort", ruin_size=5)))
    assert check(p, s) == []
    err = capfd.readouterr().err
    assert "lns member 0: " in err
    assert "lns member 1: " in err and "(ruin size 5, threshold 0.01)" in err
    assert "lns member 1: 0 iterations" not in err
    assert "python lns" not in err


def test_decomposition_workers_receive_the_params(capfd):
    from solver import decompose_workers

    p = _simple_problem()
    options = SolveOptions(time_limit_s=1.0, search=SearchParams(log=True, repair="ort", ruin_size=5))
    worker = decompose_workers._Child(log=True)  # one persistent worker process of solve_large
    try:
        s = worker.solve((p, options))
        assert worker.proc is not None  # solved over there (a failed worker falls back to this process)
    finally:
        worker.close()
    assert check(p, s) == []
    err = capfd.readouterr().err
    assert "lns member 0: " in err and "(ruin size 5, threshold 0.01)" in err
    assert "python lns" not in err
