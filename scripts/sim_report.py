"""The figures and reports of ``scripts/simulate.py``: outcomes aggregated over seeds, the targets they are
judged by, and the markdown and PNG reports.

* :func:`aggregate` -- mean and sd over seeds of each policy's :meth:`sim_model.Outcome.metrics` (:data:`KEYS`),
  rounded as the JSON gives them: ``{"policies": {policy: {key: mean}}, "sd": {policy: {key: sd}}}``;
* :func:`oracle_gap` and :func:`targets` -- the forecast policy against the oracle, and the issue's targets for a
  world (docs/simulation/README.md), from such an aggregate;
* :func:`write_report` -- one world's ``report.md`` and, when matplotlib is installed, ``fill_levels.png`` and
  ``policies.png`` (without it the report says there are no charts);
* :func:`write_worlds_table` -- ``worlds.md``, a table and the targets' verdicts per world (``--worlds all``).

Reading outcomes and aggregates only: nothing here simulates. The report's text, tables and charts are the
documented format (docs/simulation/report.md): a change here changes every regenerated report.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from sim_model import START, TURNED_AWAY_PARTS, UNSEEN_PARTS, Config, Outcome, world

KEYS = ("turned_away_m3", "full_days", "km", "km_per_m3", "pickups_missed", "van_hours", "collected_m3",
        "relay_visits", "stops_missed", "fill_at_visit", *TURNED_AWAY_PARTS, *UNSEEN_PARTS)

_LEGEND = (
    "",
    "*Relay-point-days full*: days on which a relay point was full at some moment (Sundays included). "
    "*m³ collected* counts relay points and home pickups; *km per m³* = km / m³ collected. *Fill at visit*: "
    "mean fill of a relay point when the van arrived. Policies: **reactive** visits a relay point only once its "
    "full call has been seen; **fixed** visits each relay point every week on a fixed weekday (six sectors "
    "around the depot, Monday to Saturday, moved to the nearest opening day) and ignores calls; **forecast** "
    "estimates every relay point's fill rate from the reports seen so far (`dispatch/planning/forecast.py`, cold start "
    "from similar relay points) and applies the rolling-horizon rule (`dispatch/planning/horizon.py`).",
    "",
)


def aggregate(outcomes: list[Outcome], policies: list[str]) -> dict:
    """Each policy's metrics, mean and sd over its seeds (sd 0 for a single seed)."""
    res: dict = {"policies": {}, "sd": {}}
    for p in policies:
        ms = [o.metrics() for o in outcomes if o.policy == p]
        res["policies"][p] = {k: round(statistics.fmean(m[k] for m in ms), 4) for k in KEYS}
        res["sd"][p] = {k: round(statistics.stdev([m[k] for m in ms]), 4) if len(ms) > 1 else 0.0 for k in KEYS}
    return res


def write_report(outcomes: list[Outcome], agg: dict, cfg: Config, seeds: list[int], policies: list[str],
                 out_dir: Path, elapsed: float) -> list[Path]:
    """``out_dir/report.md`` and its charts for one world; the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "report.md"]
    lines = _intro(cfg, seeds, policies, elapsed) + _result_rows(agg, policies) + [""]
    lines += _comparisons(agg["policies"]) + list(_LEGEND)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # handled: said in the report
        lines.append("(matplotlib is not installed: no charts)")
    else:
        files += [_plot_fill_levels(plt, outcomes, seeds, out_dir), _plot_policies(plt, agg, policies, out_dir)]
        lines += ["![km and overflow per policy](policies.png)", "", "![fill levels](fill_levels.png)", ""]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files


def _intro(cfg: Config, seeds: list[int], policies: list[str], elapsed: float) -> list[str]:
    """The report's title, how it was made, the simulated world, and the results table's header."""
    return [
        "# Collection policies on the Paris demo network (simulation)",
        "",
        f"Written by `scripts/simulate.py --days {cfg.days} --seeds {len(seeds)}` "
        f"(policies {', '.join(policies)}; solver time limit {cfg.time_limit} s, solution limit "
        f"{cfg.solution_limit}; horizon {cfg.horizon_days} collection days; {elapsed:.0f} s wall time).",
        "",
        "60 relay points of `dispatch/data/demo/paris_demo.json`, 4 vans (20, 20, 12, 12 m³), crews 08:00-16:00 "
        "with a 45-minute lunch between 11:30 and 13:30. Per seed: daily fill rates drawn from the Trilib' "
        "distribution (as the demo builder), a weekday profile per relay point (more on Saturdays), Gamma "
        "donations, noisy (10 % steps, sd 10 %) and late fill reports, full calls made with probability "
        f"{cfg.p_full_report} a day and seen 1-2 days later, about {cfg.pickups_per_day} home pickups a day, "
        f"vans absent ({cfg.p_van_absent:.0%}/day) or breaking down ({cfg.p_breakdown:.0%}/day), travel-time noise "
        f"(log-sd {cfg.travel_noise}).",
        "",
        "## Results (mean ± sd over seeds " + ", ".join(map(str, seeds)) + ")",
        "",
        "| policy | m³ turned away | relay-point-days full | km | van-hours | m³ collected | km per m³ "
        "| pickups missed | relay visits | fill at visit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]


def _result_rows(agg: dict, policies: list[str]) -> list[str]:
    """One row of the results table per policy: mean ± sd over seeds."""
    rows = []
    for p in policies:
        m, s = agg["policies"][p], agg["sd"][p]
        rows.append(
            f"| {p} | {m['turned_away_m3']:.1f} ± {s['turned_away_m3']:.1f} | {m['full_days']:.0f} ± {s['full_days']:.0f} "
            f"| {m['km']:.0f} ± {s['km']:.0f} | {m['van_hours']:.0f} ± {s['van_hours']:.0f} "
            f"| {m['collected_m3']:.0f} ± {s['collected_m3']:.0f} | {m['km_per_m3']:.3f} ± {s['km_per_m3']:.3f} "
            f"| {m['pickups_missed']:.1f} ± {s['pickups_missed']:.1f} | {m['relay_visits']:.0f} ± {s['relay_visits']:.0f} "
            f"| {100 * m['fill_at_visit']:.0f} % |"
        )
    return rows


def _comparisons(pm: dict) -> list[str]:
    """The forecast policy against the reactive and the fixed weekly ones, when both ran."""
    lines = []
    if "forecast" in pm and "reactive" in pm and pm["reactive"]["turned_away_m3"] > 0:
        r, f = pm["reactive"], pm["forecast"]
        lines.append(f"* forecast vs reactive: {100 * (1 - f['turned_away_m3'] / r['turned_away_m3']):.0f} % less "
                     f"turned away; km per m³ {100 * (f['km_per_m3'] / r['km_per_m3'] - 1):+.0f} %.")
    if "forecast" in pm and "fixed" in pm:
        x, f = pm["fixed"], pm["forecast"]
        lines.append(f"* forecast vs fixed weekly: km per m³ {100 * (f['km_per_m3'] / x['km_per_m3'] - 1):+.0f} %; "
                     f"relay-point-days full {f['full_days']:.0f} vs {x['full_days']:.0f}.")
    return lines


def _plot_fill_levels(plt: Any, outcomes: list[Outcome], seeds: list[int], out_dir: Path) -> Path:
    """``fill_levels.png``: the fill of up to four relay points day by day under each policy, first seed."""
    w = world()
    first = [o for o in outcomes if o.seed == seeds[0]]
    caps = [r["capacity_m3"] for r in w.relays]
    chosen = sorted(range(len(caps)), key=lambda i: -first[0].stock_trace[0][i] / caps[i])[:1] + [0, 17, 40]
    chosen = list(dict.fromkeys(chosen))[:4]
    fig, axes = plt.subplots(len(chosen), 1, figsize=(9, 2.2 * len(chosen)), sharex=True)
    for ax, i in zip(np.atleast_1d(axes), chosen):
        for o in first:
            ax.plot([100 * s[i] / caps[i] for s in o.stock_trace], label=o.policy, lw=1.2)
        ax.axhline(100, color="k", lw=0.5, ls="--")
        ax.set_ylabel("fill %")
        ax.set_title(w.relays[i]["name"], fontsize=9)
    np.atleast_1d(axes)[0].legend(fontsize=8, ncol=3)
    np.atleast_1d(axes)[-1].set_xlabel(f"day (from {START.isoformat()}, seed {seeds[0]})")
    fig.tight_layout()
    fig.savefig(out_dir / "fill_levels.png", dpi=110)
    plt.close(fig)
    return out_dir / "fill_levels.png"


def _plot_policies(plt: Any, agg: dict, policies: list[str], out_dir: Path) -> Path:
    """``policies.png``: km, m³ turned away and km per m³ per policy, mean with its sd over seeds."""
    pm = agg["policies"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, key, title in zip(axes, ("km", "turned_away_m3", "km_per_m3"),
                              ("km driven", "m³ turned away", "km per m³ collected")):
        ax.bar(policies, [pm[p][key] for p in policies], yerr=[agg["sd"][p][key] for p in policies], capsize=4,
               color=["#c0504d", "#9bbb59", "#4f81bd"][: len(policies)])
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_dir / "policies.png", dpi=110)
    plt.close(fig)
    return out_dir / "policies.png"


def oracle_gap(agg: dict) -> dict | None:
    """The forecast policy against the oracle: the ratios the targets are stated in."""
    pm = agg["policies"]
    if "forecast" not in pm or "oracle" not in pm:
        return None
    f, o = pm["forecast"], pm["oracle"]
    return {
        "turned_away_m3": round(f["turned_away_m3"] - o["turned_away_m3"], 3),
        "turned_away_limit_m3": round(2 * o["turned_away_m3"] + 5, 3),  # target: forecast <= 2 x oracle + 5 m³
        "km_per_m3_ratio": round(f["km_per_m3"] / o["km_per_m3"], 4) if o["km_per_m3"] else None,
    }


def targets(agg: dict, world: str) -> dict[str, bool]:
    """The issue's targets for this world (see docs/simulation/README.md)."""
    pm, out = agg["policies"], {}
    first = 0.80 if world == "default" else 0.70
    fixed_gain = 0.15 if world == "default" else 0.10
    if {"forecast", "reactive"} <= set(pm) and pm["reactive"]["turned_away_m3"] > 0:
        f, r = pm["forecast"], pm["reactive"]
        out[f"vs_reactive_{first:.0%}_less_turned_away"] = 1 - f["turned_away_m3"] / r["turned_away_m3"] >= first
        if world == "default":
            out["vs_reactive_no_more_km_per_m3"] = f["km_per_m3"] <= r["km_per_m3"]
    if {"forecast", "fixed"} <= set(pm):
        out[f"vs_fixed_{fixed_gain:.0%}_fewer_km_per_m3"] = (
            pm["forecast"]["km_per_m3"] <= (1 - fixed_gain) * pm["fixed"]["km_per_m3"])
    gap = oracle_gap(agg)
    if gap:
        out["oracle_turned_away"] = pm["forecast"]["turned_away_m3"] <= gap["turned_away_limit_m3"]
        out["oracle_km_per_m3_1.10"] = gap["km_per_m3_ratio"] is not None and gap["km_per_m3_ratio"] <= 1.10
    return out


def write_worlds_table(results: dict[str, dict], a: argparse.Namespace, path: Path) -> None:
    """``path`` (worlds.md): per world, each policy's main figures and the verdict of each target."""
    lines = ["# Collection policies in every world (simulation)", "",
             f"Written by `scripts/simulate.py --worlds all --days {a.days} --seeds {a.seeds} "
             f"--first-seed {a.first_seed} --solution-limit {a.solution_limit}`; worlds: scripts/sim_worlds.py.", ""]
    if getattr(a, "merge", None):
        lines[2] = (lines[2] + f" Policies run: {a.policies}; the others are those of `{a.merge}` "
                    "(`--merge`), an earlier run of the same days, seeds and worlds.")
    for name, agg in results.items():
        lines += [f"## {name}", "", "| policy | m³ turned away | km | km per m³ | pickups missed |", "| --- | --- | --- | --- | --- |"]
        for p, m in agg["policies"].items():
            lines.append(f"| {p} | {m['turned_away_m3']:.1f} | {m['km']:.0f} | {m['km_per_m3']:.3f} | {m['pickups_missed']:.1f} |")
        lines += ["", "Targets: " + ", ".join(f"{k} {'holds' if v else 'MISSED'}" for k, v in agg["targets"].items()), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
