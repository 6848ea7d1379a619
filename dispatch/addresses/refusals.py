"""Why an address typed alone is refused, in the donor's language (French by default, English on request).

:class:`AddressRefused` is an :class:`~dispatch.errors.InvalidInput` (HTTP 422, field ``address``) whose English
``message`` is what the API answers; :meth:`AddressRefused.text` gives the same reason in French for the pages.
"""

from __future__ import annotations

from typing import Any

from dispatch.errors import InvalidInput

EXAMPLE = {"en": "e.g. '12 rue de Belleville 75020'", "fr": "par exemple « 12 rue de Belleville 75020 »"}
TEXTS: dict[str, dict[str, str]] = {
    "empty": {"en": "the address is empty: type a house number and a street, {example}",
              "fr": "L'adresse est vide : indiquez le numéro et la rue, {example}."},
    "too_long": {"en": "the address is {length} characters long: an address has at most {max} (type only the "
                       "number, street and postcode, {example})",
                 "fr": "L'adresse fait {length} caractères, {max} au plus : indiquez seulement le numéro, la rue "
                       "et le code postal, {example}."},
    "only_postcode": {"en": "'{text}' is only a postcode: type the house number and the street too, {example}",
                      "fr": "« {text} » n'est qu'un code postal : ajoutez le numéro et la rue, {example}."},
    "only_numbers": {"en": "'{text}' is only numbers: type the house number and the street, {example}",
                     "fr": "« {text} » ne contient que des chiffres : indiquez le numéro et la rue, {example}."},
    "postcode_not_served": {
        "en": "the postcode {postcode} is outside the served zone: no address of the index has it (the collection "
              "network serves Paris, 75001-75020)",
        "fr": "Le code postal {postcode} est en dehors de la zone desservie : nos collectes couvrent Paris "
              "(75001 à 75020)."},
    "not_found": {"en": "no address matches '{text}': check the number and the street's name, or choose one of the "
                        "suggestions.{closest}",
                  "fr": "Aucune adresse ne correspond à « {text} » : vérifiez le numéro et le nom de la rue, ou "
                        "choisissez une des suggestions."},
    "no_number": {"en": "'{text}' names a street ({label}) but no house number: add it, {example}",
                  "fr": "« {text} » désigne une rue ({label}) sans numéro : ajoutez le numéro, {example}."},
    "number_unknown": {"en": "number {number} of {street} ({postcode}) is not in the address base; the nearest known "
                             "address is '{label}'. Check the number, or choose a suggestion",
                       "fr": "Le numéro {number} ({street}, {postcode}) n'est pas dans notre base d'adresses ; "
                             "l'adresse connue la plus proche est « {label} ». Vérifiez le numéro ou choisissez une "
                             "suggestion."},
    "postcode_mismatch": {"en": "'{text}' was found as '{label}', whose postcode is {found}, not {postcode}: check "
                                "the postcode",
                          "fr": "« {text} » correspond à « {label} », dont le code postal est {found} et non "
                                "{postcode} : vérifiez le code postal."},
    "ambiguous": {"en": "'{text}' matches several addresses ({labels}): add the postcode",
                  "fr": "« {text} » correspond à plusieurs adresses ({labels}) : ajoutez le code postal."},
    "outside_zone": {"en": "'{label}' is outside the served zone: the collection network covers Paris only",
                     "fr": "« {label} » est en dehors de la zone desservie : nos collectes couvrent Paris."},
    "off_road": {"en": "'{label}' is more than {max_m} m from any street a van can use (a river, a park or a "
                       "railway?): give an address on a street",
                 "fr": "« {label} » est à plus de {max_m} m de toute rue accessible à nos camions (fleuve, parc, "
                       "voie ferrée ?) : indiquez une adresse sur une rue."},
}


class AddressRefused(InvalidInput):
    """An address that cannot be used: ``code`` (a key of TEXTS) and the values its texts need."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(self.text("en"), field="address")

    def text(self, lang: str = "fr") -> str:
        entry = TEXTS[self.code]
        lang = lang if lang in entry else "fr"
        return entry[lang].format(example=EXAMPLE[lang], **{"closest": ""} | self.params)


UNAVAILABLE = {"en": "address search is unavailable for the moment: try again shortly, or use your position",
               "fr": "La recherche d'adresse est momentanément indisponible : réessayez dans un instant ou utilisez "
                     "votre position."}


def unavailable_text(lang: str = "fr") -> str:
    """What a person reads when the geocoder cannot answer (the address server is down)."""
    return UNAVAILABLE.get(lang, UNAVAILABLE["fr"])
