"""The messages to donors of the collection rules, in French and English (:data:`LANGS`).

:func:`reason_message` renders a refusal's reason from its ``code`` and ``params`` alone (the parameters a
:class:`dispatch.pickups.rule_decision.RuleReason` carries), so a stored decision can be shown again later
without the rules file. Every reason code of :data:`dispatch.pickups.rules_file.REASON_FIELDS` has one.

Pure: no database, no network, nothing read or created at import.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

LANGS: tuple[str, ...] = ("fr", "en")

_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_HOLIDAYS_EN = {
    "Jour de l'an": "New Year's Day",
    "Lundi de Pâques": "Easter Monday",
    "Fête du travail": "Labour Day",
    "Victoire 1945": "Victory in Europe Day",
    "Ascension": "Ascension Day",
    "Lundi de Pentecôte": "Whit Monday",
    "Fête nationale": "Bastille Day",
    "Assomption": "Assumption Day",
    "Toussaint": "All Saints' Day",
    "Armistice 1918": "Armistice Day",
    "Noël": "Christmas Day",
}
_SLOT_FR = {"morning": "du matin", "afternoon": "de l'après-midi"}
_SLOT_EN = {"morning": "morning", "afternoon": "afternoon"}


def check_lang(lang: str) -> None:
    """ValueError unless ``lang`` is one of :data:`LANGS`."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use 'fr' or 'en'")


def is_finite(x: Any) -> bool:
    """A real number (not a bool), neither infinite nor NaN."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num(x: Any, lang: str) -> str:
    if not is_finite(x):
        return str(x)
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def _date(iso: str, lang: str) -> str:
    d = dt.date.fromisoformat(iso)
    if lang == "fr":
        return f"{_FR_DAYS[d.weekday()]} {'1er' if d.day == 1 else d.day} {_FR_MONTHS[d.month - 1]} {d.year}"
    return f"{_EN_DAYS[d.weekday()]} {d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def _msg_volume_invalid(p: dict, lang: str) -> str:
    v = _num(p["volume_m3"], lang)
    if lang == "fr":
        return f"Le volume indiqué ({v}) n'est pas valide : merci d'indiquer une estimation en m³, supérieure à zéro."
    return f"The volume given ({v}) is not valid: please give an estimate in m³, above zero."


def _msg_volume_below_minimum(p: dict, lang: str) -> str:
    v, low = _num(p["volume_m3"], lang), _num(p["min_m3"], lang)
    if lang == "fr":
        return (
            f"Le volume ({v} m³) est inférieur au minimum de {low} m³ pour un enlèvement à domicile : "
            "déposez vos dons dans le point relais le plus proche."
        )
    return (
        f"The volume ({v} m³) is below the {low} m³ minimum for a home pickup: "
        "please bring your donation to the nearest relay point."
    )


def _msg_volume_above_van(p: dict, lang: str) -> str:
    v, high = _num(p["volume_m3"], lang), _num(p["max_m3"], lang)
    if not p["max_m3"] or p["max_m3"] <= 0:
        if lang == "fr":
            return "Aucun camion n'est disponible pour les enlèvements à domicile en ce moment : merci de nous rappeler plus tard."
        return "No van is available for home pickups at the moment: please call us again later."
    if lang == "fr":
        return (
            f"Le volume ({v} m³) dépasse la capacité de notre plus grand camion ({high} m³) : "
            "merci de répartir le don en plusieurs demandes."
        )
    return (
        f"The volume ({v} m³) exceeds the capacity of our largest van ({high} m³): "
        "please split the donation into several requests."
    )


def _msg_volume_above_maximum(p: dict, lang: str) -> str:
    v, high = _num(p["volume_m3"], lang), _num(p["max_m3"], lang)
    if lang == "fr":
        return (
            f"Le volume ({v} m³) dépasse le maximum de {high} m³ pour un enlèvement à domicile : "
            "merci de répartir le don en plusieurs demandes."
        )
    return (
        f"The volume ({v} m³) is above the {high} m³ maximum for a home pickup: "
        "please split the donation into several requests."
    )


def _msg_category_refused(p: dict, lang: str) -> str:
    return p["reason_fr"] if lang == "fr" else p["reason_en"]


def _msg_category_unknown(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            f"La catégorie « {p['category']} » ne fait pas partie des dons que nous collectons ; "
            f"catégories acceptées : {p['accepted_fr']}."
        )
    return f"The category “{p['category']}” is not one we collect; accepted categories: {p['accepted_en']}."


def _msg_outside_zone(p: dict, lang: str) -> str:
    communes = ", ".join(p.get("communes") or ())
    if lang == "fr":
        area = f"Paris et communes voisines : {communes}" if communes else "Paris"
        return (
            f"Le code postal {p['postcode']} est en dehors de notre zone d'enlèvement à domicile ({area}) : "
            "déposez vos dons dans le point relais le plus proche."
        )
    area = f"Paris and the neighbouring towns: {communes}" if communes else "Paris"
    return (
        f"Postcode {p['postcode']} is outside our home-pickup area ({area}): "
        "please bring your donation to the nearest relay point."
    )


def _msg_position_invalid(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            f"La position de l'adresse n'est pas valide (latitude {_num(p['lat'], lang)}, "
            f"longitude {_num(p['lon'], lang)}) : merci de vérifier l'adresse."
        )
    return (
        f"The address's position is not valid (latitude {_num(p['lat'], lang)}, "
        f"longitude {_num(p['lon'], lang)}): please check the address."
    )


def _msg_position_outside_zone(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            "L'adresse est en dehors du périmètre où nous faisons des enlèvements à domicile : "
            "déposez vos dons dans le point relais le plus proche."
        )
    return "The address is outside the area where we do home pickups: please bring your donation to the nearest relay point."


def _msg_position_off_network(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            "Nous n'arrivons pas à situer l'adresse sur le plan de nos tournées : "
            "merci de vérifier l'adresse (numéro, rue, code postal)."
        )
    return "We cannot place the address on the map of our rounds: please check the address (number, street, postcode)."


def _msg_date_not_collection_day(p: dict, lang: str) -> str:
    day = _date(p["date"], lang)
    if p.get("kind") == "holiday":
        name = p.get("holiday") or ""
        if lang == "fr":
            return f"Le {day} est un jour férié ({name}) : pas de collecte ce jour-là, merci de choisir une autre date."
        return f"{day} is a public holiday ({_HOLIDAYS_EN.get(name, name)}): no collection that day, please choose another date."
    if lang == "fr":
        return f"Nous ne collectons pas le dimanche ({day}) : merci de choisir un jour du lundi au samedi, hors jours fériés."
    return f"We do not collect on Sundays ({day}): please choose a day from Monday to Saturday, except public holidays."


def _msg_date_too_soon(p: dict, lang: str) -> str:
    day, earliest, n = _date(p["date"], lang), _date(p["earliest"], lang), p["min_lead_working_days"]
    past = p["date"] < p["today"]
    if lang == "fr":
        if past:
            return f"La date du {day} est déjà passée : la première date possible est le {earliest}."
        days = "jour de collecte" if n == 1 else "jours de collecte"
        return (
            f"Le {day} est trop proche : il nous faut au moins {n} {days} pour organiser la tournée ; "
            f"la première date possible est le {earliest}."
        )
    if past:
        return f"{day} is in the past: the earliest possible date is {earliest}."
    days = "collection day" if n == 1 else "collection days"
    return f"{day} is too soon: we need at least {n} {days} to plan the round; the earliest possible date is {earliest}."


def _msg_date_too_far(p: dict, lang: str) -> str:
    day, latest, n = _date(p["date"], lang), _date(p["latest"], lang), p["max_days_ahead"]
    if lang == "fr":
        return (
            f"Le {day} est trop loin : nous planifions les enlèvements au plus {n} jours à l'avance "
            f"(jusqu'au {latest}) ; merci de nous rappeler plus près de la date."
        )
    return f"{day} is too far ahead: we book pickups at most {n} days ahead (until {latest}); please call us again closer to the date."


def _msg_day_full(p: dict, lang: str) -> str:
    day, booked, cap = _date(p["date"], lang), p["booked"], p["capacity"]
    if lang == "fr":
        if cap <= 0:
            return f"Aucun enlèvement à domicile n'est possible le {day} : merci de choisir une autre date."
        return f"Le {day} est complet ({booked} enlèvements déjà prévus sur {cap} possibles) : merci de choisir une autre date."
    if cap <= 0:
        return f"No home pickup is possible on {day}: please choose another date."
    return f"{day} is full ({booked} of {cap} pickups already booked): please choose another date."


def _msg_slot_full(p: dict, lang: str) -> str:
    day, booked, cap, slot = _date(p["date"], lang), p["booked"], p["capacity"], p["slot"]
    if lang == "fr":
        name = _SLOT_FR.get(slot, f"« {slot} »")
        if cap <= 0:
            return f"Il n'y a pas de créneau {name} le {day} : merci de choisir un autre créneau."
        return (
            f"Le créneau {name} du {day} est complet ({booked} enlèvements déjà prévus sur {cap} possibles) : "
            "merci de choisir un autre créneau."
        )
    name = _SLOT_EN.get(slot, slot)
    if cap <= 0:
        return f"There is no {name} slot on {day}: please choose another slot."
    return f"The {name} slot on {day} is full ({booked} of {cap} pickups already booked): please choose another slot."


def _msg_slot_unknown(p: dict, lang: str) -> str:
    if lang == "fr":
        return f"Le créneau « {p['slot']} » n'existe pas : merci de choisir le matin ou l'après-midi."
    return f"There is no “{p['slot']}” slot: please choose morning or afternoon."


def _msg_no_room_in_plan(p: dict, lang: str) -> str:
    day, slot = _date(p["date"], lang), p["slot"]
    if lang == "fr":
        name = _SLOT_FR.get(slot, f"« {slot} »")
        return (f"Les tournées du {day} sont déjà prévues et l'enlèvement n'y trouve plus de place sur le créneau "
                f"{name} : merci de choisir un autre créneau.")
    name = _SLOT_EN.get(slot, slot)
    return (f"The rounds of {day} are already planned and the pickup no longer fits them in the {name} slot: "
            "please choose another slot.")


def _ordinal_floor(floor: Any, lang: str) -> str:
    if lang == "fr":
        return "1er" if floor == 1 else f"{floor}e"
    n = int(floor)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _msg_missing_detail(p: dict, lang: str) -> str:
    detail = p["detail"]
    if detail == "has_lift" and p.get("floor") is not None:
        floor = _ordinal_floor(p["floor"], lang)
        if lang == "fr":
            return f"Merci d'indiquer s'il y a un ascenseur (le don est au {floor} étage)."
        return f"Please say whether there is a lift (the donation is on the {floor} floor)."
    fr = {
        "phone": "Le numéro de téléphone du donateur est obligatoire : l'équipe appelle avant de passer.",
        "floor": "Merci d'indiquer l'étage (0 pour un rez-de-chaussée ou une maison).",
        "has_lift": "Merci d'indiquer s'il y a un ascenseur.",
        "access_code": "Merci d'indiquer le code d'accès (digicode) de l'immeuble.",
        "categories": "Merci d'indiquer ce que vous donnez (meubles, livres, vaisselle…).",
        "postcode": "Le code postal de l'adresse est obligatoire.",
    }
    en = {
        "phone": "The donor's phone number is required: the crew calls before coming.",
        "floor": "Please give the floor (0 for a ground floor or a house).",
        "has_lift": "Please say whether there is a lift.",
        "access_code": "Please give the building's access code.",
        "categories": "Please say what you are giving (furniture, books, dishes…).",
        "postcode": "The address's postcode is required.",
    }
    if lang == "fr":
        return fr.get(detail, f"Merci d'indiquer : {detail}.")
    return en.get(detail, f"Please give: {detail}.")


MESSAGES: dict[str, Callable[[dict, str], str]] = {
    "volume_invalid": _msg_volume_invalid,
    "volume_below_minimum": _msg_volume_below_minimum,
    "volume_above_van": _msg_volume_above_van,
    "volume_above_maximum": _msg_volume_above_maximum,
    "category_refused": _msg_category_refused,
    "category_unknown": _msg_category_unknown,
    "outside_zone": _msg_outside_zone,
    "position_invalid": _msg_position_invalid,
    "position_outside_zone": _msg_position_outside_zone,
    "position_off_network": _msg_position_off_network,
    "date_not_collection_day": _msg_date_not_collection_day,
    "date_too_soon": _msg_date_too_soon,
    "date_too_far": _msg_date_too_far,
    "day_full": _msg_day_full,
    "slot_full": _msg_slot_full,
    "slot_unknown": _msg_slot_unknown,
    "no_room_in_plan": _msg_no_room_in_plan,
    "missing_detail": _msg_missing_detail,
    "online_open_limit": lambda p, lang: (
        f"Ce numéro a déjà {p['open']} demandes en cours : appelez le standard pour en ajouter une."
        if lang == "fr" else
        f"This phone number already has {p['open']} open requests: call the switchboard to add another."),
    "online_daily_cap": lambda p, lang: (
        "Les demandes en ligne sont complètes pour aujourd'hui : votre demande est enregistrée, le standard "
        "vous rappellera (ou appelez-le)." if lang == "fr" else
        "Online requests are full for today: your request is recorded and the switchboard will call you back "
        "(or call it)."),
}


def reason_message(code: str, params: dict[str, Any], lang: str = "fr") -> str:
    """The polite message of the reason ``code`` with ``params``, in ``lang`` ("fr" or "en")."""
    check_lang(lang)
    return MESSAGES[code](params, lang)
