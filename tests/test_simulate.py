"""The simulator is deterministic for a seed (tiny run) and prints the documented JSON."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _simulate():
    spec = importlib.util.spec_from_file_location("simulate", REPO / "scripts" / "simulate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["simulate"] = module
    spec.loader.exec_module(module)
    return module


def test_deterministic_for_a_seed(capsys, tmp_path) -> None:
    sim = _simulate()
    args = ["--days", "3", "--seeds", "1", "--policies", "reactive,forecast", "--time-limit", "5",
            "--solution-limit", "20", "--json"]
    runs = []
    for k in range(2):
        assert sim.main(args + ["--report", str(tmp_path / f"r{k}")]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0] == runs[1]
    policies = runs[0]["policies"]
    assert set(policies) == {"reactive", "forecast"}
    for m in policies.values():
        assert {"turned_away_m3", "full_days", "km", "km_per_m3", "pickups_missed"} <= set(m)
        assert m["km"] > 0
    report = (tmp_path / "r0" / "report.md").read_text(encoding="utf-8")
    assert "| reactive |" in report and "| forecast |" in report


def test_scenario_and_outcome_depend_on_the_seed() -> None:
    sim = _simulate()
    w = sim.world()
    a, b = sim.scenario(1, w), sim.scenario(2, w)
    assert (sim.scenario(1, w).rate == a.rate).all()
    assert (a.rate != b.rate).any()
    assert ((a.rate >= 0.05) & (a.rate <= 0.40)).all()


def test_every_world_and_the_oracle(capsys, tmp_path) -> None:
    """Each world changes what it says it changes; the oracle runs and the forecast is measured against it."""
    import datetime as dt

    import numpy as np

    sim = _simulate()
    worlds = sys.modules["sim_worlds"]
    start, n, days = dt.date(2026, 1, 5), 60, 30
    rules = {name: worlds.rules(name, 0, n, days, start) for name in worlds.WORLDS}
    assert np.all(rules["default"].factor == 1) and not rules["default"].lumpy
    assert rules["seasons"].factor[0, 0] > 1.5 > rules["seasons"].factor[days - 1, 0] > 1.0
    assert any(rules["holidays"].closed) and (rules["holidays"].factor == 0).any()
    assert (rules["bursts"].factor == 2).any()
    assert (rules["hosts"].call_at == 0.7).any() and np.isinf(rules["hosts"].call_at).any()
    assert not rules["hosts"].reports.all()
    rng = np.random.default_rng(1)
    lumps = [rules["lumpy"].donation(rng, 0.2, 0.06) for _ in range(4000)]
    gammas = [rules["default"].donation(rng, 0.2, 0.06) for _ in range(4000)]
    assert abs(np.mean(lumps) - 0.2) < 0.03 and np.std(lumps) > 2 * np.std(gammas)  # heavier tails, same mean
    args = ["--days", "3", "--seeds", "1", "--policies", "reactive,forecast,oracle", "--world", "bursts",
            "--solution-limit", "20", "--json", "--report", str(tmp_path)]
    assert sim.main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["world"] == "bursts" and set(out["policies"]) == {"reactive", "forecast", "oracle"}
    gap = out["policies"]["forecast"]["oracle_gap"]
    assert {"turned_away_m3", "turned_away_limit_m3", "km_per_m3_ratio"} <= set(gap)
    assert "oracle_turned_away" in out["targets"]
