"""Build dispatch/data/addresses/adresses-demo.csv: a BAN-format extract of the demo's own addresses.

Every address and position comes from the project's real data (see dispatch/data/addresses/PROVENANCE.md):
the demo network (dispatch/data/demo/paris_demo.json: depot, relay points, home pickups), then every street
address of the Paris Wi-Fi sites and of the Trilib' stations (dispatch/data/places/), formatted as the demo
builder formats them. Deterministic: re-running writes a byte-identical file.

    .venv/bin/python scripts/build_address_extract.py [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import build_demo_data as demo  # noqa: E402

from dispatch.addresses.ban_csv import BAN_COLUMNS  # noqa: E402

DEFAULT_OUT = REPO / "dispatch" / "data" / "addresses" / "adresses-demo.csv"
ADDRESS = re.compile(r"^(\d+)(?:-\d+)?(?:\s+(bis|ter|quater))?\s+(.+?)(?:,\s*(\d{5})\s+Paris)?$")


def commune(postcode: str) -> tuple[str, str]:
    """75020 -> ("75120", "Paris 20e Arrondissement"), as in the BAN's Paris file."""
    n = int(postcode[-2:]) if postcode != "75116" else 16
    return f"751{n:02d}", f"Paris {n}{'er' if n == 1 else 'e'} Arrondissement"


def split(address: str, postcode: str) -> tuple[str, str, str, str] | None:
    """"19 bis Rue de l'Orillon, 75011 Paris" -> ("19", "bis", "Rue de l'Orillon", "75011")."""
    m = ADDRESS.match(" ".join(address.split()))
    if not m:
        return None
    street = m.group(3)
    street = street[:1].upper() + street[1:]
    return str(int(m.group(1))), m.group(2) or "", street, m.group(4) or postcode


def collect() -> list[dict]:
    """Candidate rows from the sources, best first (the demo file, then Wi-Fi sites, then Trilib')."""
    rows: list[dict] = []
    data = json.loads(demo.DEFAULT_OUT.read_text(encoding="utf-8"))
    depot = data["depot"]
    rows.append({"address": depot["address"], "postcode": "75019", "lat": depot["lat"], "lon": depot["lon"],
                 "source": "paris_demo.json:depot"})
    for kind in ("relay_points", "pickups"):
        for item in data[kind]:
            rows.append({"address": item["address"], "postcode": item["postcode"], "lat": item["lat"],
                         "lon": item["lon"], "source": f"paris_demo.json:{item.get('code') or item.get('ref')}"})
    for idpw, site in sorted(demo.load_wifi().items()):
        cp = str(site["cp"] or "")
        if cp.startswith("75") and site["raw_address"][:1].isdigit() and demo.in_paris(site["lat"], site["lon"]):
            rows.append({"address": demo.format_wifi_street(site["raw_address"]), "postcode": cp,
                         "lat": site["lat"], "lon": site["lon"], "source": f"paris_wifi_sites:{idpw}"})
    stations, _ = demo.load_trilib()
    for street, st in sorted(stations.items()):
        rows.append({"address": demo.format_trilib_street(street), "postcode": st["cp"], "lat": st["lat"],
                     "lon": st["lon"], "source": f"trilib_stations_2018:{st['serial']}"})
    return rows


def build() -> list[list[str]]:
    from pyproj import Transformer

    to_lambert = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    seen: dict[tuple, dict] = {}
    for row in collect():
        parts = split(row["address"], row["postcode"])
        if parts is None:
            continue
        numero, rep, street, postcode = parts
        seen.setdefault((postcode, street, int(numero), rep), row | {"parts": parts})
    streets = sorted({(k[0], k[1]) for k in seen})
    street_no = {s: i + 1 for i, s in enumerate(streets)}
    out = []
    for key in sorted(seen):
        row = seen[key]
        numero, rep, street, postcode = row["parts"]
        insee, name = commune(postcode)
        x, y = to_lambert.transform(row["lon"], row["lat"])
        ident = f"{insee}_d{street_no[(postcode, street)]:03d}_{int(numero):05d}" + (f"_{rep}" if rep else "")
        values = {"id": ident, "numero": numero, "rep": rep, "nom_voie": street, "code_postal": postcode,
                  "code_insee": insee, "nom_commune": name, "x": f"{x:.2f}", "y": f"{y:.2f}",
                  "lon": f"{row['lon']:.6f}", "lat": f"{row['lat']:.6f}", "type_position": "entrée",
                  "libelle_acheminement": "PARIS", "source_position": row["source"],
                  "source_nom_voie": row["source"].split(":")[0]}
        out.append([values.get(c, "") for c in BAN_COLUMNS])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\n")
        writer.writerow(BAN_COLUMNS)
        writer.writerows(rows)
    print(f"wrote {len(rows)} addresses to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
