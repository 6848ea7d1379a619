"""Autocomplete speed of the offline address index on a generated index of Paris' size.

    .venv/bin/python scripts/bench_geocode.py --addresses 150000 --json

Generates ``--addresses`` BAN records (street names from French street types and name words, 20 postcodes,
numbers with bis/ter, positions in Paris), writes them as an index file and times reading it and building the
index (``build_s``: what the API does once, at start), then times the queries a person makes while typing real entries of it: every prefix from the 4th character, some with abbreviations ("r", "bd",
"st"), no accents, or one typo. Prints {"addresses", "build_s", "p50_ms", "p99_ms", "peak_mb"} (peak resident
memory of the process). Deterministic (seeded).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.addresses.ban_csv import AddressRecord, read_addresses, write_addresses
from dispatch.addresses.index import AddressIndex

TYPES = ["Rue", "Rue", "Rue", "Avenue", "Boulevard", "Place", "Impasse", "Passage", "Quai", "Villa", "Square",
         "Rue du Faubourg", "Allée", "Cité"]
ARTICLES = ["de", "du", "des", "de la", "de l'", ""]
FIRST = ["Saint", "Sainte", "Général", "Maréchal", "Docteur", "Président", "Professeur", "Notre-Dame", "Abbé",
         "Capitaine", "Colonel", "Commandant", "Pierre", "Jean", "Louis", "Marie", "Henri", "Victor", "Émile",
         "Édouard", "Jacques", "François", "André", "Georges", "Paul", "René"]
NAMES = ["Belleville", "Ménilmontant", "Pyrénées", "Archereau", "Flandre", "Crimée", "Lafayette", "Rivoli",
         "Turbigo", "Orillon", "Villette", "Mouzaïa", "Jaurès", "Clichy", "Montmartre", "Vaugirard", "Grenelle",
         "Bercy", "Charonne", "Picpus", "Tolbiac", "Alésia", "Convention", "Lecourbe", "Didot", "Raspail",
         "Sèvres", "Bac", "Université", "Lille", "Verneuil", "Seine", "Buci", "Odéon", "Vaugelas", "Ordener",
         "Championnet", "Damrémont", "Caulaincourt", "Lepic", "Abbesses", "Martyrs", "Trudaine", "Rochechouart",
         "Poissonnière", "Hauteville", "Paradis", "Petites-Écuries", "Château-d'Eau", "Lancry", "Marseille",
         "Oberkampf", "Parmentier", "Voltaire", "Roquette", "Popincourt", "Amelot", "Temple", "Bretagne",
         "Turenne", "Francs-Bourgeois", "Rosiers", "Archives", "Verrerie", "Rambuteau", "Beaubourg", "Quincampoix",
         "Montorgueil", "Réaumur", "Sentier", "Cléry", "Aboukir", "Richelieu", "Vivienne", "Colbert", "Louvois"]


def generate(n: int, rng: random.Random) -> list[AddressRecord]:
    records: list[AddressRecord] = []
    street_no = 0
    seen: set[tuple[str, str]] = set()
    while len(records) < n:
        street_no += 1
        name = " ".join(p for p in (rng.choice(TYPES), rng.choice(ARTICLES),
                                    rng.choice(FIRST) if rng.random() < 0.4 else "", rng.choice(NAMES)) if p)
        name = name.replace("l' ", "l'")
        district = rng.randint(1, 20)
        postcode = f"750{district:02d}"
        if (name, postcode) in seen:  # one street per name and postcode, as in the BAN
            continue
        seen.add((name, postcode))
        lat0, lon0 = rng.uniform(48.82, 48.90), rng.uniform(2.26, 2.41)
        for k in range(1, rng.randint(5, 60)):
            rep = "bis" if rng.random() < 0.05 else ""
            records.append(AddressRecord(
                id=f"751{district:02d}_{street_no:05d}_{k:05d}{'_bis' if rep else ''}", numero=str(k), rep=rep,
                nom_voie=name, code_postal=postcode, code_insee=f"751{district:02d}",
                nom_commune=f"Paris {district}e Arrondissement", lat=lat0 + k * 1e-5, lon=lon0 + k * 1e-5))
            if len(records) >= n:
                break
    return records


def typed_variants(r: AddressRecord, rng: random.Random) -> str:
    text = f"{r.numero} {r.nom_voie} {r.code_postal if rng.random() < 0.3 else ''}".strip()
    kind = rng.random()
    if kind < 0.3:  # abbreviations, no accents
        text = (text.replace("Rue du Faubourg", "r du fg").replace("Boulevard", "bd").replace("Avenue", "av")
                .replace("Rue", "r").replace("Saint", "st").replace("Place", "pl"))
        text = text.translate(str.maketrans("éèêëàâîïôûùç", "eeeeaaiiouuc")).lower()
    elif kind < 0.5:  # one typo in the longest word
        words = text.split()
        i = max(range(len(words)), key=lambda j: len(words[j]))
        w = words[i]
        if len(w) > 4:
            p = rng.randrange(1, len(w) - 1)
            words[i] = w[:p] + w[p + 1:]
        text = " ".join(words)
    return text


def run(n: int, queries: int, seed: int) -> dict:
    rng = random.Random(seed)
    records = generate(n, rng)
    with tempfile.TemporaryDirectory() as folder:  # as the API does: read the index file, build in memory
        path = Path(folder) / "addresses.csv.gz"
        write_addresses(records, path)
        start = time.perf_counter()
        index = AddressIndex(read_addresses(path))
        build_s = time.perf_counter() - start
    timings = []
    for r in rng.sample(records, queries):
        text = typed_variants(r, rng)
        for end in range(4, len(text) + 1, 2):
            t0 = time.perf_counter()
            index.search(text[:end], limit=5)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return {"addresses": len(index), "build_s": round(build_s, 2),
            "p50_ms": round(statistics.median(timings), 2), "p99_ms": round(timings[int(len(timings) * 0.99)], 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=300, help="addresses typed (each gives several prefixes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.addresses, args.queries, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        print(", ".join(f"{k} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
