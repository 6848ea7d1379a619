#!/usr/bin/env python
"""How good the fill forecasts are, on synthetic relay points whose truth is known.

1. **Recovery** of the fill rates (the table in docs/simulation/README.md): 40 relay points, rates
   0.05-0.4 m³/day, capacity 0.6-3 m³, closed on Sundays, Saturdays x1.9, noisy level reports in 10 %
   steps on 40 % of days, "full" calls, collections; estimated after 4 and 12 weeks.
2. **Calibration** of p(full): after a history of 2-12 weeks, each relay point's forecast gives p(full by
   the end of day +h) for h = 1..5 with nobody collecting; the truth is then drawn on. Of the forecasts
   saying p ≈ x, about x should come true: a reliability table and diagram (PNG).

    .venv/bin/python scripts/forecast_quality.py [--points 40] [--calibration-points 400] [--out docs/simulation]

Deterministic for its arguments. Writes forecast_quality.md and calibration.png into --out (and prints JSON
with --json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dispatch.planning.forecast import Observation, Prior, estimate, masked_profile  # noqa: E402

START = dt.datetime(2026, 1, 5)  # a Monday
PROFILE = (0.9, 0.9, 1.0, 1.0, 1.0, 1.8, 0.0)  # busier Saturdays, closed Sundays
OPEN = frozenset(range(6))
WEAK_PRIOR = Prior(rate_m3_per_day=0.15, rate_sd=0.15)
DISPERSION = 0.04


def donation(rng: np.random.Generator, lam: float) -> float:
    return float(rng.gamma(lam / DISPERSION, DISPERSION)) if lam > 0 else 0.0


def synthetic(rate: float, cap: float, days: int, seed: int, *, p_read: float = 0.4, noise: float = 0.08,
              outliers: int = 0, with_stock: bool = False):
    """A relay point's history: Gamma donations, noisy level reports (10 % steps), "full" calls,
    collections (the driver reports the loaded volume) when it is 80 % full or more, half of the time.
    With ``with_stock``: (observations, true stock at the end, the generator to draw the future with)."""
    rng = np.random.default_rng(seed)
    g = masked_profile(PROFILE, OPEN)
    stock, obs = 0.0, []
    for k in range(days):
        day = START + dt.timedelta(days=k)
        stock = min(cap, stock + donation(rng, rate * g[day.weekday()]))
        t = day + dt.timedelta(hours=19)
        if stock >= cap:
            obs.append(Observation(t, full=True))
        elif rng.random() < p_read:
            level = round(float(np.clip(stock / cap + rng.normal(0, noise), 0, 0.9)) * 10) / 10
            obs.append(Observation(t, stock_m3=level * cap))
        if stock >= 0.8 * cap and rng.random() < 0.5:
            obs.append(Observation(t + dt.timedelta(hours=1), stock_m3=stock, full=stock >= cap, reset_to_m3=0.0))
            stock = 0.0
    for j in range(outliers):  # absurd reports ("100 %" typed for "10 %"), not flagged full
        t = START + dt.timedelta(days=7 * j + 3, hours=15)
        obs.append(Observation(t, stock_m3=0.99 * cap))
    return (obs, stock, rng) if with_stock else obs


def recovery(points: int, days: int) -> dict:
    errors, sat = [], []
    inside = 0
    for seed in range(points):
        rng = np.random.default_rng(1000 + seed)
        rate, cap = rng.uniform(0.05, 0.4), rng.uniform(0.6, 3.0)
        f = estimate(synthetic(rate, cap, days, seed), cap, WEAK_PRIOR, open_days=OPEN)
        errors.append(abs(f.rate_m3_per_day - rate) / rate)
        sat.append(f.weekday_factors[5] / np.mean(f.weekday_factors[:5]))
        low, high = f.rate_interval()
        inside += low <= rate <= high
    return {"history_days": days, "mean_abs_rel_error": round(float(np.mean(errors)), 4),
            "median": round(float(np.median(errors)), 4), "max": round(float(np.max(errors)), 4),
            "saturday_ratio": round(float(np.median(sat)), 3), "truth_in_95pct": round(inside / points, 3)}


def calibration(points: int, horizon: int = 5, bins: int = 10) -> dict:
    """Pairs (predicted p(full by day +h), came true) over ``points`` relay points and h = 1..horizon."""
    g = masked_profile(PROFILE, OPEN)
    predicted, happened = [], []
    for seed in range(points):
        rng = np.random.default_rng(5000 + seed)
        rate, cap = rng.uniform(0.05, 0.4), rng.uniform(0.6, 3.0)
        days = int(rng.integers(14, 85))
        obs, stock, future = synthetic(rate, cap, days, 7000 + seed, with_stock=True)
        now = START + dt.timedelta(days=days - 1, hours=21)
        f = estimate(obs, cap, WEAK_PRIOR, open_days=OPEN, now=now)
        full = stock >= cap
        for h in range(1, horizon + 1):
            day = (START + dt.timedelta(days=days - 1 + h)).date()
            stock = min(cap, stock + donation(future, rate * g[day.weekday()]))
            full = full or stock >= cap
            predicted.append(f.p_full_by(day))
            happened.append(full)
    p, y = np.array(predicted), np.array(happened, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for a, b in zip(edges[:-1], edges[1:]):
        mask = (p >= a) & ((p < b) if b < 1 else (p <= b))
        if mask.any():
            rows.append({"from": round(float(a), 2), "to": round(float(b), 2), "n": int(mask.sum()),
                         "mean_predicted": round(float(p[mask].mean()), 3), "observed": round(float(y[mask].mean()), 3)})
    brier = float(np.mean((p - y) ** 2))
    return {"pairs": int(len(p)), "brier": round(brier, 4), "bins": rows,
            "max_gap": round(max(abs(r["mean_predicted"] - r["observed"]) for r in rows if r["n"] >= 30), 3)}


def write(out: Path, rec: list[dict], cal: dict, argv: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Forecast quality (synthetic relay points)", "",
             f"Written by `scripts/forecast_quality.py {' '.join(argv)}`.", "", "## Recovery of the fill rates", "",
             "| history | mean abs. relative error of the rate | median | max | Saturday/weekday ratio found (true 1.9) "
             "| truth inside the 95 % interval |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rec:
        lines.append(f"| {r['history_days'] // 7} weeks | {100 * r['mean_abs_rel_error']:.1f} % | "
                     f"{100 * r['median']:.1f} % | {100 * r['max']:.0f} % | {r['saturday_ratio']:.2f} | "
                     f"{100 * r['truth_in_95pct']:.0f} % |")
    lines += ["", "## Calibration of p(full)", "",
              f"{cal['pairs']} forecasts (p(full by the end of day +1..+5), nobody collecting); Brier score "
              f"{cal['brier']:.3f}; largest gap between predicted and observed in a bin of 30 or more: "
              f"{100 * cal['max_gap']:.0f} points.", "",
              "| predicted p | forecasts | mean predicted | observed full |", "| --- | --- | --- | --- |"]
    for r in cal["bins"]:
        lines.append(f"| {r['from']:.1f}-{r['to']:.1f} | {r['n']} | {r['mean_predicted']:.2f} | {r['observed']:.2f} |")
    lines += ["", "![reliability diagram](calibration.png)", ""]
    (out / "forecast_quality.md").write_text("\n".join(lines), encoding="utf-8")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect")
    xs = [r["mean_predicted"] for r in cal["bins"]]
    ax.plot(xs, [r["observed"] for r in cal["bins"]], "o-", label="forecasts")
    for r in cal["bins"]:
        ax.annotate(str(r["n"]), (r["mean_predicted"], r["observed"]), fontsize=7, xytext=(3, -9),
                    textcoords="offset points")
    ax.set_xlabel("predicted p(full)")
    ax.set_ylabel("observed share full")
    ax.set_title("Reliability of p(full by day +1..+5)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=40, help="relay points for the recovery table")
    ap.add_argument("--calibration-points", type=int, default=400)
    ap.add_argument("--out", default=str(REPO / "docs" / "simulation"), help="folder; '' writes nothing")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    rec = [recovery(a.points, 28), recovery(a.points, 84)]
    cal = calibration(a.calibration_points)
    if a.out:
        write(Path(a.out), rec, cal, argv)
    print(json.dumps({"recovery": rec, "calibration": cal}, indent=None if a.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
