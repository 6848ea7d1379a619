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


def test_each_simulated_day_is_planned_through_the_problem_builder(monkeypatch) -> None:
    """What the simulator solves each day comes from dispatch.planning.problem: its vehicles are
    ``vehicle_for``'s (the demo crews' shifts, lunch and unloading trips), its home pickups and mandatory relay
    points are mandatory (no penalty), solved with the options ``dispatch plan`` uses."""
    from dispatch.planning import problem as builder
    from dispatch.planning.day import solve_options

    sim = _simulate()
    solved = []
    real_solve = builder.solve

    def recorded(problem, options):  # the real solve, with what it was given written down
        solved.append((problem, options))
        return real_solve(problem, options)

    monkeypatch.setattr(builder, "solve", recorded)
    out = sim.run("fixed", 0, sim.Config(days=2, solution_limit=20))  # its relay points are all mandatory
    assert out.km > 0
    assert solved, "no simulated day was solved through dispatch.planning.problem"
    planner = sys.modules["sim_planner"]
    settings = planner.sim_settings(solution_limit=20)
    crews = {f"crew:{c.id}": c for c in sim.world().sim.crews}
    for problem, options in solved:
        assert options == solve_options(settings, 5.0)
        for vehicle in problem.vehicles:
            assert vehicle == builder.vehicle_for(crews[vehicle.id], settings, {builder.depot_key(1): 0},
                                                  day=sim.START)
    visits = [v for problem, _ in solved for v in problem.visits]
    assert {v.id[:3] for v in visits} == {"rp:", "pu:"}
    assert all(v.penalty is None for v in visits)


def test_the_day_problem_follows_the_settings() -> None:
    """The simulator's day planner gives the builder the policy's decisions and the settings it is given:
    other service times and unloading trips give another problem, as they would in ``dispatch plan``."""
    import datetime as dt

    from dispatch.planning import problem as builder

    sim = _simulate()
    planner = sys.modules["sim_planner"]
    w = sim.world()
    day = dt.date(2026, 1, 10)  # a Saturday
    closed = next(i for i in range(len(w.relays)) if 5 not in w.open_days[i])
    choices = {0: planner.Choice(True, None, 1.0), 1: planner.Choice(False, 4321, 0.5),
               closed: planner.Choice(True, None, 1.0)}
    problems = {}
    for unload in (1200, 900):
        settings = planner.sim_settings(solution_limit=20, unload_service_s=unload, max_unloads=1,
                                        relay_service_per_m3_s=100, pickup_service_fixed_s=500)
        pickups = [planner.home_pickup(0, w.pickups_sites[0], 3.0, "afternoon", day)]
        sites = planner.day_sites(w.sim, settings, pickups)
        plan = planner.plan_day(w.sim, settings, day, sites, choices, pickups, w.sim.crews[:2], 5.0)
        problem = problems[unload] = plan.problem
        visits = {v.id: v for v in problem.visits}
        assert set(visits) == {"rp:0", "rp:1", "pu:0"}  # the one closed on Saturdays is not a visit
        assert (visits["rp:0"].penalty, visits["rp:1"].penalty, visits["pu:0"].penalty) == (None, 4321, None)
        assert (visits["rp:0"].service, visits["rp:1"].service) == (300 + 100, 300 + 50)
        assert visits["pu:0"].service == builder.pickup_service_s(pickups[0], settings) == 500 + 300 * 3
        assert visits["pu:0"].windows == (builder.TimeWindow(13 * 3600, 16 * 3600),)
        rp0 = builder.relay_candidate(w.sim.relay_points[0], day, settings, mandatory=True, expected=1.0)
        assert visits["rp:0"].windows == tuple(builder.TimeWindow(a, b) for a, b in rp0.windows)
        assert [(v.id, v.reload_service, v.max_reloads) for v in problem.vehicles] == [
            ("crew:0", unload, 1), ("crew:1", unload, 1)]
        factor = builder.travel_factor(w.sim.network, w.sim.crews[:2])
        sub = sites.subset(["depot:1", "rp:0", "rp:1", "pu:0"])
        assert problem.durations == tuple(tuple(round(x * factor) for x in row) for row in sub.durations)
        assert {"rp:0", "pu:0"} <= {s for r in plan.routes for s in r.visit_ids}
    assert problems[1200].vehicles != problems[900].vehicles


def test_the_m3_turned_away_are_split_by_what_the_planner_knew() -> None:
    """The parts (no call made, a call not seen yet, a call seen) add up to the total; the reactive policy,
    which waits for calls, loses some while a call is seen but its van has not come."""
    _simulate()
    sim_run, sim_model = sys.modules["sim_run"], sys.modules["sim_model"]
    out = sim_run.run("reactive", 0, sim_model.Config(days=9, solution_limit=20))
    m = out.metrics()
    parts = m["turned_away_unseen_m3"] + m["turned_away_call_pending_m3"] + m["turned_away_call_seen_m3"]
    assert m["turned_away_m3"] > 0 and parts == pytest.approx(m["turned_away_m3"], abs=0.01)
    assert m["turned_away_call_seen_m3"] > 0 and 0 < m["turned_away_first_week_m3"] < m["turned_away_m3"]


def test_the_m3_turned_away_unseen_are_split_by_the_rules_last_decision() -> None:
    """The parts of the unseen m³ (after a mandatory or optional decision not followed by a visit, after a visit,
    after a skip, with no decision) add up to the unseen total; the low-risk optional ones are a share of the
    optional ones; the reactive policy, which has no rule, has only undecided losses."""
    _simulate()
    sim_run, sim_model = sys.modules["sim_run"], sys.modules["sim_model"]
    whole = [p for p in sim_model.UNSEEN_PARTS if p != "unseen_after_optional_low_risk_m3"]
    for policy in ("reactive", "forecast"):
        m = sim_run.run(policy, 3, sim_model.Config(days=12, solution_limit=20)).metrics()
        assert m["turned_away_unseen_m3"] > 0, policy
        assert sum(m[p] for p in whole) == pytest.approx(m["turned_away_unseen_m3"], abs=0.01), policy
        assert m["unseen_after_optional_low_risk_m3"] <= m["unseen_after_optional_m3"] + 1e-9
        if policy == "reactive":
            assert m["unseen_no_decision_m3"] == pytest.approx(m["turned_away_unseen_m3"], abs=0.01)
        else:
            assert m["unseen_no_decision_m3"] < m["turned_away_unseen_m3"]


def test_a_run_of_one_policy_merges_the_others_from_an_earlier_run(capsys, tmp_path) -> None:
    """``--merge``: the policies not run are taken from an earlier run's JSON, the targets are judged on all of
    them, worlds.md says so; a file without the world asked for is refused."""
    sim = _simulate()
    common = ["--days", "3", "--seeds", "1", "--solution-limit", "20", "--json", "--worlds", "all"]
    assert sim.main([*common, "--policies", "reactive,fixed,forecast,oracle", "--report", ""]) == 0
    earlier = json.loads(capsys.readouterr().out)
    (tmp_path / "earlier.json").write_text(json.dumps(earlier), encoding="utf-8")
    assert sim.main([*common, "--policies", "forecast", "--merge", str(tmp_path / "earlier.json"),
                     "--report", str(tmp_path)]) == 0
    merged = json.loads(capsys.readouterr().out)
    for name, agg in merged.items():
        assert list(agg["policies"]) == ["reactive", "fixed", "forecast", "oracle"]
        assert agg["policies"]["reactive"] == earlier[name]["policies"]["reactive"]
        assert agg["policies"]["forecast"]["turned_away_m3"] == earlier[name]["policies"]["forecast"]["turned_away_m3"]
        assert agg["targets"] == earlier[name]["targets"]
    assert "Policies run: forecast; the others are those of" in (tmp_path / "worlds.md").read_text(encoding="utf-8")
    assert not (tmp_path / "report.md").exists()
    (tmp_path / "other.json").write_text(json.dumps({"lumpy": earlier["lumpy"]}), encoding="utf-8")
    with pytest.raises(SystemExit, match="no run of the world 'default'"):
        sim.main([*common, "--policies", "forecast", "--merge", str(tmp_path / "other.json"), "--report", ""])
