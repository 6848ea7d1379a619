"""Property-based fuzzing of the whole OpenAPI schema against the running API: no 5xx, ever.

Two bounded runs (about 1,500 generated requests in all, fixed seed) in the suite: one with an admin token
(every endpoint is reached; fuzzing and stateful phases, about 1,000 requests) and one anonymous (every staff
endpoint must answer 401, never 5xx; about 400). Schemathesis' deterministic coverage phase alone makes about
3,400 requests on the 70 operations, so it runs on demand only. Longer runs on demand:
    DISPATCH_FUZZ_EXAMPLES=200 DISPATCH_FUZZ_PHASES=coverage,fuzzing,stateful ./scripts/test tests/test_fuzz.py
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
FUZZ_PASSWORD = "fuzzing admin password"
# Planning itself is exercised elsewhere: fuzzing it would queue minutes-long solves. As admin, the account
# endpoints are left out too (a random PATCH or revoke-tokens on the fuzzer's own account would sign it out).
EXCLUDED = "/plans$|plan-jobs$"
EXCLUDED_AS_ADMIN = EXCLUDED + "|/users/|/auth/logout$"


@pytest.fixture
def live_api(tmp_path):
    env = {**os.environ, "DISPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
           "PYTHONPATH": str(REPO),
           # the fuzzer is one client sending thousands of requests: lift the per-IP limits for it
           "DISPATCH_RATE_LIMIT_PUBLIC_PER_MINUTE": "1000000", "DISPATCH_RATE_LIMIT_LOGIN_PER_MINUTE": "1000000"}
    env.pop("DISPATCH_GRAPH_PATH", None)
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "seed-demo", "--date", "2026-12-01"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    subprocess.run([*cli, "plan", "--date", "2026-12-01", "--time-limit", "1"], cwd=tmp_path, env=env,
                   check=True, capture_output=True)
    subprocess.run([*cli, "user", "add", "fuzz-admin", "--role", "admin", "--password-stdin"], cwd=tmp_path,
                   env=env, check=True, capture_output=True, input=f"{FUZZ_PASSWORD}\n", text=True)
    proc = subprocess.Popen([*cli, "serve", "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert "serving the API on http://127.0.0.1:" in line, line
        address = line.split("http://", 1)[1].split(" ", 1)[0]
        r = httpx.post(f"http://{address}/api/v1/auth/token", data={"username": "fuzz-admin",
                                                                   "password": FUZZ_PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        yield address, r.json()["access_token"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _fuzz(address: str, examples: int, *extra: str) -> tuple[int, str]:
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", f"http://{address}/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", str(examples), "--seed", "20261128", "--workers", "1",
         "--request-timeout", "60",  # a PDF with its map takes seconds on a busy 2-core machine
         *extra],
        capture_output=True, text=True, timeout=900,
    )
    tail = result.stdout[-3000:]
    first = min([i for i in (result.stdout.find("= ERRORS ="), result.stdout.find("= FAILURES =")) if i >= 0],
                default=max(0, len(result.stdout) - 3000))
    assert result.returncode == 0, result.stdout[first:first + 5000]
    counts = re.findall(r"(\d+) generated", tail)
    assert counts, tail
    return int(counts[-1]), tail


def test_no_server_error_anywhere_in_the_schema(live_api):
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed: ./scripts/test installs it with the test extra")
    address, token = live_api
    examples = int(os.environ.get("DISPATCH_FUZZ_EXAMPLES", "25"))
    phases = os.environ.get("DISPATCH_FUZZ_PHASES", "fuzzing,stateful")
    as_admin, tail = _fuzz(address, max(1, examples * 3 // 5), "--phases", phases,
                           "--exclude-path-regex", EXCLUDED_AS_ADMIN, "-H", f"Authorization: Bearer {token}")
    anonymous, _ = _fuzz(address, max(1, examples // 4), "--phases", "fuzzing", "--exclude-path-regex", EXCLUDED)
    print(f"fuzzed {as_admin} requests with an admin token and {anonymous} anonymously")
    assert as_admin + anonymous >= 1000 or examples != 25, (as_admin, anonymous, tail)
