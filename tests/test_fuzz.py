"""Property-based fuzzing against the real server on the demo day (README, "Reliability", **Fuzzing**).

Schemathesis generates requests for every operation of ``/openapi.json`` as each staff role (admin, coordinator,
switchboard), anonymously, with a crew's round link and with a relay point's link, and checks that nothing
answers 5xx and that every status code, content type, header and body is the one the schema declares. From the
requests actually sent (its NDJSON report), a role never gets through an operation it may not call (403), nor an
anonymous caller or a link token through a staff one (401); who may call what is read from the app's routes
(``api.security.roles_of``), not from a copy kept here. Hypothesis then drives the link pages, HTML outside the
schema (``/r/{token}``, ``/p/{token}``, the crew's updates), with valid, foreign, expired, forged, revoked and
random tokens, stops and bodies: a link opens only its own round or relay point.

Shares of ``DISPATCH_FUZZ_EXAMPLES`` (default 25 examples per operation): admin 60 % (fuzzing and stateful
phases), coordinator 30 %, switchboard, anonymous and each link 20 %; the PDF operations, which draw a map for
a second or two, get a fifth of that (at least 3) and no stateful phase. About 3,000 requests in all.
Schemathesis' deterministic coverage phase alone makes about 3,400 requests on the 70-odd operations, so it runs
on demand only. A long run:
    DISPATCH_FUZZ_EXAMPLES=200 DISPATCH_FUZZ_PHASES=coverage,fuzzing,stateful DISPATCH_FUZZ_LINK_EXAMPLES=2000 \\
        ./scripts/test tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter, deque
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from markupsafe import escape

from dispatch.exchange.fields import bad_character
from dispatch.workdays import next_collection_day
from tests.conftest import REPO

# ./scripts/test keeps a file's tests in one process (--dist loadfile): the last test counts them all
pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# The demo day: the next collection day from today, so that its round links (valid until the morning after
# it) work whenever the suite runs.
DAY = next_collection_day(dt.date.today()).isoformat()
PASSWORD = "fuzzing staff password"
SECRET_KEY = "fuzzing-secret-key-not-for-production"  # signs the round links: the test forges some
ROLES = ("admin", "coordinator", "switchboard")
CALLERS = (*ROLES, "anonymous")
LINKS = ("crew", "relay point")

DEFAULT_EXAMPLES, DEFAULT_PHASES, DEFAULT_LINK_EXAMPLES = 25, "fuzzing,stateful", 200
EXAMPLES = int(os.environ.get("DISPATCH_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
PHASES = os.environ.get("DISPATCH_FUZZ_PHASES", DEFAULT_PHASES)
LINK_EXAMPLES = int(os.environ.get("DISPATCH_FUZZ_LINK_EXAMPLES", DEFAULT_LINK_EXAMPLES))
DEFAULTS = (EXAMPLES, PHASES, LINK_EXAMPLES) == (DEFAULT_EXAMPLES, DEFAULT_PHASES, DEFAULT_LINK_EXAMPLES)
SHARES = {"admin": 0.6, "coordinator": 0.3, "switchboard": 0.2, "anonymous": 0.2, "crew": 0.2, "relay point": 0.2}
# Refused requests each caller must at least have made (403 for a role, 401 otherwise): a sanity check that the
# access check below looked at something. Coordinators may call all but the admin's few operations.
MIN_REFUSED = {"admin": 0, "coordinator": 3, "switchboard": 24, "anonymous": 24, "crew": 24, "relay point": 24}

# Planning itself is exercised elsewhere: fuzzing it would queue minutes-long solves (a plan, a planning job, and
# re-optimise / re-plan, which start jobs of up to 300 s). With a staff token the account endpoints are left out
# too: a random PATCH, revoke-tokens or logout on the fuzzer's own account would sign it out.
EXCLUDED = r"/plans$|plan-jobs$|/reoptimise$|/replan$"
EXCLUDED_WITH_STAFF_TOKEN = EXCLUDED + r"|/users/|/auth/logout$"
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
PDF_EXAMPLES = 3  # at least, per PDF operation (see _schemathesis)
# Malformed requests may be refused before the caller is identified: that is not getting through.
REFUSED_BEFORE_IDENTIFICATION = frozenset({400, 413, 415, 422})

SENT: dict[str, int] = {}  # requests sent per caller, for the total checked by the last test


# ------------------------------------------------------------------ the server


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """The API served by ``dispatch serve`` on a fresh database with the demo day planned: (address, tokens)."""
    tmp_path = tmp_path_factory.mktemp("fuzz-server")
    env = {**os.environ, "DISPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
           "PYTHONPATH": str(REPO), "DISPATCH_SECRET_KEY": SECRET_KEY,
           # the fuzzer is one client sending thousands of requests: lift the per-IP limits for it
           "DISPATCH_RATE_LIMIT_PUBLIC_PER_MINUTE": "1000000", "DISPATCH_RATE_LIMIT_LOGIN_PER_MINUTE": "1000000",
           # the fuzzer subscribes webhooks to generated addresses: the server must not call them
           "DISPATCH_WEBHOOK_DELIVERY_INTERVAL_S": "0",
           # the demo day is the next collection day: its crews update it from today on
           "DISPATCH_CREW_UPDATES_DAYS_BEFORE": "7"}
    env.pop("DISPATCH_GRAPH_PATH", None)
    cli = [sys.executable, "-m", "api.cli"]

    def run(*args: str, stdin: str | None = None) -> None:
        r = subprocess.run([*cli, *args], cwd=tmp_path, env=env, capture_output=True, text=True, input=stdin)
        assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])

    run("seed-demo", "--date", DAY)
    # 3 s, not 1: one second is too tight for the demo day on a busy 2-core machine (an empty, infeasible plan).
    # Meanwhile the staff accounts are added and the server starts (planning writes only at its end).
    plan = subprocess.Popen([*cli, "plan", "--date", DAY, "--time-limit", "3"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = None
    try:
        for role in ROLES:
            run("user", "add", f"fuzz-{role}", "--role", role, "--password-stdin", stdin=f"{PASSWORD}\n")
        server = subprocess.Popen([*cli, "serve", "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
        line = server.stdout.readline()
        assert "serving the API on http://127.0.0.1:" in line, line
        address = line.split("http://", 1)[1].split(" ", 1)[0]
        # keep reading what the server prints, or a full pipe would stall it
        threading.Thread(target=deque, args=(server.stdout, 0), daemon=True).start()
        tokens = {}
        for role in ROLES:
            r = httpx.post(f"http://{address}/api/v1/auth/token",
                           data={"username": f"fuzz-{role}", "password": PASSWORD}, timeout=30)
            assert r.status_code == 200, r.text
            tokens[role] = r.json()["access_token"]
        output, _ = plan.communicate(timeout=300)
        assert plan.returncode == 0, output[-3000:]
        yield address, tokens
    finally:
        if plan.poll() is None:
            plan.kill()
            plan.wait()
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def allowed_roles(tmp_path_factory) -> dict[tuple[str, str], frozenset[str] | None]:
    """(METHOD, path template) -> the roles that may call it (None: public), read from the app's own routes."""
    from fastapi.routing import iter_route_contexts

    from api.app import create_app
    from api.security import roles_of
    from dispatch.settings import Settings

    db = tmp_path_factory.mktemp("fuzz-routes") / "routes.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{db}", webhook_delivery_interval_s=0, _env_file=None))
    allowed = {}
    for route in iter_route_contexts(app.routes):
        for method in (getattr(route, "methods", None) or set()) - {"HEAD"}:
            roles = roles_of(getattr(route, "dependant", None))
            allowed[(method, getattr(route, "path_format", route.path))] = (
                None if roles is None else frozenset(r.value for r in roles))
    assert allowed[("POST", "/api/v1/users")] == {"admin"}  # the reading itself works
    assert allowed[("GET", "/health")] is None
    return allowed


def _api(address: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://{address}", headers={"Authorization": f"Bearer {token}"}, timeout=60)


# ------------------------------------------------------------------ Schemathesis and what it sent


def _phases_without_stateful() -> str:
    return ",".join(p for p in PHASES.split(",") if p != "stateful") or "fuzzing"


def _examples(who: str) -> int:
    return max(1, int(EXAMPLES * SHARES[who]))


def _schemathesis(address: str, tmp_path: Path, examples: int, *extra: str,
                  parameters: dict[str, str] | None = None) -> dict[str, Counter]:
    """Run Schemathesis with the conformance checks; {operation label: Counter(status codes)} of what it sent."""
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed: ./scripts/test installs it with the test extra")
    config = tmp_path / "schemathesis.toml"
    lines = ["[checks]", "enabled = false", *(f"{check}.enabled = true" for check in CHECKS)]
    if parameters:
        lines += ["", "[parameters]", *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in parameters.items())]
    # A manifest or a day summary takes 1-2 s to draw (its map): a few of each, and none in the stateful phase
    lines += ["", "[[operations]]", 'include-path-regex = "\\\\.pdf$"',
              f"generation.max-examples = {min(examples, max(PDF_EXAMPLES, examples // 5))}",
              "phases.stateful.enabled = false"]
    config.write_text("\n".join(lines) + "\n")
    report = tmp_path / "schemathesis.ndjson"
    # The runs share a working directory for Hypothesis' caches (its Unicode tables take seconds to build), but
    # no example database: a run never replays another's examples.
    home = tmp_path.parent / "schemathesis-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run", f"http://{address}/openapi.json",
         "--max-examples", str(examples), "--seed", "20261128", "--workers", "1", "--generation-database", "none",
         "--request-timeout", "60",  # a PDF with its map takes seconds on a busy 2-core machine
         "--report", "ndjson", "--report-ndjson-path", str(report), *extra],
        capture_output=True, text=True, timeout=900, cwd=home,
    )
    out = result.stdout
    first = min([i for i in (out.find("= ERRORS ="), out.find("= FAILURES =")) if i >= 0],
                default=max(0, len(out) - 3000))
    assert result.returncode == 0, out[first:first + 6000] + result.stderr[-2000:]
    statuses: dict[str, Counter] = {}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" not in event:
            continue
        recorder = event["ScenarioFinished"]["recorder"]
        for case_id, case in recorder.get("cases", {}).items():  # a skipped scenario has none
            interaction = recorder.get("interactions", {}).get(case_id)
            if interaction is None:  # generated but not sent (a stateful step that was not run)
                continue
            label = f"{case['value']['method'].upper()} {case['value']['path']}"
            response = interaction.get("response")
            statuses.setdefault(label, Counter())[response["status_code"] if response else None] += 1
    sent = sum(sum(c.values()) for c in statuses.values())
    assert sent > 0, out[-3000:]
    return statuses


def _route_for(method: str, path: str, allowed_roles: dict) -> tuple[str, str] | None:
    """The route that takes ``method`` on ``path`` (a path parameter matches any one segment), if any."""
    for route_method, template in allowed_roles:
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        if route_method == method and re.fullmatch(pattern, path):
            return route_method, template
    return None


def _check_access(statuses: dict[str, Counter], allowed_roles: dict, who: str) -> int:
    """No caller gets through an operation it may not call: a role gets 403, anonymous and link callers 401
    (or a malformed request is refused before the caller is identified); a method no route has gets 405.
    Returns how many refusals (403 or 401) were seen."""
    expected = 403 if who in ROLES else 401
    paths = {path for _, path in allowed_roles}
    refused, wrong = 0, []
    for label, counts in sorted(statuses.items()):
        method, path = label.split(" ", 1)
        if (method, path) not in allowed_roles and path in paths:  # the coverage phase tries other methods:
            route = _route_for(method, path, allowed_roles)  # another route may take it (PATCH …/nearest)
            if route is None:
                if set(counts) != {405}:
                    wrong.append((label, dict(counts)))
                continue
            method, path = route
        assert (method, path) in allowed_roles, f"{label} is in the schema but not among the app's routes"
        allowed = allowed_roles[(method, path)]
        if allowed is None:  # public
            continue
        if who in allowed:
            # the caller's own token is never refused: the exclusions keep the fuzzer signed in
            if counts.get(401):
                wrong.append((label, dict(counts)))
            continue
        if any(code != expected and code not in REFUSED_BEFORE_IDENTIFICATION for code in counts):
            wrong.append((label, dict(counts)))
        refused += counts.get(expected, 0)
    assert wrong == [], (f"{who}: an operation it may not call answered something else than {expected}, one it "
                         f"may call refused its token (401), or a method no route has answered not 405: {wrong}")
    return refused


# ------------------------------------------------------------------ each caller, then each link


@pytest.mark.parametrize("who", CALLERS)
def test_schema_fuzzing_per_caller(who, live_api, allowed_roles, tmp_path):
    address, tokens = live_api
    extra = ["--phases", PHASES if who == "admin" else _phases_without_stateful()]
    if who in ROLES:
        extra += ["--exclude-path-regex", EXCLUDED_WITH_STAFF_TOKEN, "-H", f"Authorization: Bearer {tokens[who]}"]
    else:
        extra += ["--exclude-path-regex", EXCLUDED]
    statuses = _schemathesis(address, tmp_path, _examples(who), *extra)
    SENT[who] = sum(sum(c.values()) for c in statuses.values())
    refused = _check_access(statuses, allowed_roles, who)
    print(f"{who}: {SENT[who]} requests on {len(statuses)} operations, {refused} refused as expected")
    if who == "admin":  # the admin reached every operation
        assert len(statuses) >= 60, sorted(statuses)
    if EXAMPLES >= DEFAULT_EXAMPLES:  # sanity checks of what was sent (fewer examples on demand send less)
        assert refused >= MIN_REFUSED[who], (who, refused, statuses)
        if who == "admin":  # and got through often
            assert sum(n for counts in statuses.values() for code, n in counts.items() if code and code < 300) >= 100


def _token_of(url: str, prefix: str) -> str:
    assert prefix in url, url
    return url.rsplit(prefix, 1)[1]


@pytest.fixture(scope="module")
def links(live_api):
    """The demo day published; two rounds' crew links, a relay point's link and another one's revoked link."""
    address, tokens = live_api
    with _api(address, tokens["admin"]) as api:
        day = api.get("/api/v1/rounds", params={"date": DAY})
        assert day.status_code == 200, day.text
        r = api.post(f"/api/v1/plans/{day.json()['plan_id']}/publish", params={"accept_unassigned": "true"})
        assert r.status_code in (200, 409), r.text  # 409: the admin's fuzzing published it already
        day = api.get("/api/v1/rounds", params={"date": DAY}).json()
        assert day["status"] == "published", day["status"]
        rounds = [rnd for rnd in day["rounds"]
                  if any(s["kind"] in ("relay_point", "pickup") for s in rnd["stops"])][:2]
        assert len(rounds) == 2, [len(rnd["stops"]) for rnd in day["rounds"]]
        crews = []
        for rnd in rounds:
            r = api.post(f"/api/v1/rounds/{rnd['id']}/link")
            assert r.status_code == 200, r.text
            expires = dt.datetime.fromisoformat(r.json()["expires_at"].replace("Z", "+00:00"))
            assert expires > dt.datetime.now(dt.UTC), f"the demo day {DAY} is over: its round links have expired"
            crews.append({"round_id": rnd["id"], "token": _token_of(r.json()["url"], "/r/"),
                          "stops": {s["stop_id"]: s["kind"] for s in rnd["stops"]}})
        # two relay points with distinct names (each page shows its own as its title)
        relay, revoked = api.get("/api/v1/relay-points", params={"limit": 2}).json()["items"]
        assert relay["name"] != revoked["name"], (relay, revoked)
        points = []
        for point in (relay, revoked):
            r = api.post(f"/api/v1/relay-points/{point['id']}/link")
            assert r.status_code == 201, r.text
            points.append({"id": point["id"], "name": point["name"], "token": _token_of(r.json()["url"], "/p/")})
        r = api.delete(f"/api/v1/relay-points/{revoked['id']}/link")
        assert r.status_code == 204, r.text
    return {"crews": crews, "relay point": points[0], "revoked": points[1]}


@pytest.mark.parametrize("link", LINKS)
def test_schema_fuzzing_with_a_link(link, live_api, links, allowed_roles, tmp_path):
    """The link's token in its own operation's path (``token``) and as a bearer token everywhere else: no 5xx,
    conformance, and no staff operation lets it through (401). Only a crew link has an operation of its own in
    the schema (its updates); a relay point's token in that path is refused there (403): it opens no round."""
    address, _ = live_api
    token = links["crews"][0]["token"] if link == "crew" else links["relay point"]["token"]
    statuses = _schemathesis(address, tmp_path, _examples(link), "--phases", _phases_without_stateful(),
                             "--exclude-path-regex", EXCLUDED, "-H", f"Authorization: Bearer {token}",
                             parameters={"path.token": token})
    SENT[link] = sum(sum(c.values()) for c in statuses.values())
    refused = _check_access(statuses, allowed_roles, link)
    print(f"{link} link: {SENT[link]} requests on {len(statuses)} operations, {refused} refused as expected")
    own = statuses["POST /r/{token}/stops/{stop_id}/events"]
    if link == "crew":  # its valid token is never refused there, nor where it hands over refused updates
        assert 403 not in own, own
        own = own + statuses.get("POST /r/{token}/held", Counter())
        assert 403 not in own, own
    else:  # a relay point's token opens no round
        assert set(own) <= {403} | REFUSED_BEFORE_IDENTIFICATION, own
    if EXAMPLES >= DEFAULT_EXAMPLES:  # sanity checks of what was sent (fewer examples on demand send less)
        assert refused >= MIN_REFUSED[link], (link, refused, statuses)
        # the crew's token was read there (a stop recorded, or not its own; refused updates handed over); the
        # relay point's was refused
        assert any(code in own for code in ((200, 201, 404, 409) if link == "crew" else (403,))), own


# ------------------------------------------------------------------ the link pages, outside the schema


def _valid_key(key: str) -> bool:
    """What dispatch.field.events accepts as an idempotency key (it strips it first)."""
    key = key.strip()
    return 8 <= len(key) <= 80 and all(c.isalnum() or c in "-_" for c in key)


def _event_body_accepted(body) -> bool:
    from pydantic import ValidationError

    from api.routers.driver import StopEventIn

    try:
        StopEventIn.model_validate(body)
    except ValidationError:
        return False
    return True


def _stop_id_accepted(stop_id: str) -> bool:
    return stop_id.isascii() and stop_id.isdigit() and 1 <= int(stop_id) <= 2_147_483_647


def _forged_tokens(crews: list[dict]) -> list[str]:
    from dispatch.field.links import make_round_token

    key = SECRET_KEY.encode()
    a, b = crews
    round_a, expiry, signature = a["token"].split(".")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    return [
        f"{b['round_id']}.{expiry}.{signature}",  # another round's id under this round's signature
        f"{round_a}.{int(later.timestamp())}.{signature}",  # a later expiry under the old signature
        make_round_token(a["round_id"], later, b"not the secret key"),
        make_round_token(999_999, later, key),  # well signed, but no such round
        a["token"][:-1] + ("A" if a["token"][-1] != "A" else "B"),
        a["token"].upper(), a["token"] + ".1", a["token"].replace(".", "-"),
    ]


def _expired_tokens(crews: list[dict]) -> list[str]:
    from dispatch.field.links import make_round_token

    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    return [make_round_token(c["round_id"], past, SECRET_KEY.encode()) for c in crews]


_random_token = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\?#%"),
                        min_size=1, max_size=230).filter(lambda t: t.strip(".") != "")
_fresh_keys = itertools.count(1)


def test_link_pages_open_only_their_own_round_or_relay_point(live_api, links):
    """A fixed tour of the cases first (a crew replaying another round's key among them), then Hypothesis: each
    example sends a request (or two) to a link page and checks the answer against what the state says it must
    be: the status, and that a link shows or changes only its own round's stops or its own relay point."""
    address, tokens = live_api
    crews = links["crews"]
    relay, revoked = links["relay point"], links["revoked"]
    stops_of = {c["token"]: c["stops"] for c in crews}
    all_stops = sorted(s for c in crews for s in c["stops"])
    collectable = {c["token"]: {s for s, kind in c["stops"].items() if kind in ("relay_point", "pickup")}
                   for c in crews}
    bad_tokens = {"expired": _expired_tokens(crews), "forged": _forged_tokens(crews),
                  "revoked": [revoked["token"]]}
    shared_keys = [f"fuzz-shared-key-{i}" for i in range(4)]  # both crews use them: replays across rounds
    recorded: dict[str, int] = {}  # idempotency key -> the stop the server recorded it on
    sent = 0

    def reports_from_link(point_id: int) -> int:
        """The relay point's fill reports sent from its link page (a crew's collection adds one of its own)."""
        with _api(address, tokens["admin"]) as api:
            r = api.get(f"/api/v1/relay-points/{point_id}/reports", params={"limit": 500})
        assert r.status_code == 200, r.text
        return sum(report["source"] == "relay_point" for report in r.json())

    reports_before = {point["id"]: reports_from_link(point["id"]) for point in (relay, revoked)}
    client = httpx.Client(base_url=f"http://{address}", timeout=60, follow_redirects=False)

    def request(method: str, url: str, **kwargs) -> httpx.Response:
        nonlocal sent
        sent += 1
        r = client.request(method, url, **kwargs)
        assert r.status_code < 500, (method, url, kwargs, r.status_code, r.text[:500])
        return r

    # Each sends one request, checks the answer and says which case it was. ``kind`` is the token's: 'valid'
    # (a link for that page), 'other link' (a valid link of the other kind), 'expired', 'forged', 'revoked', 'random'.

    def open_sheet(kind: str, token: str, lang: str = "") -> str:
        r = request("GET", f"/r/{quote(token, safe='')}{lang}")
        if kind != "valid":
            assert r.status_code == 403, (kind, token, r.status_code)
            return "sheet refused"
        assert r.status_code == 200, r.text[:500]  # its own round's stops, all of them, and nothing else
        shown = {int(s) for s in re.findall(r'data-stop-id="(\d+)"', r.text)}
        assert shown == collectable[token], (shown, collectable[token])
        assert 'data-published="true"' in r.text
        return "sheet opened"

    def post_event(kind: str, token: str, stop_id: str, body, lang: str = "") -> str:
        r = request("POST", f"/r/{quote(token, safe='')}/stops/{quote(stop_id, safe='')}/events{lang}", json=body)
        own_stops = stops_of[token] if kind == "valid" else {}
        stop = int(stop_id) if _stop_id_accepted(stop_id) else None
        if stop is None or not _event_body_accepted(body):
            expected, case = {422}, "malformed"  # FastAPI validates before the link is read
        elif kind != "valid":
            expected, case = {403}, "bad token"
        elif not _valid_key(body["idempotency_key"]):
            expected, case = {422}, "bad key"
        elif body["idempotency_key"].strip() in recorded:
            first = recorded[body["idempotency_key"].strip()]
            if first != stop:
                expected, case = {409}, "key of another stop"
            elif stop not in own_stops:  # another round's key, replayed onto that round's stop
                expected, case = {404}, "another round's replay"
            else:
                expected, case = {200}, "repeat"
        elif stop not in own_stops:
            expected, case = {404}, "foreign stop"
        elif isinstance(body.get("note"), str) and bad_character(body["note"], multiline=True):
            expected, case = {422}, "control character in the note"  # dispatch/exchange/fields.py
        elif body["kind"] == "arrived":
            expected, case = {201}, "recorded"
        else:  # collected / missed: refused with 422 at a stop it does not fit, without its details or with a
            # volume to confirm; 409 when the stop already has an outcome (a correction needs its reason)
            expected, case = {201, 409, 422}, "recorded or refused"
        assert r.status_code in expected, (case, kind, token, stop_id, body, r.status_code, r.text[:300])
        if r.status_code == 409 and case == "recorded or refused":
            assert r.headers.get("X-Refusal-Code") in ("correction_reason", "corrected"), r.text[:300]
        if r.status_code == 201:
            assert r.json()["stop_id"] == stop and r.json()["repeated"] is False, r.text
            recorded[body["idempotency_key"].strip()] = stop
        elif r.status_code == 200:
            assert r.json()["stop_id"] == stop and r.json()["repeated"] is True, r.text
        return case

    def open_relay_page(kind: str, token: str, params: dict) -> str:
        r = request("GET", f"/p/{quote(token, safe='')}", params=params)
        if params.get("ok") not in (None, "full", "level", "dup") or params.get("level") not in (None, "50"):
            assert r.status_code == 422, (token, params, r.status_code)
            return "relay page, bad query"
        if kind != "valid":
            assert r.status_code == 403, (kind, token, r.status_code)
            return "relay page refused"
        assert r.status_code == 200, r.text[:500]  # its own relay point's page
        assert re.findall(r"<h1>(.*?)</h1>", r.text, re.S) == [escape(relay["name"])], r.text[:500]
        return "relay page opened"

    def post_relay_report(kind: str, token: str, form: dict, as_json: bool, lang: str = "") -> str:
        r = request("POST", f"/p/{quote(token, safe='')}{lang}", **({"json": form} if as_json else {"data": form}))
        fields = {} if as_json else form  # a JSON body is no form: no action, no level
        try:
            level_ok = int(str(fields.get("level") or "")) in (25, 50, 75, 100)
        except ValueError:
            level_ok = False
        if kind != "valid":
            assert r.status_code == 403, (kind, token, r.status_code)
            return "report refused"
        if fields.get("action") == "full" or level_ok:  # recorded (or acknowledged as a repeat) on its own page
            assert r.status_code == 303, (form, as_json, r.status_code, r.text[:300])
            assert re.fullmatch(rf"/p/{re.escape(token)}\?ok=(full|level|dup)&level=\d+(&lang=en)?",
                                r.headers["location"]), r.headers["location"]
            return "report recorded"
        assert r.status_code == 422, (form, as_json, r.status_code)
        return "report with a bad level"

    a, b = crews
    a_stop, b_stop = min(collectable[a["token"]]), min(collectable[b["token"]])
    arrival = {"kind": "arrived", "idempotency_key": "fuzz-tour-key-1"}
    tour = [
        open_sheet("valid", a["token"]), open_sheet("valid", b["token"], "?lang=en"),
        open_sheet("expired", bad_tokens["expired"][0]), open_sheet("forged", bad_tokens["forged"][0]),
        open_sheet("other link", relay["token"]),
        post_event("valid", a["token"], str(a_stop), arrival),
        post_event("valid", a["token"], str(a_stop), arrival),
        post_event("valid", b["token"], str(a_stop), arrival),  # crew b replays crew a's update
        post_event("valid", b["token"], str(b_stop), arrival),  # crew b's own stop with crew a's key
        post_event("valid", b["token"], str(a_stop), {**arrival, "idempotency_key": "fuzz-tour-key-2"}),
        post_event("forged", bad_tokens["forged"][0], str(a_stop), {**arrival, "idempotency_key": "fuzz-tour-key-3"}),
        post_event("valid", a["token"], "abc", arrival),
        post_event("valid", a["token"], str(a_stop), {**arrival, "idempotency_key": "has spaces in it"}),
        open_relay_page("valid", relay["token"], {}), open_relay_page("revoked", revoked["token"], {}),
        post_relay_report("valid", relay["token"], {"action": "full"}, False),
        post_relay_report("revoked", revoked["token"], {"action": "full"}, False),
        post_relay_report("valid", relay["token"], {"action": "level", "level": "30"}, False),
    ]
    assert tour == ["sheet opened"] * 2 + ["sheet refused"] * 3 + [
        "recorded", "repeat", "another round's replay", "key of another stop", "foreign stop", "bad token",
        "malformed", "bad key", "relay page opened", "relay page refused", "report recorded", "report refused",
        "report with a bad level"], tour

    explored: Counter = Counter()  # the cases Hypothesis' examples reached

    def draw_token(data, page: str, *, valid: bool = True) -> tuple[str, str]:
        """(kind, token) for a page: 'r' (a crew's) or 'p' (a relay point's)."""
        kinds = ["other link", "expired", "forged", "revoked", "random"]
        kind = data.draw(st.sampled_from(["valid"] * 5 * valid + kinds), label="token kind")
        if kind == "valid":
            return kind, (data.draw(st.sampled_from([c["token"] for c in crews])) if page == "r" else relay["token"])
        if kind == "other link":  # a relay point's on /r, a crew's on /p
            return kind, (relay["token"] if page == "r" else data.draw(st.sampled_from([c["token"] for c in crews])))
        if kind == "random":
            return kind, data.draw(_random_token, label="random token")
        return kind, data.draw(st.sampled_from(bad_tokens[kind]), label=kind)

    @hypothesis_settings(max_examples=LINK_EXAMPLES, derandomize=True, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(data=st.data())
    def check(data):
        page = data.draw(st.sampled_from(["sheet", "event", "event", "event", "relay page", "relay report"]),
                         label="page")
        lang = data.draw(st.sampled_from(["", "?lang=en"]), label="lang")
        if page == "sheet":
            explored[open_sheet(*draw_token(data, "r"), lang)] += 1
        elif page == "relay page":
            kind, token = draw_token(data, "p")
            params = data.draw(st.fixed_dictionaries({}, optional={
                "ok": st.sampled_from(["full", "level", "dup", "nope"]), "level": st.sampled_from(["50", "101", "x"]),
                "lang": st.just("en")}), label="query")
            explored[open_relay_page(kind, token, params)] += 1
        elif page == "relay report":
            kind, token = draw_token(data, "p")
            form = data.draw(st.fixed_dictionaries({}, optional={
                "action": st.sampled_from(["full", "level", "full", "", "empty"]),
                "level": st.sampled_from(["25", "50", "75", "100", " 75 ", "30", "", "abc", "-25"])}), label="form")
            explored[post_relay_report(kind, token, form, data.draw(st.booleans(), label="as JSON"), lang)] += 1
        else:
            # what the example aims at; what the server must answer is worked out from the state alone
            aim = data.draw(st.sampled_from(["new update", "repeat", "key of another stop", "another round's replay",
                                             "another round's stop", "unknown stop", "invalid stop", "bad key",
                                             "junk body", "bad token"]), label="aim")
            crew, other = data.draw(st.sampled_from([crews, crews[::-1]]), label="crews")
            kind, token = draw_token(data, "r", valid=False) if aim == "bad token" else ("valid", crew["token"])

            def pick(items: list):  # draws the same whatever the state, so that the examples stay the same
                index = data.draw(st.integers(0, 10**6), label="index")
                return items[index % len(items)] if items else None

            def recorded_on(round_: dict) -> tuple[str, int]:
                """A key recorded on a stop of that round: one of the recorded ones, else a new arrival."""
                pair, stop = pick([(k, s) for k, s in sorted(recorded.items()) if s in round_["stops"]]), \
                    pick(sorted(round_["stops"]))
                if pair is None:
                    pair = (f"fuzz-fresh-key-{next(_fresh_keys)}", stop)
                    case = post_event("valid", round_["token"], str(stop),
                                      {"kind": "arrived", "idempotency_key": pair[0]})
                    assert case == "recorded", case
                    explored[case] += 1
                return pair

            key, stop_id = f"fuzz-fresh-key-{next(_fresh_keys)}", str(pick(sorted(crew["stops"])))
            if aim == "new update":
                key = data.draw(st.sampled_from([key, key, *shared_keys]), label="key")
            elif aim == "repeat":
                key, stop = recorded_on(crew)
                stop_id = str(stop)
            elif aim == "key of another stop":
                key, stop = recorded_on(data.draw(st.sampled_from(crews), label="key's round"))
                stop_id = str(pick([s for s in sorted(crew["stops"]) if s != stop]))
            elif aim == "another round's replay":
                key, stop = recorded_on(other)
                stop_id = str(stop)
            elif aim == "another round's stop":
                stop_id = str(pick(sorted(other["stops"])))
            elif aim == "unknown stop":
                stop_id = str(data.draw(st.integers(max(all_stops) + 1000, 2_147_483_647), label="stop"))
            elif aim == "invalid stop":
                stop_id = data.draw(st.sampled_from(["0", "-1", "2147483648", "1.5", "abc", "1e3", "07x"]),
                                    label="stop")
            elif aim == "bad key":
                key = data.draw(st.sampled_from(["has spaces in it", "semi;colon;key", "slash/in/key", "dots.in.key",
                                                 "quéstion?mark"]), label="key")
            if aim == "junk body":
                body = data.draw(st.one_of(
                    st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3),
                    st.dictionaries(st.sampled_from(["kind", "idempotency_key", "collected_m3", "extra"]),
                                    st.one_of(st.none(), st.integers(-5, 500), st.text(max_size=12)), max_size=4)),
                    label="junk body")
            else:
                body = data.draw(st.fixed_dictionaries(
                    {"kind": st.sampled_from(["arrived", "arrived", "collected", "missed"]),
                     "idempotency_key": st.just(key)},
                    optional={"collected_m3": st.floats(0, 100), "remaining_m3": st.floats(0, 3),
                              "reason": st.sampled_from(["absent", "access", "refused", "full", "other", "bored"]),
                              "note": st.text(max_size=30)}), label="event")
            explored[post_event(kind, token, stop_id, body, lang)] += 1

    try:
        check()
    finally:
        client.close()
        SENT["link pages"] = sent
    print(f"link pages: {sent} requests; the tour, then cases Hypothesis reached: {dict(explored)}")
    assert reports_from_link(revoked["id"]) == reports_before[revoked["id"]]  # a revoked link reported nothing
    assert reports_from_link(relay["id"]) > reports_before[relay["id"]]  # the valid one did, onto its own
    if LINK_EXAMPLES >= DEFAULT_LINK_EXAMPLES:  # the examples are varied, not all one easy case
        assert len(explored) >= 8, explored


def test_the_module_sends_at_least_a_thousand_requests():
    expected = {*CALLERS, *LINKS, "link pages"}
    if not DEFAULTS or set(SENT) != expected:
        pytest.skip(f"counted only when the whole module runs with default settings; ran: {sorted(SENT)}"
                    f"{'' if DEFAULTS else ' (settings changed by the environment)'}")
    print(f"requests sent: {SENT}, {sum(SENT.values())} in all")
    assert sum(SENT.values()) >= 1000, SENT
