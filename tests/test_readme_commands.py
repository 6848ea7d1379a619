"""The README's two commands, on a clean clone with a fresh virtualenv (the way a new user runs them)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from api.cli.arguments import default_day  # the day ./scripts/run plans without --date
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    if subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip():
        # A developer's dirty tree: the clone holds only what is committed; still meaningful, say so.
        print("note: uncommitted changes are not part of the clone under test", file=sys.stderr)
    target = tmp_path_factory.mktemp("clone") / "dispatch"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    return target


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "VIRTUAL_ENV", "PYTEST"))}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    return env


def test_run_plans_the_day_and_serves_it(clone):
    port = _free_port()
    proc = subprocess.Popen(
        ["./scripts/run", "--port", str(port), "--time-limit", "5"],  # the README's command: the next collection day
        cwd=clone, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # ends when the process exits: a failure cannot hang here
            output.append(line)
            if "serving the API" in line:
                break
        text = "".join(output)
        assert "serving the API" in text, text
        assert "rounds," in text and "stops," in text and "km" in text and "Unassigned:" in text, text
        # The CLI listens before it prints the address: the first request is served.
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/rounds", params={"date": default_day().isoformat()}, timeout=60)
        assert r.status_code == 200, r.text
        day = r.json()
        # the day served is the day printed (whichever weekday the next collection day is)
        printed = re.search(r"(\d+) rounds, (\d+) stops", text)
        assert printed, text
        assert (day["rounds_count"], day["stops_count"]) == (int(printed[1]), int(printed[2])), (day, text)
        assert day["rounds_count"] >= 2 and day["stops_count"] >= 20, day
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    # Second run on the same clone: the database is not re-seeded, the plan is redone, nothing is served.
    again = subprocess.run(["./scripts/run", "--date", default_day().isoformat(), "--no-serve", "--time-limit", "2"],
                           cwd=clone, env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "not seeding" in again.stdout and "Plan " in again.stdout


def test_test_command_runs_pytest(clone):
    result = subprocess.run(["./scripts/test", "tests/test_workdays.py", "-q"], cwd=clone, env=_env(),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_bad_arguments_are_explained(clone):
    result = subprocess.run(["./scripts/run", "--date", "01/12/2026", "--no-serve"], cwd=clone, env=_env(),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 2
    assert "use YYYY-MM-DD" in result.stderr
