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
