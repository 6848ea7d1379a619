"""What a plan says to people, in French or English, rendered when it is shown.

A plan stores codes and parameters (``UnassignedVisit.reason`` and ``.params``, ``Round.warnings``'
``rule`` and ``visit``); this module turns them into sentences in the reader's language, naming
visits by name and address, never by an internal key (``pu:1``). Stored English ``detail`` texts
are for the API and logs only: a page never shows them. French typography (a non-breaking space
before ``:`` and ``;``) applies to French only.

:func:`unassigned_params` computes the parameters when a plan is stored (planning and editing
use it); :func:`unassigned_text`, :func:`explanation` and :func:`warning_text` render them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dispatch.documents import i18n

NBSP = "\u00a0"

#: Requirements and crew features (vans' and crews' skills), as a coordinator or driver reads them.
FEATURES: dict[str, dict[str, str]] = {
    "tail_lift": {"fr": "un hayon élévateur", "en": "a tail lift"},
    "two_people": {"fr": "deux personnes", "en": "two people"},
    "three_people": {"fr": "trois personnes", "en": "three people"},
    "large_volume": {"fr": "un grand volume (20 m³)", "en": "a large van (20 m³)"},
}

_TEXTS: dict[str, dict[str, str]] = {
    "capacity": {"fr": "{m3} à collecter, plus que le plus grand camion disponible ({largest})",
                 "en": "{m3} to collect, more than the largest available van holds ({largest})"},
    "time_window": {"fr": "aucun camion ne peut arriver pendant son créneau ({windows})",
                    "en": "no van can arrive within its time window ({windows})"},
    "shift": {"fr": "l'aller-retour ne tient dans la journée d'aucune équipe",
              "en": "the round trip does not fit in any crew's working day"},
    "skill": {"fr": "il faut {needs}{why}{sc} aucune équipe au travail ce jour-là n'a tout cela",
              "en": "it needs {needs}{why}{sc} no crew working that day has all of it"},
    "unreachable": {"fr": "aucun trajet par la route entre le dépôt et cette adresse",
                    "en": "no road route between the depot and this address"},
    "cost_mandatory": {"fr": "plus de place dans les tournées du jour (camions pleins ou temps épuisé)",
                       "en": "no room left in the day's rounds (vans full or time used up)"},
    "cost_optional": {"fr": "reporté{c} environ {m3} à collecter{sc} les tournées sont pleines ou le détour coûte "
                            "plus que la visite aujourd'hui (jusqu'à {km} km)",
                      "en": "left for another day{c} about {m3} to collect{sc} the rounds are full or the detour "
                            "costs more than the visit is worth today (up to {km} km)"},
    "closed": {"fr": "fermé le {weekday}", "en": "closed on {weekday}"},
    "site_too_far": {"fr": "la position est trop loin de toute rue carrossable{c} vérifiez l'adresse",
                     "en": "the position is too far from any drivable street{c} check the address"},
    "unreachable_site": {"fr": "l'adresse n'est reliée au réseau routier que par des rues coupées{c} vérifiez-la",
                         "en": "the address only joins the road network through cut-off streets{c} check it"},
    "dropped": {"fr": "retiré du plan à la main par {by}", "en": "taken out of the plan by hand by {by}"},
    "not_together": {"fr": "faisable seule, mais pas avec le reste du plan (camions, capacité, créneaux ou "
                           "journées épuisés)",
                     "en": "it could be served on its own, but not together with the rest of the plan (vans, "
                           "capacity, time windows or shifts run out)"},
}

_WHY: dict[str, dict[str, str]] = {
    "floor_no_lift": {"fr": "{floor}e étage sans ascenseur", "en": "floor {floor} without a lift"},
    "heavy_furniture": {"fr": "meubles, {m3}", "en": "furniture, {m3}"},
    "volume": {"fr": "{m3}", "en": "{m3}"},
    "by_hand": {"fr": "demandé à la main", "en": "set by hand"},
}

_WARNINGS: dict[str, dict[str, str]] = {
    "closed": {"fr": "fermé ce jour-là", "en": "closed that day"},
    "time_window": {"fr": "en dehors de son créneau", "en": "outside its time window"},
    "shift_end": {"fr": "après la fin de journée de l'équipe", "en": "after the crew's end of day"},
    "capacity": {"fr": "camion trop chargé", "en": "van overloaded"},
    "skill": {"fr": "l'équipe n'a pas l'équipement requis", "en": "the crew lacks the required equipment"},
    "break": {"fr": "pause déjeuner hors de sa plage", "en": "lunch break outside its window"},
    "schedule": {"fr": "horaire impossible", "en": "impossible schedule"},
}


def colon(lang: str) -> str:
    """' :' with a non-breaking space in French, ':' in English."""
    return f"{NBSP}:" if lang == "fr" else ":"


def semicolon(lang: str) -> str:
    return f"{NBSP};" if lang == "fr" else ";"


def _lang(lang: str) -> str:
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def feature(code: str, lang: str) -> str:
    return FEATURES.get(code, {}).get(_lang(lang), code.replace("_", " "))


def features(codes: Iterable[str], lang: str) -> str:
    """'deux personnes et un hayon élévateur' (three people imply two: said once)."""
    codes = set(codes)
    if "three_people" in codes:
        codes.discard("two_people")
    words = [feature(c, lang) for c in sorted(codes)]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" et " if _lang(lang) == "fr" else " and ") + words[-1]


def why_text(why: Iterable[Mapping[str, Any]], lang: str) -> str:
    """The reasons a visit needs what it needs, e.g. '5e étage sans ascenseur, meubles, 4,0 m³'."""
    lang = _lang(lang)
    out = []
    for item in why:
        template = _WHY.get(str(item.get("code")), {}).get(lang)
        if template:
            out.append(template.format(floor=item.get("floor", "?"), m3=i18n.format_m3(item.get("m3"), lang)))
    return ", ".join(out)


def _hhmm(seconds: int, lang: str) -> str:
    h, m = divmod(int(seconds) // 60, 60)
    return f"{h:02d}h{m:02d}" if lang == "fr" else f"{h:02d}:{m:02d}"


def unassigned_text(reason: str, params: Mapping[str, Any] | None, lang: str) -> str:
    """Why a visit is not in a round, in ``lang``, from its reason code and parameters."""
    lang = _lang(lang)
    p = dict(params or {})
    c, sc = colon(lang), semicolon(lang)
    if reason in ("paused", "no_visit_day", "weekly_limit", "closure") or (reason == "closed" and lang in p):
        said = str(p.get(lang) or i18n.unassigned_reason(reason, lang))
        return i18n.french_spaces(said) if lang == "fr" else said
    if reason == "cost":
        key = "not_together" if p.get("not_together") else ("cost_optional" if p.get("optional") else "cost_mandatory")
    elif reason == "unreachable" and p.get("site"):
        key = "unreachable_site"
    else:
        key = reason
    template = _TEXTS.get(key, {}).get(lang)
    if template is None:
        return i18n.unassigned_reason(reason, lang)
    weekday = p.get("weekday")
    values = {
        "m3": i18n.format_m3(p.get("m3"), lang), "largest": i18n.format_m3(p.get("largest_m3"), lang),
        "km": i18n.format_number(p.get("km"), lang, 0),
        "windows": ", ".join(f"{_hhmm(a, lang)}–{_hhmm(b, lang)}" for a, b in p.get("windows") or ()),
        "needs": features(p.get("needs") or (), lang),
        "why": f" ({why_text(p['why'], lang)})" if p.get("why") else "",
        "weekday": i18n.WEEKDAYS[lang][weekday] if isinstance(weekday, int) else "?",
        "by": p.get("by") or "?", "c": c, "sc": sc,
    }
    return template.format(**values)


def visit_label(name: str, address: str | None) -> str:
    return f"{name} ({address})" if address else name


def explanation(view: Any, lang: str) -> str | None:
    """The plan's explanation in ``lang``: the mandatory visits left out (by name and address, with why),
    or the rounds kept by force despite broken rules; None when the plan serves every mandatory visit."""
    lang = _lang(lang)
    c = colon(lang)
    missing = [u for u in view.unassigned if u.mandatory and u.reason not in ("closed", "site_too_far")]
    if view.solver_status != "solved" and missing:
        n = len(missing)
        head = (f"{n} visite obligatoire ne peut pas être faite" if n == 1 else
                f"{n} visites obligatoires ne peuvent pas être faites") if lang == "fr" else \
            (f"{n} mandatory visit cannot be served" if n == 1 else f"{n} mandatory visits cannot be served")
        parts = [f"{visit_label(u.name, u.address)} — {unassigned_text(u.reason, u.params, lang)}" for u in missing]
        return f"{head}{c} " + f"{semicolon(lang)} ".join(parts)
    warned = [(r, w) for r in view.rounds for w in r.warnings]
    if warned:
        head = "tournées gardées de force malgré des règles non respectées" if lang == "fr" else \
            "rounds kept by force despite broken rules"
        return f"{head}{c} " + f"{semicolon(lang)} ".join(
            f"{r.van}{c} {warning_text(w, lang, names=view.names)}" for r, w in warned)
    return None


def warning_text(warning: Mapping[str, Any], lang: str, *, names: Mapping[str, str] | None = None) -> str:
    """One rule a forced edit broke on a round: the stop's name, then the rule, in ``lang``."""
    lang = _lang(lang)
    rule = str(warning.get("rule") or "schedule")
    what = _WARNINGS.get(rule, _WARNINGS["schedule"])[lang]
    visit = warning.get("visit")
    if visit and names and visit in names:
        return f"{names[visit]}{colon(lang)} {what}"
    if rule == "break":
        return f"{i18n.text('lunch_break', lang)}{colon(lang)} {what}"
    return what


def floor_text(floor: int | None, has_lift: bool | None, lang: str) -> str:
    """'5e étage, sans ascenseur' / 'floor 5, no lift'; '' when not known."""
    if floor is None:
        return ""
    lang = _lang(lang)
    if floor == 0:
        return "rez-de-chaussée" if lang == "fr" else "ground floor"
    if lang == "fr":
        where = "1er étage" if floor == 1 else f"{floor}e étage" if floor > 0 else f"sous-sol {-floor}"
        return where + (", ascenseur" if has_lift else ", sans ascenseur")
    return f"floor {floor}" + (", lift" if has_lift else ", no lift")


def needs_text(requirements: Mapping[str, Any] | None, lang: str) -> str:
    """'Il faut deux personnes (4e étage sans ascenseur)' for a crew's sheet; '' when nothing is needed."""
    if not requirements or not requirements.get("needs"):
        return ""
    lang = _lang(lang)
    why = why_text(requirements.get("why") or (), lang)
    said = features(requirements["needs"], lang)
    head = f"Il faut {said}" if lang == "fr" else f"Needs {said}"
    return head + (f" ({why})" if why else "")
