"""Invariants of the Paris demo network (dispatch/data/demo/paris_demo.json)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "dispatch" / "data" / "demo" / "paris_demo.json"
SCRIPT = REPO / "scripts" / "build_demo_data.py"

KINDS = {"town_hall", "library", "shop", "company", "association", "home"}
CATEGORIES = {"furniture", "textile", "books", "dishes", "toys", "small_appliances", "decor"}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LANDLINE = re.compile(r"^01( \d\d){4}$")
MOBILE = re.compile(r"^0[67]( \d\d){4}$")

PARIS_BOX = (48.816, 48.902, 2.252, 2.415)
BOIS = [(48.845, 48.880, 2.240, 2.275), (48.820, 48.850, 2.415, 2.475)]  # Boulogne, Vincennes


@pytest.fixture(scope="module")
def demo() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


def _in_paris(lat: float, lon: float) -> bool:
    def inside(b):
        return b[0] <= lat <= b[1] and b[2] <= lon <= b[3]
    return inside(PARIS_BOX) and not any(inside(b) for b in BOIS)


def _check_address(addr: str, postcode: str) -> None:
    assert addr.endswith(f", {postcode} Paris"), addr
    assert addr.split(",")[0].strip(), addr


def test_depot(demo):
    d = demo["depot"]
    assert d["name"] == "Emmaüs Défi — Dépôt Archereau"
    assert d["address"] == "6 rue Archereau, 75019 Paris"
    assert (d["lat"], d["lon"]) == (48.8905, 2.3795)


def test_source_block(demo):
    files = demo["source"]["files"]
    assert files
    for f in files:
        assert (REPO / f["path"]).is_file(), f["path"]
        assert re.fullmatch(r"[0-9a-f]{64}", f["sha256"])


def test_relay_points_basic(demo):
    rps = demo["relay_points"]
    assert len(rps) == 60
    codes = [r["code"] for r in rps]
    assert len(set(codes)) == len(codes)
    assert len({(r["lat"], r["lon"]) for r in rps}) == len(rps), "two relays at the same spot"
    assert {r["arrondissement"] for r in rps} == set(range(1, 21))
    for r in rps:
        assert re.fullmatch(r"AMI-0(0[1-9]|1\d|20)-\d\d", r["code"]), r["code"]
        assert int(r["code"][4:7]) == r["arrondissement"]
        assert r["kind"] in KINDS
        assert r["name"] and r["name"] != r["name"].upper()
        assert r["postcode"] == f"750{r['arrondissement']:02d}"
        _check_address(r["address"], r["postcode"])
        assert _in_paris(r["lat"], r["lon"]), r["code"]
        assert LANDLINE.match(r["contact_phone"]), r["contact_phone"]
        assert r["contact_name"] and r["access_notes"]


def test_kinds_mostly_real_institutions(demo):
    kinds = Counter(r["kind"] for r in demo["relay_points"])
    assert kinds["town_hall"] + kinds["library"] >= 30
    assert kinds["shop"] >= 1 and kinds["home"] >= 1


def test_capacity_stock_rates(demo):
    rps = demo["relay_points"]
    for r in rps:
        cap, stock = r["capacity_m3"], r["stock_m3"]
        assert 0.6 <= cap <= 3.0, r["code"]
        if r["kind"] in ("home", "shop"):
            assert cap <= 1.0, r["code"]
        assert 0.0 <= stock <= cap, r["code"]
        assert r["full"] == (stock == cap), r["code"]
        assert 0.0 < r["daily_rate_m3"] <= 0.5, r["code"]
    n_full = sum(r["full"] for r in rps)
    assert 5 <= n_full <= 10


def _minutes(hhmm: str) -> int:
    assert HHMM.match(hhmm), hhmm
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def test_opening_hours(demo):
    for r in demo["relay_points"]:
        windows = r["opening_hours"]
        assert windows, r["code"]
        per_day: dict[int, list[tuple[int, int]]] = {}
        for w in windows:
            assert set(w) == {"days", "open", "close"}
            assert w["days"] and all(d in range(7) for d in w["days"])
            assert len(set(w["days"])) == len(w["days"])
            o, c = _minutes(w["open"]), _minutes(w["close"])
            assert o < c, (r["code"], w)
            for d in w["days"]:
                per_day.setdefault(d, []).append((o, c))
        for d, spans in per_day.items():
            spans.sort()
            for (_, c1), (o2, _) in zip(spans, spans[1:]):
                assert c1 <= o2, (r["code"], d, "overlapping windows")
        if r["kind"] == "shop":
            assert all(len(s) == 2 for s in per_day.values()), (r["code"], "lunch break")
            assert 6 not in per_day
        if r["kind"] == "town_hall":
            assert set(per_day) == {0, 1, 2, 3, 4}
        if r["kind"] == "library":
            assert 0 not in per_day, "Paris libraries are closed on Monday"


def test_pickups(demo):
    pks = demo["pickups"]
    assert 10 <= len(pks) <= 20
    refs = [p["ref"] for p in pks]
    assert len(set(refs)) == len(refs)
    relay_spots = {(r["lat"], r["lon"]) for r in demo["relay_points"]}
    phones = [p["phone"] for p in pks] + [r["contact_phone"] for r in demo["relay_points"]]
    assert len(set(phones)) == len(phones)
    assert demo["slots"]["morning"] == {"start": "08:00", "end": "12:00"}
    assert demo["slots"]["afternoon"] == {"start": "13:00", "end": "16:00"}
    for p in pks:
        assert 2.0 <= p["volume_m3"] <= 6.0
        assert round(p["volume_m3"], 1) == p["volume_m3"]
        assert p["slot"] in ("morning", "afternoon")
        assert p["categories"] and set(p["categories"]) <= CATEGORIES
        assert MOBILE.match(p["phone"]), p["phone"]
        assert isinstance(p["floor"], int) and p["floor"] >= 0
        assert isinstance(p["has_lift"], bool)
        assert p["access_code"] is None or isinstance(p["access_code"], str)
        assert p["donor_name"] and p["notes"]
        assert re.fullmatch(r"750(0[1-9]|1\d|20)", p["postcode"])
        _check_address(p["address"], p["postcode"])
        assert _in_paris(p["lat"], p["lon"])
        assert (p["lat"], p["lon"]) not in relay_spots
    assert {p["slot"] for p in pks} == {"morning", "afternoon"}


def test_coordinates_come_from_source_data(demo):
    """Every coordinate is the coordinate of a record of the copied source files."""
    places = REPO / "dispatch" / "data" / "places"
    wifi = json.loads((places / "paris_wifi_sites.geojson").read_text(encoding="utf-8"))
    known = {(round(f["geometry"]["coordinates"][1], 6), round(f["geometry"]["coordinates"][0], 6))
             for f in wifi["features"]}
    for line in (places / "trilib_stations_2018.csv").read_text(encoding="utf-8").splitlines()[1:]:
        lat, lon = (float(x) for x in line.rsplit(";", 1)[1].split(","))
        known.add((round(lat, 6), round(lon, 6)))
    for item in demo["relay_points"] + demo["pickups"]:
        assert (item["lat"], item["lon"]) in known, item.get("code") or item.get("ref")


def test_build_is_reproducible(tmp_path):
    out = tmp_path / "paris_demo.json"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True,
                   capture_output=True, cwd=tmp_path)
    assert out.read_bytes() == DEMO.read_bytes()
