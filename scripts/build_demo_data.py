#!/usr/bin/env python3
"""Build the deterministic Paris demo network (``dispatch/data/demo/paris_demo.json``).

Inputs (copied unmodified into ``dispatch/data/places/``, see PROVENANCE.md there):

* ``paris_wifi_sites.geojson``   Ville de Paris "Paris Wi-Fi" sites (mairies, libraries,
                                 parks, municipal buildings) -> real names, addresses, coordinates
* ``trilib_stations_2018.csv``   Trilib' recycling stations 2018 -> real street addresses and
                                 coordinates (2e, 13e, 18e, 19e) and the fill-rate distribution
* ``osm_libraries_france.geojson`` OSM libraries -> cross-reference (OSM id) for the libraries

Everything that is not a place (host names of shops/companies/homes, contacts, phones,
stocks, rates, donors, pickup details) is fictional and generated from a fixed seed.

Only the standard library is used. The output is byte-identical between runs:
no timestamps, fixed iteration order, a private ``random.Random`` stream of which only
``random()`` is used (its algorithm is stable across Python versions), fixed float rounding.

Usage::

    python scripts/build_demo_data.py                 # writes dispatch/data/demo/paris_demo.json
    python scripts/build_demo_data.py --out /tmp/x.json
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLACES = REPO / "dispatch" / "data" / "places"
DEFAULT_OUT = REPO / "dispatch" / "data" / "demo" / "paris_demo.json"

WIFI_FILE = "paris_wifi_sites.geojson"
TRILIB_FILE = "trilib_stations_2018.csv"
OSM_FILE = "osm_libraries_france.geojson"

SEED = "emmaus-defi-paris-demo-v1"
SCHEMA_VERSION = 1

DEPOT = {
    "name": "Emmaüs Défi — Dépôt Archereau",
    "address": "6 rue Archereau, 75019 Paris",
    "lat": 48.8905,
    "lon": 2.3795,
}

# Paris intra-muros sanity box and the two woods (excluded).
PARIS_BOX = (48.816, 48.902, 2.252, 2.415)  # lat_min, lat_max, lon_min, lon_max
BOIS_BOULOGNE = (48.845, 48.880, 2.240, 2.275)
BOIS_VINCENNES = (48.820, 48.850, 2.415, 2.475)

# --------------------------------------------------------------------------------------
# Curated relay points. (dataset, source id, kind, display name, host is fictional?)
#   dataset "wifi":   source id = idpw of paris_wifi_sites.geojson
#   dataset "trilib": source id = street as in localisationfo_street of trilib_stations_2018.csv
# Names of mairies/libraries/associations are the real institutions (current names,
# accents restored; renamed libraries use the name found in the OSM file). Shops,
# companies and homes are FICTIONAL hosts placed at the address of a real site.
# Order inside an arrondissement gives the code suffix (AMI-019-01, -02, ...).
# --------------------------------------------------------------------------------------
RELAYS = [
    # 1er
    ("wifi", "PW0143", "library", "Médiathèque de la Canopée La Fontaine", False),
    ("wifi", "PW0110", "shop", "Fleuriste Les Jardins de Berger", True),
    # 2e
    ("wifi", "PW0134", "library", "Bibliothèque Charlotte Delbo", False),
    ("wifi", "PW0036", "association", "Maison de la vie associative et citoyenne du 2e", False),
    # 3e
    ("wifi", "PW0019", "town_hall", "Mairie de Paris Centre", False),
    ("wifi", "PW0044", "library", "Bibliothèque Marguerite Audoux", False),
    # 4e
    ("wifi", "PW0132-2", "library", "Bibliothèque Arthur Rimbaud", False),
    ("wifi", "PW0121", "shop", "Librairie La Page du Marais", True),
    # 5e
    ("wifi", "PW0021", "town_hall", "Mairie du 5e", False),
    ("wifi", "PW0126", "library", "Bibliothèque Mohammed Arkoun", False),
    ("wifi", "PW0154", "shop", "Librairie Les Écoles buissonnières", True),
    # 6e
    ("wifi", "PW0128", "town_hall", "Mairie du 6e", False),
    ("wifi", "PW0118", "library", "Bibliothèque André Malraux", False),
    # 7e
    ("wifi", "PW0022", "town_hall", "Mairie du 7e", False),
    ("wifi", "PW0059", "library", "Bibliothèque Amélie", False),
    # 8e
    ("wifi", "PW0024", "town_hall", "Mairie du 8e", False),
    ("wifi", "PW0047", "association", "Maison de la vie associative et citoyenne du 8e", False),
    # 9e
    ("wifi", "PW0131", "town_hall", "Mairie du 9e", False),
    ("wifi", "PW0142", "library", "Bibliothèque Valeyre", False),
    # 10e
    ("wifi", "PW0010", "town_hall", "Mairie du 10e", False),
    ("wifi", "PW0147", "library", "Médiathèque Françoise Sagan", False),
    ("wifi", "PW0164", "shop", "Fleuriste L'Atelier Villemin", True),
    # 11e
    ("wifi", "PW0011", "town_hall", "Mairie du 11e", False),
    ("wifi", "PW0049", "library", "Médiathèque Violette Leduc", False),
    ("wifi", "PW0160", "shop", "Fleuriste Pivoine et Capucine", True),
    # 12e
    ("wifi", "PW0012", "town_hall", "Mairie du 12e", False),
    ("wifi", "PW0141", "library", "Bibliothèque Saint-Éloi", False),
    ("wifi", "PW0999", "company", "Bercy Numérique SAS", True),
    # 13e
    ("wifi", "PW0013", "town_hall", "Mairie du 13e", False),
    ("wifi", "PW0125", "library", "Bibliothèque Glacière – Marina Tsvetaïeva", False),
    ("trilib", "20, Avenue de Choisy", "shop", "Librairie Le Chat qui lit", True),
    # 14e
    ("wifi", "PW0035", "town_hall", "Mairie du 14e", False),
    ("wifi", "PW0053", "library", "Bibliothèque Aimé Césaire", False),
    ("wifi", "PW0195", "company", "Atelier Castagnou Architectes", True),
    # 15e
    ("wifi", "PW0014", "town_hall", "Mairie du 15e", False),
    ("wifi", "PW0117", "library", "Bibliothèque Andrée Chedid", False),
    ("wifi", "PW0162", "company", "Moisant Conseil", True),
    # 16e
    ("wifi", "PW0015", "town_hall", "Mairie du 16e", False),
    ("wifi", "PW0113", "library", "Médiathèque Germaine Tillion", False),
    # 17e
    ("wifi", "PW0016", "town_hall", "Mairie du 17e", False),
    ("wifi", "PW0104", "library", "Médiathèque Edmond Rostand", False),
    ("wifi", "PW0042", "association", "Maison de la vie associative et citoyenne du 17e", False),
    # 18e
    ("wifi", "PW0023", "town_hall", "Mairie du 18e", False),
    ("wifi", "PW0006", "library", "Bibliothèque Goutte d'Or", False),
    ("wifi", "PW0009", "library", "Bibliothèque Václav Havel", False),
    ("trilib", "6, Place Hébert", "shop", "Fleuriste Au Bouquet d'Hébert", True),
    ("trilib", "29, Rue des Roses", "home", "Relais chez Mme Lemoine (particulier)", True),
    # 19e (the depot's arrondissement: densest)
    ("wifi", "PW0017", "town_hall", "Mairie du 19e", False),
    ("wifi", "PW0002", "library", "Bibliothèque Claude Lévi-Strauss", False),
    ("wifi", "PW0001", "library", "Bibliothèque Benjamin Rabier", False),
    ("wifi", "PW0139", "library", "Bibliothèque Hergé", False),
    ("wifi", "PW0033", "association", "Maison de la vie associative et citoyenne du 19e", False),
    ("trilib", "39, Rue Mouzaïa", "shop", "Fleuriste La Mouzaïa fleurie", True),
    ("trilib", "75, Rue de l’Ourcq", "shop", "Librairie Le Canal des mots", True),
    ("trilib", "63, Quai de la Seine", "company", "Studio Bassin de la Villette", True),
    ("trilib", "5, Rue de la Prévoyance", "home", "Relais chez M. Benhamou (particulier)", True),
    # 20e
    ("wifi", "PW0018", "town_hall", "Mairie du 20e", False),
    ("wifi", "PW0061", "library", "Bibliothèque Oscar Wilde", False),
    ("wifi", "PW0048", "library", "Bibliothèque Naguib Mahfouz", False),
    ("wifi", "PW0187", "association", "Maison de la vie associative et citoyenne du 20e", False),
]

# Home-pickup requests: real addresses of sites NOT used as relay points.
PICKUP_SITES = [
    ("trilib", "92, Boulevard de Masséna"),
    ("trilib", "62, Rue Nationale"),
    ("trilib", "9, Rue Jean-François Lépine"),
    ("trilib", "25, Rue Doudeauville"),
    ("trilib", "40, Rue de Torcy"),
    ("trilib", "12, Avenue Ambroise Rendu"),
    ("trilib", "28, Rue Miguel Hidalgo"),
    ("trilib", "95, Rue Petit"),
    ("trilib", "46, Rue Riquet"),
    ("trilib", "7, Rue Monsigny"),
    ("wifi", "PW0185"),  # 72 rue du Moulin Vert 75014
    ("wifi", "PW0219"),  # 67 rue de Turbigo 75003
    ("wifi", "PW0253"),  # 6 rue Masseran 75007
    ("wifi", "PW0038"),  # 35 rue Victor Massé 75009
    ("wifi", "PW0056"),  # 19 bis rue de l'Orillon 75011
    ("wifi", "PW0072"),  # 296 rue des Pyrénées 75020
]

# --------------------------------------------------------------------------------------
# Address formatting of the UPPERCASE Paris Wi-Fi `arc_adresse`
# --------------------------------------------------------------------------------------
LOWER_WORDS = {"DE", "DU", "DES", "LA", "LE", "LES", "ET", "AUX", "AU", "A", "SUR", "EN"}
ACCENTS = {
    "ALESIA": "Alésia", "ANDRE": "André", "ARENES": "Arènes", "CELESTINS": "Célestins",
    "CHATEAU": "Château", "ECOLES": "Écoles", "EUGENE": "Eugène", "FETES": "Fêtes",
    "GENERAL": "Général", "HOTEL": "Hôtel", "LEON": "Léon", "MASSE": "Massé",
    "PANTHEON": "Panthéon", "PRETRES": "Prêtres", "PYRENEES": "Pyrénées", "RENE": "René",
    "SEVIGNE": "Sévigné", "FREDERIC": "Frédéric", "PECLET": "Péclet", "REPUBLIQUE": "République",
    "HENRI-MARTIN": "Henri-Martin", "PORT-ROYAL": "Port-Royal", "EMERIAU": "Émeriau",
    "BERANGER": "Béranger", "SERURIER": "Sérurier", "RECOLLETS": "Récollets",
    "MASSENA": "Masséna", "NEY": "Ney", "JOFFRIN": "Joffrin",
    "GRENETA": "Greneta", "CANOPEE": "Canopée", "PERES": "Pères", "GLACIERE": "Glacière",
    "DEPARTEMENT": "Département", "EDOUARD": "Édouard", "TELEGRAPHE": "Télégraphe",
}
# Streets whose official name has an article the open-data label omits.
# Applied to the formatted street (Wi-Fi and Trilib') to match the official street names.
STREET_FIXES = {
    "Rue Turbigo": "Rue de Turbigo",
    "Rue de Péclet": "Rue Péclet",
    "Faubourg Saint Martin": "Faubourg Saint-Martin",
    "Rue Vieille du Temple": "Rue Vieille-du-Temple",
    "Rue Mouzaïa": "Rue de Mouzaïa",
}
NUM_SUFFIX = {"B": "bis", "BIS": "bis", "T": "ter", "TER": "ter"}


def _cap_word(word: str, first: bool) -> str:
    if word in ACCENTS:
        return ACCENTS[word]
    if not first and word in LOWER_WORDS:
        return word.lower()
    return "-".join(p[:1] + p[1:].lower() for p in word.split("-"))


def format_wifi_street(raw: str) -> str:
    """'5 PLACE ARMAND CARREL' -> '5 Place Armand Carrel'; '19B RUE DE L ORILLON' ->
    '19 bis Rue de l'Orillon'; '16/20 RUE ...' -> '16-20 Rue ...'."""
    s = " ".join(raw.replace("’", "'").split())
    s = s.replace("/", "-")
    # "19B RUE" / "15 B RUE" / "22T RUE" -> number + bis/ter
    m = re.match(r"^(\d+(?:-\d+)?)\s*(BIS|TER|B|T)\s+(.*)$", s)
    if m:
        number, suffix, rest = m.group(1), NUM_SUFFIX[m.group(2)], m.group(3)
    else:
        m = re.match(r"^(\d+(?:-\d+)?)\s+(.*)$", s)
        number, suffix, rest = (m.group(1), "", m.group(2)) if m else ("", "", s)
    # elided articles written with a space or an apostrophe: "DE L HOTEL", "D ALESIA"
    rest = re.sub(r"\b([LD])[ ']([A-Z])", r"\1'\2", rest)
    words = []
    for i, w in enumerate(rest.split(" ")):
        if re.match(r"^[LD]'", w):
            art, tail = w[0].lower(), w[2:]
            words.append(f"{art}'{_cap_word(tail, True)}")
        else:
            words.append(_cap_word(w, i == 0))
    street = " ".join(words)
    for wrong, right in STREET_FIXES.items():
        street = street.replace(wrong, right)
    lead = " ".join(p for p in (number, suffix) if p)
    return f"{lead} {street}".strip()


def format_trilib_street(raw: str) -> str:
    """'75, Rue de l’Ourcq' -> '75 Rue de l'Ourcq' (Trilib streets are already mixed case)."""
    s = raw.replace("’", "'").strip()
    s = re.sub(r"^(\d+),\s*", r"\1 ", s)
    for wrong, right in STREET_FIXES.items():
        s = s.replace(wrong, right)
    return s


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_wifi() -> dict[str, dict]:
    data = json.loads((PLACES / WIFI_FILE).read_text(encoding="utf-8"))
    sites: dict[str, dict] = {}
    for feat in data["features"]:
        p = feat["properties"]
        if not p.get("idpw"):
            continue
        lon, lat = feat["geometry"]["coordinates"]
        if p["idpw"] in sites:
            raise SystemExit(f"duplicate idpw {p['idpw']}")
        sites[p["idpw"]] = {
            "name": p["nom_site"], "raw_address": p["arc_adresse"], "cp": p["cp"],
            "lat": lat, "lon": lon, "state": p.get("etat2"),
        }
    return sites


def load_trilib() -> tuple[dict[str, dict], list[float]]:
    with open(PLACES / TRILIB_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    by_street: dict[str, dict] = {}
    # one place per street address: the container with the smallest serial number
    for row in sorted(rows, key=lambda r: r["serialNumber"]):
        street = row["localisationfo_street"]
        if street in by_street:
            continue
        lat_s, lon_s = (x.strip() for x in row["geo"].split(","))
        by_street[street] = {
            "serial": row["serialNumber"], "raw_address": street,
            "cp": row["localisationfo_postalcode"], "lat": float(lat_s), "lon": float(lon_s),
        }
    rates = sorted(float(r["avgFillingRatePerDay"]) for r in rows)
    return by_street, rates


def load_osm_libraries() -> list[dict]:
    data = json.loads((PLACES / OSM_FILE).read_text(encoding="utf-8"))
    out = []
    for feat in data["features"]:
        lon, lat = feat["geometry"]["coordinates"][:2]
        out.append({"id": feat["properties"].get("@id"), "name": feat["properties"].get("name"),
                    "lat": lat, "lon": lon})
    return out


def dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.pi / 180.0
    x = (lon2 - lon1) * k * math.cos((lat1 + lat2) * k / 2.0)
    y = (lat2 - lat1) * k
    return 6371000.0 * math.hypot(x, y)


def in_paris(lat: float, lon: float) -> bool:
    def inside(box):
        return box[0] <= lat <= box[1] and box[2] <= lon <= box[3]
    return inside(PARIS_BOX) and not inside(BOIS_BOULOGNE) and not inside(BOIS_VINCENNES)


# --------------------------------------------------------------------------------------
# Fictional attributes
# --------------------------------------------------------------------------------------
FIRST_NAMES = [
    "Camille", "Nadia", "Julien", "Sophie", "Karim", "Élodie", "Thomas", "Fatou", "Hugo",
    "Claire", "Mehdi", "Lucie", "Antoine", "Inès", "Bruno", "Aïcha", "Nicolas", "Léa",
    "Olivier", "Mariam", "Pierre", "Chloé", "Youssef", "Hélène", "Damien", "Sarah",
    "François", "Amina", "Mathieu", "Juliette", "Samir", "Agnès", "Rémi", "Manon",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Bonnet", "Dupont",
    "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
    "Gauthier", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel",
    "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis", "Lemaire", "Diallo",
    "Traoré", "Nguyen", "Benali", "Haddad", "Da Silva", "Kone", "Mendy", "Petit",
]
ACCESS_NOTES = {
    "town_hall": [
        "Accès par la cour, sonner à l'accueil",
        "Se présenter à l'accueil, le stock est au sous-sol (monte-charge)",
        "Entrée de service sur le côté, demander le gardien",
        "Stationnement livraison devant l'entrée principale",
    ],
    "library": [
        "Livraison par l'entrée du personnel, sonner à l'interphone",
        "Stock dans la réserve au rez-de-chaussée, voir la banque d'accueil",
        "Stationnement livraison devant la porte, ne pas bloquer la piste cyclable",
        "Accès par la cour, chariot disponible à l'accueil",
    ],
    "shop": [
        "Stationnement livraison devant la porte",
        "Stock dans l'arrière-boutique, passer par la boutique",
        "Aire de livraison à 30 m, prévoir un diable",
    ],
    "company": [
        "Accueil au rez-de-chaussée, badge à demander",
        "Quai de livraison dans la cour, sonner au portail",
        "Stationnement livraison devant l'immeuble",
    ],
    "association": [
        "Se présenter à l'accueil de la Maison des associations",
        "Local de stockage au rez-de-chaussée, accès par la cour",
    ],
    "home": [
        "Garage au rez-de-chaussée, appeler 10 minutes avant",
        "Cave accessible par la cour, appeler à l'arrivée",
    ],
}
CATEGORIES = ["furniture", "textile", "books", "dishes", "toys", "small_appliances", "decor"]
def ALWAYS(_pickup) -> bool:
    return True


# (note, condition on the pickup) -- a note is only used when it is consistent.
PICKUP_NOTES = [
    ("Armoire démontée, prévoir deux personnes", lambda p: "furniture" in p["categories"]),
    ("Canapé trois places, passe dans l'escalier", lambda p: "furniture" in p["categories"]),
    ("Buffet en chêne lourd, prévoir des sangles", lambda p: "furniture" in p["categories"]),
    ("Petit ascenseur : les grands meubles passent par l'escalier",
     lambda p: p["has_lift"] and "furniture" in p["categories"]),
    ("Déménagement, tout est au rez-de-chaussée", lambda p: p["floor"] == 0),
    ("Cartons déjà préparés dans l'entrée", ALWAYS),
    ("Succession : appartement à vider en partie", lambda p: p["volume_m3"] >= 4.0),
    ("Rue étroite, stationnement difficile", ALWAYS),
    ("Appeler 30 minutes avant l'arrivée", ALWAYS),
    ("Lit enfant et jouets en bon état", lambda p: "toys" in p["categories"]),
    ("Vaisselle emballée, fragile", lambda p: "dishes" in p["categories"]),
    ("Code portail donné par téléphone la veille", lambda p: p["access_code"] is None),
    ("Accès par la cour intérieure", ALWAYS),
]
NO_LIFT_NOTE = "Sans ascenseur : prévoir deux personnes et des sangles"
# Contacts of the private-home relays are the hosts named in RELAYS.
HOME_CONTACTS = {
    "Relais chez Mme Lemoine (particulier)": "Brigitte Lemoine",
    "Relais chez M. Benhamou (particulier)": "Rachid Benhamou",
}
CAPACITY_RANGE = {  # m3, min/max; step 0.1
    "town_hall": (1.5, 3.0), "library": (1.2, 3.0), "association": (1.0, 2.0),
    "company": (1.0, 2.0), "shop": (0.6, 1.0), "home": (0.6, 1.0),
}
# Amistock relays fill more slowly than a street recycling container: a Trilib' daily fill
# rate of p % of the container becomes p * RATE_SCALE % of the relay's capacity per day.
RATE_SCALE = 0.75
RATE_QUANTILES = (0.05, 0.95)  # sample the Trilib' distribution without its extreme tails
RATE_MIN, RATE_MAX = 0.05, 0.40
N_FULL = 7

MAIRIE_HOURS = [
    {"days": [0, 1, 2, 4], "open": "08:30", "close": "17:00"},
    {"days": [3], "open": "08:30", "close": "19:30"},
]
LIBRARY_HOURS_A = [{"days": [1, 2, 3, 4, 5], "open": "10:00", "close": "19:00"}]
LIBRARY_HOURS_B = [  # typical Paris library pattern: afternoons, Wednesday/Saturday all day
    {"days": [1, 3, 4], "open": "13:00", "close": "19:00"},
    {"days": [2, 5], "open": "10:00", "close": "18:00"},
]
SHOP_HOURS = [
    {"days": [1, 2, 3, 4, 5], "open": "09:30", "close": "13:00"},
    {"days": [1, 2, 3, 4, 5], "open": "14:30", "close": "19:30"},
]
COMPANY_HOURS = [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "18:00"}]
ASSOCIATION_HOURS = [
    {"days": [0, 1, 2, 3, 4], "open": "10:00", "close": "12:30"},
    {"days": [0, 1, 2, 3, 4], "open": "14:00", "close": "19:00"},
]
HOME_HOURS = [{"days": [0, 1, 2, 3, 4, 5], "open": "09:00", "close": "12:00"}]


class Rng:
    """Thin wrapper using only random.Random.random() (stable across Python versions)."""

    def __init__(self, seed: str):
        self._r = random.Random(int(hashlib.sha256(seed.encode()).hexdigest(), 16))

    def random(self) -> float:
        return self._r.random()

    def below(self, n: int) -> int:
        return min(int(self._r.random() * n), n - 1)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self._r.random()

    def shuffled(self, seq):
        out = list(seq)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


class PhoneBook:
    """Unique numbers in the ARCEP ranges reserved for fiction (01 99 00 xx xx, 06 39 98 xx xx)."""

    def __init__(self, rng: Rng):
        self.rng = rng
        self.used: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            n = self.rng.below(100 * 100)
            num = f"{prefix} {n // 100:02d} {n % 100:02d}"
            if num not in self.used:
                self.used.add(num)
                return num


class People:
    """Unique fictional full names."""

    def __init__(self, rng: Rng, reserved=()):
        self.rng = rng
        self.used: set[str] = set(reserved)

    def new(self) -> str:
        while True:
            name = f"{self.rng.pick(FIRST_NAMES)} {self.rng.pick(LAST_NAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name


def hours_for(kind: str, index: int) -> list[dict]:
    if kind == "town_hall":
        return MAIRIE_HOURS
    if kind == "library":
        return LIBRARY_HOURS_A if index % 3 == 0 else LIBRARY_HOURS_B
    return {"shop": SHOP_HOURS, "company": COMPANY_HOURS, "association": ASSOCIATION_HOURS,
            "home": HOME_HOURS}[kind]


def quantile(sorted_vals: list[float], q: float) -> float:
    pos = q * (len(sorted_vals) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def r2(x: float) -> float:
    return float(f"{x:.2f}")


def r6(x: float) -> float:
    return float(f"{x:.6f}")


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------

def resolve(dataset: str, key: str, wifi: dict, trilib: dict) -> dict:
    if dataset == "wifi":
        s = wifi[key]
        street = format_wifi_street(s["raw_address"])
        src = {"dataset": "paris_wifi_sites", "id": key, "site": s["name"],
               "raw_address": s["raw_address"]}
    elif dataset == "trilib":
        s = trilib[key]
        street = format_trilib_street(s["raw_address"])
        src = {"dataset": "trilib_stations_2018", "id": s["serial"], "raw_address": s["raw_address"]}
    else:
        raise ValueError(dataset)
    cp = s["cp"]
    if not re.fullmatch(r"750(0[1-9]|1\d|20)", cp):
        raise SystemExit(f"{key}: postcode {cp} is not in Paris")
    if not in_paris(s["lat"], s["lon"]):
        raise SystemExit(f"{key}: coordinates outside Paris intra-muros")
    return {"street": street, "postcode": cp, "arrondissement": int(cp[3:]),
            "lat": r6(s["lat"]), "lon": r6(s["lon"]), "source": src}


def build() -> dict:
    wifi = load_wifi()
    trilib, trilib_rates = load_trilib()
    osm = load_osm_libraries()
    rng = Rng(SEED)
    phones = PhoneBook(rng)
    people = People(rng, reserved=HOME_CONTACTS.values())

    used_keys = {(d, k) for d, k, *_ in RELAYS}
    if len(used_keys) != len(RELAYS):
        raise SystemExit("duplicate relay source")
    for d, k in PICKUP_SITES:
        if (d, k) in used_keys:
            raise SystemExit(f"pickup site {k} is also a relay point")

    relays = []
    per_arr: dict[int, int] = {}
    lib_index = 0
    for dataset, key, kind, name, fictional in RELAYS:
        loc = resolve(dataset, key, wifi, trilib)
        arr = loc["arrondissement"]
        per_arr[arr] = per_arr.get(arr, 0) + 1
        code = f"AMI-{arr:03d}-{per_arr[arr]:02d}"
        if kind == "library":
            near = [(dist_m(loc["lat"], loc["lon"], o["lat"], o["lon"]), o["id"]) for o in osm]
            d, oid = min(near)
            if d <= 80.0:
                loc["source"]["osm_id"] = oid
            hours = hours_for(kind, lib_index)
            lib_index += 1
        else:
            hours = hours_for(kind, 0)
        cmin, cmax = CAPACITY_RANGE[kind]
        steps = int(round((cmax - cmin) * 10))
        capacity = r2(cmin + 0.1 * rng.below(steps + 1))
        p = quantile(trilib_rates, rng.uniform(*RATE_QUANTILES))  # % of a container per day
        rate = min(max(capacity * p / 100.0 * RATE_SCALE, RATE_MIN), RATE_MAX)
        contact = HOME_CONTACTS.get(name) or people.new()
        relays.append({
            "code": code,
            "name": name,
            "kind": kind,
            "host_fictional": fictional,
            "address": f"{loc['street']}, {loc['postcode']} Paris",
            "postcode": loc["postcode"],
            "arrondissement": arr,
            "lat": loc["lat"],
            "lon": loc["lon"],
            "capacity_m3": capacity,
            "stock_m3": 0.0,
            "full": False,
            "daily_rate_m3": r2(rate),
            "opening_hours": hours,
            "contact_name": contact,
            "contact_phone": phones.new("01 99 00"),
            "access_notes": rng.pick(ACCESS_NOTES[kind]),
            "source": loc["source"],
        })

    # Stocks: a fill fraction per point; the N_FULL highest fractions are flagged full.
    fractions = [rng.uniform(0.05, 0.95) for _ in relays]
    full_idx = set(sorted(range(len(relays)), key=lambda i: (-fractions[i], i))[:N_FULL])
    for i, rp in enumerate(relays):
        if i in full_idx:
            rp["stock_m3"] = rp["capacity_m3"]
            rp["full"] = True
        else:
            rp["stock_m3"] = r2(min(rp["capacity_m3"] * min(fractions[i], 0.85), rp["capacity_m3"] - 0.05))

    pickups = []
    for n, (dataset, key) in enumerate(PICKUP_SITES, start=1):
        loc = resolve(dataset, key, wifi, trilib)
        cats = [c for c in CATEGORIES if rng.random() < 0.35]
        if not cats:
            cats = [CATEGORIES[rng.below(len(CATEGORIES))]]
        if "furniture" not in cats and rng.random() < 0.6:
            cats = ["furniture"] + cats
        cats = [c for c in CATEGORIES if c in cats]
        floor = rng.below(7)
        has_lift = floor >= 1 and rng.random() < 0.55
        access_code = None
        if rng.random() < 0.6:
            access_code = f"{rng.below(10)}{rng.pick('ABCDE')}{rng.below(10)}{rng.below(10)}"
        pickup = {
            "ref": f"ENL-{n:03d}",
            "donor_name": people.new(),
            "phone": phones.new("06 39 98"),
            "address": f"{loc['street']}, {loc['postcode']} Paris",
            "postcode": loc["postcode"],
            "arrondissement": loc["arrondissement"],
            "lat": loc["lat"],
            "lon": loc["lon"],
            "volume_m3": float(f"{2.0 + 0.1 * rng.below(41):.1f}"),
            "categories": cats,
            "slot": "morning" if rng.random() < 0.5 else "afternoon",
            "floor": floor,
            "has_lift": has_lift,
            "access_code": access_code,
            "notes": "",
            "source": loc["source"],
        }
        # prefer a note that says something specific about this pickup
        specific = [t for t, ok in PICKUP_NOTES if ok is not ALWAYS and ok(pickup)]
        pickup["notes"] = rng.pick(specific or [t for t, ok in PICKUP_NOTES if ok is ALWAYS])
        if floor >= 2 and not has_lift:  # the crew must know before accepting the job
            pickup["notes"] = NO_LIFT_NOTE
        pickups.append(pickup)

    files = []
    for fname in (WIFI_FILE, TRILIB_FILE, OSM_FILE):
        files.append({"path": f"dispatch/data/places/{fname}", "sha256": sha256(PLACES / fname)})
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "built_by": "scripts/build_demo_data.py",
            "seed": SEED,
            "files": files,
            "provenance": "dispatch/data/demo/PROVENANCE.md",
            "notes": ("Places, addresses and coordinates are real (Ville de Paris open data, "
                      "OpenStreetMap). Hosts with host_fictional=true, contacts, phones, donors, "
                      "stocks, rates and pickups are fictional."),
        },
        "slots": {"morning": {"start": "08:00", "end": "12:00"},
                  "afternoon": {"start": "13:00", "end": "16:00"}},
        "depot": DEPOT,
        "relay_points": relays,
        "pickups": pickups,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON path")
    args = ap.parse_args(argv)
    data = build()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    print(f"wrote {args.out} ({len(data['relay_points'])} relay points, "
          f"{len(data['pickups'])} pickups)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
