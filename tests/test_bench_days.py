"""scripts/bench_days.py on its tiny instance at 1 s: one JSON line per limit with the figures the
benchmark promises, every plan re-checked (check.py and independently recomputed road legs: the
script exits with an error otherwise), and a summary line with the targets' verdicts."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "bench_days.py"
FIELDS = {"instance", "visits", "limit_s", "objective", "reference", "gap_pct", "km", "served_mandatory",
          "served_optional", "penalty", "cpu_s"}


def test_tiny_day_at_one_second() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "tiny", "--limits", "1", "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    run, summary = lines[0], lines[-1]
    assert FIELDS <= set(run)
    assert run["instance"] == "tiny" and run["limit_s"] == 1 and run["visits"] == 12
    assert run["served_mandatory"] == run["mandatory"]  # a small day: every mandatory visit fits
    assert run["served_mandatory"] + run["served_optional"] <= run["visits"]
    assert run["km"] > 0 and run["objective"] >= run["km"] * 1000  # cost = metres driven + penalties
    # the reference of the tiny day is committed: the gap is computed against it
    assert run["reference"] is not None
    assert run["gap_pct"] == round(100 * (run["objective"] - run["reference"]) / run["reference"], 3)
    assert summary["summary"] is True and summary["instances"] == 1
    assert set(summary["targets"].values()) <= {"met", "missed"}
    assert "mandatory served when the reference serves them" in summary["targets"]


def test_a_reference_of_another_problem_is_refused(tmp_path) -> None:
    csv_file = tmp_path / "ref.csv"
    csv_file.write_text("instance,visits,fingerprint,objective,served_mandatory\ntiny,12,0000,1000,4\n",
                        encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "tiny", "--limits", "1", "--json", "--references", str(csv_file)],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode != 0
    assert "differs from the one of the reference" in proc.stderr


def test_the_summary_judges_each_instance_by_the_median_of_its_seeds() -> None:
    """A day's plan varies from run to run (a time-limited search): with ``--seeds`` each instance's gap is the
    median of its runs, and the worst single run is reported beside it."""
    sys.path.insert(0, str(REPO / "scripts"))
    import bench_days

    def line(instance: str, gap: float | None) -> dict:
        return {"instance": instance, "limit_s": 10, "reference": 100, "gap_pct": gap,
                "served_mandatory": 3 if gap is not None else 2, "reference_served_mandatory": 3}

    lines = [line("a", 0.2), line("a", 9.0), line("a", 0.4), line("b", 2.0), line("b", 2.5), line("b", None)]
    s = bench_days.summary(lines)
    assert s["runs_per_instance"] == 3
    assert s["median_gap_10"] == 1.45 and s["worst_gap_10"] == 2.5  # medians: a 0.4, b 2.5
    assert s["worst_run_gap_10"] == "inf"  # b's third run left a mandatory visit out
    assert s["short_of_mandatory"] == ["b@10"]
    assert s["targets"]["median_gap_10 <= 1.0 %"] == "missed" and s["targets"]["worst_gap_10 <= 3.0 %"] == "met"
    assert s["targets"]["mandatory served when the reference serves them"] == "missed"


def test_seeds_run_each_instance_that_many_times() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "tiny", "--limits", "0.5", "--seeds", "2", "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    assert [x["seed"] for x in lines[:-1]] == [1, 2]
    assert lines[-1]["runs_per_instance"] == 2
