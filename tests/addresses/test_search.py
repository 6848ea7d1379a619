"""The forgiving French search of the offline index: accents, case, hyphens, abbreviations, typos, numbers with
bis/ter, postcodes, ranking, and nearest-address lookups."""

from __future__ import annotations

import pytest

from dispatch.addresses.ban_csv import AddressRecord
from dispatch.addresses.index import AddressIndex
from dispatch.addresses.normalize import fold, parse_query

STREETS = [
    ("Rue de Belleville", "75020", 48.8724, 2.3769), ("Rue de Belleville", "75019", 48.8730, 2.3790),
    ("Boulevard Saint-Michel", "75005", 48.8480, 2.3420), ("Avenue de Flandre", "75019", 48.8880, 2.3740),
    ("Place Armand Carrel", "75019", 48.8790, 2.3820), ("Rue du Faubourg Saint-Martin", "75010", 48.8720, 2.3600),
    ("Rue Sainte-Marthe", "75010", 48.8740, 2.3710), ("Rue de l'Orillon", "75011", 48.8700, 2.3750),
    ("Rue de Bellefond", "75009", 48.8780, 2.3460), ("Place Denfert-Rochereau", "75014", 48.8340, 2.3320),
]


def _records():
    for k, (street, postcode, lat, lon) in enumerate(STREETS):
        for n in (2, 12, 14, 19, 35):
            yield AddressRecord(id=f"{k}_{n}", numero=str(n), rep="", nom_voie=street, code_postal=postcode,
                                code_insee="", nom_commune=f"Paris {int(postcode[-2:])}e Arrondissement",
                                lat=lat + n * 1e-5, lon=lon)
        yield AddressRecord(id=f"{k}_19b", numero="19", rep="bis", nom_voie=street, code_postal=postcode,
                            code_insee="", nom_commune="Paris", lat=lat + 0.0002, lon=lon + 0.0002)


@pytest.fixture(scope="module")
def index() -> AddressIndex:
    return AddressIndex(_records())


def test_fold_ignores_accents_case_hyphens_and_apostrophes():
    assert fold("Rue du FAUBOURG Saint-Martin") == "rue du faubourg saint martin"
    assert fold("Rue de l’Orillon") == "rue de l orillon" and fold("Œuvre") == "oeuvre"


def test_parse_query_splits_number_suffix_postcode_and_words():
    q = parse_query("19 bis, r. de l'Orillon 75011 Paris 11e")
    assert (q.number, q.rep, q.postcode, q.words) == ("19", "bis", "75011", ("rue", "de", "l", "orillon", "paris"))
    assert parse_query("19B r orillon").rep == "bis" and parse_query("19t r orillon").rep == "ter"


@pytest.mark.parametrize("typed, expected", [
    ("12 r de belleville 75020", "12 Rue de Belleville 75020 Paris"),
    ("12 RUE DE BELLEVILLE 75020", "12 Rue de Belleville 75020 Paris"),
    ("12 bd st michel", "12 Boulevard Saint-Michel 75005 Paris"),
    ("12 boulevard saint-michel", "12 Boulevard Saint-Michel 75005 Paris"),
    ("14 av de flandre", "14 Avenue de Flandre 75019 Paris"),
    ("2 pl armand carrel", "2 Place Armand Carrel 75019 Paris"),
    ("35 r du fg st martin", "35 Rue du Faubourg Saint-Martin 75010 Paris"),
    ("12 r ste marthe", "12 Rue Sainte-Marthe 75010 Paris"),
    ("19 bis rue de l orillon", "19 bis Rue de l'Orillon 75011 Paris"),
    ("19b r de l'orillon", "19 bis Rue de l'Orillon 75011 Paris"),
    ("2 place denfert rochereau", "2 Place Denfert-Rochereau 75014 Paris"),
    ("14 avenue de flandres", "14 Avenue de Flandre 75019 Paris"),  # extra letter
    ("14 avenue de flnadre", "14 Avenue de Flandre 75019 Paris"),  # swapped letters
    ("2 place armand carel", "2 Place Armand Carrel 75019 Paris"),  # missing letter
    ("12 rue de belleville paris 75019", "12 Rue de Belleville 75019 Paris"),  # the postcode picks the street
    ("12 rue de bellev", "12 Rue de Belleville 75020 Paris"),  # still typing
])
def test_forgiving_search(index, typed, expected):
    results = index.search(typed, limit=3)
    assert results and results[0].label == expected, [(m.label, m.score) for m in results]


def test_scores_rank_exact_above_typo_above_other_streets(index):
    exact = index.search("12 rue de belleville 75020")[0]
    typo = index.search("12 rue de bellevile 75020")[0]
    assert exact.score == 1.0 and 0.6 <= typo.score < exact.score
    ranked = index.search("12 rue de belle", limit=5)
    assert {m.street for m in ranked[:2]} == {"Rue de Belleville"} or ranked[0].street == "Rue de Bellefond"
    assert all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))


def test_unknown_number_gives_the_nearest_known_one_with_a_lower_score(index):
    best = index.search("13 rue de belleville 75020")[0]
    assert best.housenumber in ("12", "14") and best.score < 0.8


def test_a_street_without_number_is_a_street_result(index):
    best = index.search("rue de l'orillon")[0]
    assert best.housenumber is None and best.label == "Rue de l'Orillon 75011 Paris"


@pytest.mark.parametrize("typed", ["", "   ", "75020", "12", "zzzz qqqq", "rue"])
def test_nothing_meaningful_finds_nothing_useful(index, typed):
    assert all(m.score < 0.6 for m in index.search(typed))


def test_reverse_nearest_first_and_nothing_far_away(index):
    near = index.reverse(48.8724 + 12e-5, 2.3769, limit=2)
    assert near[0].label == "12 Rue de Belleville 75020 Paris" and near[0].score > near[1].score
    assert index.reverse(48.80, 2.20) == []


def test_resolution_refuses_an_ambiguous_address_and_takes_the_postcode(index):
    from dispatch.addresses.refusals import AddressRefused
    from dispatch.addresses.resolve import find_address
    from dispatch.settings import Settings

    class Geocoder:  # the index behind the geocoder interface
        search = staticmethod(index.search)
        reverse = staticmethod(index.reverse)

    settings = Settings(_env_file=None)
    with pytest.raises(AddressRefused, match="matches several addresses") as refused:
        find_address("12 rue de belleville", geocoder=Geocoder(), settings=settings)
    assert "75019" in refused.value.message and "75020" in refused.value.message
    assert "ajoutez le code postal" in refused.value.text("fr")
    found = find_address("12 rue de belleville", geocoder=Geocoder(), settings=settings, postcode="75019")
    assert found.label == "12 Rue de Belleville 75019 Paris"
