"""French (default) and English texts of the human-facing pages and manifests.

Drivers, relay points, donors and manifests read French; English is given on request
(``?lang=en`` or ``Accept-Language``). Messages are keyed by stable codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


LANGS = ("fr", "en")
DEFAULT_LANG = "fr"


def slot_hours(slot: str, lang: str) -> str:
    """A slot's hours as people write them: "8 h – 12 h" in French, "8:00–12:00" in English."""
    from dispatch.models import SLOT_WINDOWS_S, Slot

    start, end = SLOT_WINDOWS_S[Slot(slot)]
    if lang == "fr":
        return f"{_fr_hour(start)} – {_fr_hour(end)}"
    return f"{start // 3600}:{start % 3600 // 60:02d}–{end // 3600}:{end % 3600 // 60:02d}"


def _fr_hour(seconds: int) -> str:
    h, m = seconds // 3600, seconds % 3600 // 60
    return f"{h} h {m:02d}" if m else f"{h} h"


def negotiate(lang: str | None = None, accept_language: str | None = None) -> str:
    """``lang`` if supported, else the best of Accept-Language among fr/en, else French."""
    if lang:
        code = lang.strip().lower()[:2]
        if code in LANGS:
            return code
    if accept_language:
        best: tuple[float, int, str] | None = None
        for i, part in enumerate(accept_language.split(",")):
            bits = part.strip().split(";")
            code = bits[0].strip().lower()[:2]
            q = 1.0
            for b in bits[1:]:
                b = b.strip()
                if b.startswith("q="):
                    try:
                        q = float(b[2:])
                    except ValueError:  # handled: a malformed Accept-Language weight counts as 0
                        q = 0.0
            if code in LANGS and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
                best = (q, -i, code)
        if best:
            return best[2]
    return DEFAULT_LANG


MESSAGES: dict[str, dict[str, str]] = {
    # donor tracking page /suivi (dispatch/fleet/pickup_lifecycle.py)
    "track_title": {"fr": "Suivre mon enlèvement", "en": "Track my pickup"},
    "track_intro": {"fr": "Saisissez la référence reçue lors de votre demande (PU-…) et les 4 derniers chiffres "
                          "de votre téléphone.",
                    "en": "Enter the reference you received with your request (PU-…) and the last 4 digits of "
                          "your phone number."},
    "track_ref": {"fr": "Référence", "en": "Reference"},
    "track_phone_last4": {"fr": "4 derniers chiffres du téléphone", "en": "Last 4 digits of your phone"},
    "track_submit": {"fr": "Voir le suivi", "en": "Show status"},
    "track_not_found": {"fr": "Aucune demande ne correspond à cette référence et à ces chiffres. Vérifiez-les.",
                        "en": "No request matches this reference and these digits. Please check them."},
    "track_status": {"fr": "État de votre demande", "en": "Your request"},
    "track_history": {"fr": "Historique", "en": "History"},
    "email": {"fr": "E-mail (facultatif, pour la confirmation et l'heure de passage)",
              "en": "E-mail (optional, for the confirmation and the visit time)"},
    "no_messages": {"fr": "Je ne souhaite recevoir ni e-mail ni SMS", "en": "I do not want any e-mail or text message"},
    "track_change": {"fr": "Modifier ou annuler", "en": "Change or cancel"},
    "track_move": {"fr": "Déplacer l'enlèvement", "en": "Move the pickup"},
    "track_move_to": {"fr": "Nouveau créneau", "en": "New slot"},
    "track_move_submit": {"fr": "Déplacer", "en": "Move"},
    "track_no_slot": {"fr": "Aucun autre créneau libre dans les deux semaines : appelez-nous.",
                      "en": "No other free slot in the next two weeks: please call us."},
    "track_cancel": {"fr": "Annuler l'enlèvement", "en": "Cancel the pickup"},
    "track_cancel_confirm": {"fr": "Je confirme l'annulation", "en": "I confirm the cancellation"},
    "track_cancel_submit": {"fr": "Annuler l'enlèvement", "en": "Cancel the pickup"},
    "track_cancel_unconfirmed": {"fr": "Cochez « Je confirme l'annulation » pour annuler l'enlèvement.",
                                 "en": "Tick \u201cI confirm the cancellation\u201d to cancel the pickup."},
    "track_move_invalid": {"fr": "Choisissez un nouveau créneau dans la liste.",
                           "en": "Choose a new slot in the list."},
    "track_cancelled_ok": {"fr": "Votre enlèvement est annulé. Merci de nous avoir prévenus.",
                           "en": "Your pickup is cancelled. Thank you for letting us know."},
    "track_moved_ok": {"fr": "Votre enlèvement est déplacé.", "en": "Your pickup is moved."},
    # switchboard page /standard (api/pages/switchboard.py, static/switchboard.js)
    "sb_title": {"fr": "Standard — prendre un appel", "en": "Switchboard — take a call"},
    "sb_caller": {"fr": "Appelant", "en": "Caller"},
    "sb_history": {"fr": "Demandes précédentes", "en": "Previous requests"},
    "sb_history_none": {"fr": "Aucune demande avec ce numéro.", "en": "No request with this number."},
    "sb_search": {"fr": "Rechercher", "en": "Search"},
    "sb_address_search": {"fr": "Adresse (numéro, rue, code postal)", "en": "Address (number, street, postcode)"},
    "sb_no_address": {"fr": "Adresse introuvable : vérifiez l'orthographe ou ajoutez le code postal.",
                      "en": "Address not found: check the spelling or add the postcode."},
    "sb_position": {"fr": "Position retenue", "en": "Position"},
    "sb_relay_points": {"fr": "Points relais les plus proches", "en": "Nearest relay points"},
    "sb_small_volume": {"fr": "Moins de {min} m³ : proposez d'abord un point relais ci-dessous.",
                        "en": "Below {min} m³: suggest a relay point below first."},
    "sb_donation": {"fr": "Le don", "en": "The donation"},
    "sb_lang": {"fr": "Langue des messages", "en": "Language of the messages"},
    "sb_verdict": {"fr": "Règles de collecte", "en": "Collection rules"},
    "sb_slots": {"fr": "Créneaux qui conviennent", "en": "Slots that fit"},
    "sb_slots_none": {"fr": "Aucun créneau libre dans les trois semaines.", "en": "No free slot in the next three weeks."},
    "sb_slots_need": {"fr": "Choisissez l'adresse et le volume pour voir les créneaux.",
                      "en": "Choose the address and the volume to see the slots."},
    "sb_create": {"fr": "Créer la demande", "en": "Create the request"},
    "sb_created": {"fr": "Demande {ref} : {status}", "en": "Request {ref}: {status}"},
    "sb_cancel": {"fr": "Annuler", "en": "Cancel"},
    "sb_cancel_confirm": {"fr": "Annuler l'enlèvement {ref} ? Le créneau sera libéré.",
                          "en": "Cancel pickup {ref}? Its slot will be freed."},
    "sb_move": {"fr": "Déplacer", "en": "Move"},
    "sb_move_to": {"fr": "Déplacer vers", "en": "Move to"},
    "sb_done": {"fr": "Fait.", "en": "Done."},
    "sb_km": {"fr": "km par la route", "en": "km by road"},
    "sb_status_requested": {"fr": "reçue", "en": "received"},
    "sb_status_accepted": {"fr": "acceptée", "en": "accepted"},
    "sb_status_refused": {"fr": "refusée", "en": "refused"},
    "sb_status_scheduled": {"fr": "dans une tournée", "en": "in a round"},
    "sb_status_collected": {"fr": "collectée", "en": "collected"},
    "sb_status_missed": {"fr": "passage manqué", "en": "missed"},
    "sb_status_cancelled": {"fr": "annulée", "en": "cancelled"},
    # generic
    "app_name": {"fr": "Emmaüs Défi — Amistock", "en": "Emmaüs Défi — Amistock"},
    "error_title": {"fr": "Oups", "en": "Oops"},
    "error_403": {"fr": "Ce lien n'est pas valide ou a expiré. Demandez un nouveau lien à la coordination.",
                  "en": "This link is not valid or has expired. Ask the coordinator for a new link."},
    "error_404": {"fr": "Page introuvable.", "en": "Page not found."},
    "error_409": {"fr": "Cette action n'est pas possible maintenant.", "en": "This action is not possible now."},
    "error_422": {"fr": "Certaines informations ne sont pas valides.", "en": "Some information is not valid."},
    "error_other": {"fr": "Une erreur est survenue. Réessayez dans un instant.",
                    "en": "Something went wrong. Please try again shortly."},
    "back_home": {"fr": "Retour", "en": "Back"},
    "language_switch": {"fr": "English", "en": "Français"},
    # staff sign-in (/connexion)
    "login_title": {"fr": "Connexion de l'équipe", "en": "Staff sign-in"},
    "login_intro": {"fr": "Réservé à la coordination et au standard d'Emmaüs Défi.",
                    "en": "For Emmaüs Défi coordination and switchboard staff."},
    "login_username": {"fr": "Identifiant", "en": "Username"},
    "login_password": {"fr": "Mot de passe", "en": "Password"},
    "login_submit": {"fr": "Se connecter", "en": "Sign in"},
    "login_failed": {"fr": "Identifiant ou mot de passe incorrect.", "en": "Unknown username or wrong password."},
    "login_cross_site": {"fr": "Connexion refusée : ouvrez la page de connexion de ce site et réessayez.",
                         "en": "Sign-in refused: open this site's sign-in page and try again."},
    "login_required": {"fr": "Connectez-vous pour continuer.", "en": "Please sign in to continue."},
    "logout": {"fr": "Se déconnecter", "en": "Sign out"},
    "logged_out": {"fr": "Vous êtes déconnecté.", "en": "You are signed out."},
    "error_401": {"fr": "Connectez-vous pour voir cette page.", "en": "Please sign in to see this page."},
    "error_429": {"fr": "Trop de demandes. Réessayez dans une minute.",
                  "en": "Too many requests. Please try again in a minute."},
    # kinds
    "kind_relay_point": {"fr": "Amistock (point relais)", "en": "Amistock (relay point)"},
    "kind_pickup": {"fr": "Enlèvement à domicile", "en": "Home pickup"},
    "kind_break": {"fr": "Pause déjeuner", "en": "Lunch break"},
    "kind_unload": {"fr": "Déchargement au dépôt", "en": "Unloading at the depot"},
    # manifest
    "manifest_title": {"fr": "Feuille de route", "en": "Route manifest"},
    "date": {"fr": "Date", "en": "Date"},
    "van": {"fr": "Camion", "en": "Van"},
    "crew": {"fr": "Équipe", "en": "Crew"},
    "start_end": {"fr": "Départ – retour", "en": "Start – end"},
    "distance": {"fr": "Distance", "en": "Distance"},
    "expected_volume": {"fr": "Volume prévu", "en": "Expected volume"},
    "lunch_break": {"fr": "Pause déjeuner", "en": "Lunch break"},
    "stops": {"fr": "Arrêts", "en": "Stops"},
    "time": {"fr": "Heure", "en": "Time"},
    "window": {"fr": "Créneau", "en": "Window"},
    "address": {"fr": "Adresse", "en": "Address"},
    "access": {"fr": "Accès", "en": "Access"},
    "contact": {"fr": "Contact", "en": "Contact"},
    "kind": {"fr": "Type", "en": "Kind"},
    "collected_m3": {"fr": "Collecté (m³)", "en": "Collected (m³)"},
    "signature": {"fr": "Signature", "en": "Signature"},
    "qr_caption": {"fr": "Feuille de route sur téléphone : scannez ce code.",
                   "en": "Route sheet on your phone: scan this code."},
    "map_unavailable": {"fr": "Carte indisponible : un arrêt de la tournée est hors du réseau routier connu. "
                              "Suivez l'ordre des arrêts et leurs adresses.",
                        "en": "Map unavailable: a stop of this round is off the known road network. "
                              "Follow the order of the stops and their addresses."},
    "map_caption": {"fr": "Parcours sur les rues de Paris (arrêts numérotés, D = dépôt)",
                    "en": "Route over the streets of Paris (numbered stops, D = depot)"},
    "summary_title": {"fr": "Synthèse de la journée", "en": "Day summary"},
    "plan": {"fr": "Plan", "en": "Plan"},
    "status": {"fr": "Statut", "en": "Status"},
    "status_draft": {"fr": "brouillon", "en": "draft"},
    "status_published": {"fr": "publié", "en": "published"},
    "rounds": {"fr": "Tournées", "en": "Rounds"},
    "round": {"fr": "Tournée", "en": "Round"},
    "totals": {"fr": "Totaux", "en": "Totals"},
    "unassigned": {"fr": "Visites non planifiées", "en": "Unassigned visits"},
    "none": {"fr": "aucune", "en": "none"},
    "reason": {"fr": "Raison", "en": "Reason"},
    "detail": {"fr": "Détail", "en": "Detail"},
    "mandatory": {"fr": "obligatoire", "en": "mandatory"},
    "visits": {"fr": "visites", "en": "visits"},
    "page": {"fr": "Page", "en": "Page"},
    "infeasible": {"fr": "Plan incomplet", "en": "Incomplete plan"},
    # driver sheet
    "sheet_title": {"fr": "Ma tournée", "en": "My round"},
    "arrived": {"fr": "Arrivé", "en": "Arrived"},
    "collected": {"fr": "Collecté", "en": "Collected"},
    "missed": {"fr": "Pas collecté", "en": "Missed"},
    "call": {"fr": "Appeler", "en": "Call"},
    "navigate": {"fr": "Itinéraire", "en": "Navigate"},
    "osm_map": {"fr": "Carte OSM", "en": "OSM map"},
    "m3_collected_prompt": {"fr": "Volume collecté (m³)", "en": "Volume collected (m³)"},
    "remaining_prompt": {"fr": "Reste sur place (m³, 0 si tout est pris)",
                         "en": "Left on site (m³, 0 if everything was taken)"},
    "missed_reason_prompt": {"fr": "Pourquoi ?", "en": "Why?"},
    "note": {"fr": "Remarque", "en": "Note"},
    "confirm": {"fr": "Valider", "en": "Confirm"},
    "cancel": {"fr": "Annuler", "en": "Cancel"},
    "offline_banner": {"fr": "Hors connexion : les mises à jour seront envoyées au retour du réseau.",
                       "en": "Offline: updates will be sent when the network is back."},
    "pending": {"fr": "en attente d'envoi", "en": "waiting to be sent"},
    # Updates the server refused (dispatch/field/held.py): kept on the phone, handed over to the coordinator.
    "not_sent_title": {"fr": "Non envoyé", "en": "Not sent"},
    "not_sent_help": {"fr": "Ces mises à jour ont été refusées. Elles restent ici et sont transmises à la "
                              "coordination, qui les enregistrera.",
                      "en": "These updates were refused. They stay here and are handed over to the coordinator, "
                            "who will record them."},
    "refused_link": {"fr": "lien expiré ou tournée remplacée", "en": "link expired or round replaced"},
    "refused_stop": {"fr": "arrêt déplacé ou retiré de la tournée", "en": "stop moved or removed from the round"},
    "refused_plan": {"fr": "plan modifié ou pas encore publié", "en": "plan changed or not published yet"},
    "refused_other": {"fr": "refusée par le serveur", "en": "refused by the server"},
    "held_sent": {"fr": "transmise à la coordination", "en": "handed over to the coordinator"},
    "held_waiting": {"fr": "sera transmise dès qu'un lien valide est ouvert",
                     "en": "will be handed over once a valid link is opened"},
    "saved": {"fr": "enregistré", "en": "saved"},
    "not_published": {
        "fr": "Le plan de cette journée n'est pas encore publié : les arrêts ne peuvent pas être mis à jour.",
        "en": "This day's plan is not published yet: stops cannot be updated.",
    },
    "plan_not_published_banner": {"fr": "Plan pas encore publié : consultation seulement.",
                                  "en": "Plan not published yet: read only."},
    "missed_absent": {"fr": "Personne sur place / fermé", "en": "Nobody there / closed"},
    "missed_access": {"fr": "Accès impossible", "en": "No access"},
    "missed_refused": {"fr": "Objets refusés", "en": "Items refused"},
    "missed_full": {"fr": "Camion plein", "en": "Van full"},
    "missed_other": {"fr": "Autre raison", "en": "Other reason"},
    "ev_arrived": {"fr": "Arrivé", "en": "Arrived"},
    # crew rules (dispatch/field/crew_rules.py): refusals and volumes to confirm, in the crew's words
    "ev_refused_correction_reason": {
        "fr": "Cet arrêt est déjà noté « {state} ». Pour le corriger, indiquez la raison de la correction.",
        "en": "This stop is already recorded as “{state}”. To correct it, give the reason for the correction."},
    "ev_refused_corrected": {
        "fr": "Cet arrêt a déjà été corrigé une fois (« {state} ») : appelez la coordination pour le changer.",
        "en": "This stop was already corrected once (“{state}”): call the coordination to change it."},
    "ev_refused_before_day": {"fr": "Cette tournée est prévue le {date} : rien ne peut être noté avant ce jour-là.",
                              "en": "This round is planned for {date}: nothing can be recorded before that day."},
    "ev_refused_not_in_round": {
        "fr": "Cet arrêt ne fait plus partie de votre tournée (elle a changé) : cette mise à jour n'est pas "
              "enregistrée.",
        "en": "This stop is no longer part of your round (it changed): this update was not recorded."},
    "ev_confirm_volume_high": {"fr": "{volume} m³, c'est bien plus que prévu ({expected} m³). Est-ce exact ?",
                               "en": "{volume} m³ is far more than expected ({expected} m³). Is it right?"},
    "ev_confirm_over_capacity": {
        "fr": "{volume} m³ dépasse la place restante dans le camion ({left} m³). Est-ce exact ?",
        "en": "{volume} m³ is more than the room left in the van ({left} m³). Is it right?"},
    "ev_refused": {"fr": "refusé", "en": "refused"},
    "correction_prompt": {"fr": "Raison de la correction", "en": "Reason for the correction"},
    "round_changed": {"fr": "Votre tournée a changé", "en": "Your round has changed"},
    "round_changed_show": {"fr": "Afficher la nouvelle tournée", "en": "Show the new round"},
    "round_changed_order": {"fr": "Nouvel ordre des arrêts :", "en": "New order of the stops:"},
    "ev_collected": {"fr": "Collecté", "en": "Collected"},
    "ev_missed": {"fr": "Pas collecté", "en": "Missed"},
    "depot": {"fr": "Dépôt", "en": "Depot"},
    # relay point page
    "rp_level": {"fr": "Niveau actuel", "en": "Current level"},
    "rp_full_button": {"fr": "Nous sommes pleins", "en": "We are full"},
    "rp_choose_level": {"fr": "Ou indiquez le niveau :", "en": "Or give the level:"},
    "rp_thanks": {"fr": "Merci ! C'est noté, une équipe passera bientôt.",
                  "en": "Thank you! Noted, a crew will come soon."},
    "rp_thanks_level": {"fr": "Merci ! Niveau enregistré : {level} %.", "en": "Thank you! Level recorded: {level} %."},
    "rp_duplicate": {"fr": "C'est déjà noté (signalé il y a moins de 10 minutes). Merci !",
                     "en": "Already noted (reported less than 10 minutes ago). Thank you!"},
    "rp_last_collection": {"fr": "Dernière collecte", "en": "Last collection"},
    "rp_never": {"fr": "pas encore", "en": "not yet"},
    "rp_is_full": {"fr": "Signalé plein", "en": "Reported full"},
    "rp_last_report": {"fr": "Dernier signalement", "en": "Last report"},
    "poster_title": {"fr": "Amistock — signalez-nous quand c'est plein",
                     "en": "Amistock — tell us when it is full"},
    "poster_text": {
        "fr": "Le bac de dons est plein ? Scannez ce code avec votre téléphone et appuyez sur « Nous sommes pleins ». "
              "Une équipe d'Emmaüs Défi viendra le vider.",
        "en": "Is the donation box full? Scan this code with your phone and press “We are full”. "
              "An Emmaüs Défi crew will come and empty it.",
    },
    # donor page
    "donor_title": {"fr": "Donner à Emmaüs Défi", "en": "Give to Emmaüs Défi"},
    "donor_intro": {
        "fr": "Déposez vos dons dans un Amistock près de chez vous, ou demandez un enlèvement à domicile "
              "pour les gros volumes.",
        "en": "Drop your donations at an Amistock near you, or request a home pickup for large volumes.",
    },
    "where_are_you": {"fr": "Où êtes-vous ?", "en": "Where are you?"},
    "use_my_position": {"fr": "Utiliser ma position", "en": "Use my position"},
    "address_none": {"fr": "Aucune adresse trouvée : vérifiez le numéro et le nom de la rue.",
                     "en": "No address found: check the number and the street's name."},
    "address_chosen": {"fr": "Adresse retenue :", "en": "Address chosen:"},
    "address_nearest": {"fr": "Adresse la plus proche de votre position (vérifiez-la) :",
                        "en": "Address nearest to your position (check it):"},
    "address_add_number": {"fr": "Ajoutez le numéro devant le nom de la rue.",
                           "en": "Add the house number in front of the street's name."},
    "address_example": {"fr": "ex. 12 rue de Belleville 75020", "en": "e.g. 12 rue de Belleville 75020"},
    "search_address": {"fr": "Rechercher une adresse", "en": "Search an address"},
    "latitude": {"fr": "Latitude", "en": "Latitude"},
    "longitude": {"fr": "Longitude", "en": "Longitude"},
    "find_relay_points": {"fr": "Trouver les Amistocks proches", "en": "Find nearby Amistocks"},
    "nearest_title": {"fr": "Les Amistocks les plus proches", "en": "The nearest Amistocks"},
    "by_road": {"fr": "par la rue", "en": "by road"},
    "walk_min": {"fr": "{minutes} min à pied", "en": "{minutes} min walk"},
    "pickup_title": {"fr": "Demander un enlèvement à domicile", "en": "Request a home pickup"},
    "donor_name": {"fr": "Nom", "en": "Name"},
    "phone": {"fr": "Téléphone", "en": "Phone"},
    "postcode": {"fr": "Code postal", "en": "Postcode"},
    "volume_m3": {"fr": "Volume estimé (m³)", "en": "Estimated volume (m³)"},
    "categories": {"fr": "Objets", "en": "Items"},
    "pickup_date": {"fr": "Date souhaitée", "en": "Preferred date"},
    "slot": {"fr": "Créneau", "en": "Slot"},
    "slot_morning": {"fr": "Matin ({hours})", "en": "Morning ({hours})"},
    "slot_afternoon": {"fr": "Après-midi ({hours})", "en": "Afternoon ({hours})"},
    # the week ahead (/semaine, dispatch/planning/week.py)
    "week_title": {"fr": "La semaine à venir", "en": "The week ahead"},
    "week_intro": {"fr": "Les prochains jours de collecte : les Amistocks à vider et pourquoi, la charge par camion, "
                         "les enlèvements déjà réservés, et les jours que la flotte ne peut pas couvrir.",
                   "en": "The next collection days: the relay points to empty and why, the load per van, the home "
                         "pickups already booked, and the days the fleet cannot cover."},
    "week_source_published": {"fr": "plan publié", "en": "published plan"},
    "week_source_draft": {"fr": "brouillon", "en": "draft"},
    "week_source_projected": {"fr": "prévision", "en": "forecast"},
    "week_load": {"fr": "{load} pour {vans} camion(s) : {per_van} par camion (capacité {capacity}, {stops} arrêts "
                        "sur {capacity_stops})",
                  "en": "{load} for {vans} van(s): {per_van} a van (capacity {capacity}, {stops} stops of "
                        "{capacity_stops})"},
    "week_pickups": {"fr": "{n} enlèvement(s) à domicile réservé(s), {m3}", "en": "{n} home pickup(s) booked, {m3}"},
    "week_overloaded": {"fr": "Jour surchargé", "en": "Overloaded day"},
    "week_ok": {"fr": "La flotte suffit", "en": "The fleet is enough"},
    "week_why_planned": {"fr": "dans le plan du jour", "en": "in the day's plan"},
    "week_why_full": {"fr": "signalé plein", "en": "reported full"},
    "week_why_mandatory": {"fr": "plein probable avant le prochain passage ({p})",
                           "en": "probably full before its next visit ({p})"},
    "week_optional": {"fr": "Si un camion passe à côté : {names}", "en": "If a van passes by: {names}"},
    "week_fix_van": {"fr": "Remettre en service le camion {van}", "en": "Bring back van {van}"},
    "week_fix_saturday": {"fr": "Ajouter une tournée le {date}", "en": "Add a round on {date}"},
    "week_fix_move": {"fr": "Reporter au {date} : {names}", "en": "Move to {date}: {names}"},
    "week_short_m3": {"fr": "Il manque {m3} de place dans les camions.", "en": "The vans are {m3} short."},
    "week_short_stops": {"fr": "Il manque le temps de {stops} arrêt(s).", "en": "The shifts are {stops} stop(s) short."},
    "week_twice": {"fr": "{name} est prévu deux fois : le {first} et le {second}.",
                   "en": "{name} is planned twice: on {first} and {second}."},
    "week_none": {"fr": "Aucun", "en": "None"},
    "floor": {"fr": "Étage", "en": "Floor"},
    "has_lift": {"fr": "Ascenseur", "en": "Lift"},
    "access_code": {"fr": "Code d'accès", "en": "Door code"},
    "notes": {"fr": "Précisions", "en": "Details"},
    "send_request": {"fr": "Envoyer la demande", "en": "Send the request"},
    "live_ok": {"fr": "Votre demande respecte nos règles de collecte.", "en": "Your request meets our collection rules."},
    "accepted_title": {"fr": "Demande acceptée", "en": "Request accepted"},
    "accepted_text": {
        "fr": "Merci ! Votre demande {ref} est acceptée pour le {date} ({slot}). Nous vous appellerons la veille.",
        "en": "Thank you! Your request {ref} is accepted for {date} ({slot}). We will call you the day before.",
    },
    "refused_title": {"fr": "Nous ne pouvons pas accepter cette demande", "en": "We cannot accept this request"},
    "refused_suggest": {"fr": "Vous pouvez déposer vos dons dans un de ces Amistocks :",
                        "en": "You can drop your donations at one of these Amistocks:"},
    "position_needed": {"fr": "Indiquez votre position (adresse, géolocalisation ou coordonnées).",
                        "en": "Give your position (address, geolocation or coordinates)."},
    "outside_area": {"fr": "Cette position est en dehors de la zone desservie (Paris).",
                     "en": "This position is outside the served area (Paris)."},
    "field_required": {"fr": "« {field} » est obligatoire.", "en": "“{field}” is required."},
    "field_invalid": {"fr": "« {field} » n'est pas valide.", "en": "“{field}” is not valid."},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    # coordinator day view
    "day_title": {"fr": "Journée du {date}", "en": "Day of {date}"},
    "no_plan": {"fr": "Pas encore de plan pour cette journée.", "en": "No plan for this day yet."},
    "plan_button": {"fr": "Planifier / re-planifier", "en": "Plan / re-plan"},
    "publish_button": {"fr": "Publier le plan", "en": "Publish the plan"},
    "accept_unassigned": {"fr": "publier malgré les visites obligatoires non planifiées",
                          "en": "publish despite unassigned mandatory visits"},
    "manifest_pdf": {"fr": "Feuille PDF", "en": "PDF manifest"},
    "summary_pdf": {"fr": "Synthèse PDF", "en": "Summary PDF"},
    "route_sheet": {"fr": "Lien équipe", "en": "Crew link"},
    "published_ok": {"fr": "Plan publié.", "en": "Plan published."},
    "planned_ok": {"fr": "Journée planifiée.", "en": "Day planned."},
    "time_limit": {"fr": "Temps de calcul (s)", "en": "Time limit (s)"},
    "balance_label": {"fr": "Équilibrer le temps de travail des équipes", "en": "Balance the crews' working time"},
    "work_times": {"fr": "Temps de travail", "en": "Working time"},
    "spread": {"fr": "écart", "en": "spread"},
    "balanced": {"fr": "équilibré", "en": "balanced"},
    # planning jobs on the day page: the solve runs outside the request, its progress is shown
    "job_running": {"fr": "Calcul en cours", "en": "Planning in progress"},
    "job_queued": {"fr": "En attente du calculateur…", "en": "Waiting for the planner…"},
    "job_progress": {"fr": "{phase} · {elapsed} s écoulées sur {limit} s · {solutions} solutions trouvées",
                     "en": "{phase} · {elapsed} s of {limit} s · {solutions} solutions found"},
    "job_phase_building": {"fr": "lecture des données et des distances", "en": "reading data and road times"},
    "job_phase_solving": {"fr": "recherche des tournées", "en": "searching the rounds"},
    "job_phase_storing": {"fr": "enregistrement", "en": "storing"},
    "job_phase_queued": {"fr": "en attente", "en": "queued"},
    "job_failed": {"fr": "Le calcul a échoué, rien n'a été changé : {error}",
                   "en": "Planning failed, nothing was changed: {error}"},
    "job_cancel": {"fr": "Annuler le calcul", "en": "Cancel planning"},
    "job_busy": {"fr": "Un calcul est déjà en cours pour cette journée : attendez sa fin.",
                 "en": "This day is already being planned: wait for it to finish."},
    "history_title": {"fr": "Versions précédentes", "en": "Earlier versions"},
    # the day as it happens (dispatch/field/live.py) and edits on the day page (dispatch/static/day.js)
    "live_title": {"fr": "La journée en direct", "en": "The day as it happens"},
    "live_full_today": {"fr": "Points relais pleins aujourd'hui", "en": "Relay points full today"},
    "live_alerts": {"fr": "À décider", "en": "Needs a decision"},
    "live_none": {"fr": "Rien pour l'instant.", "en": "Nothing yet."},
    "live_late": {"fr": "en retard de {minutes} min", "en": "{minutes} min late"},
    "live_state_done": {"fr": "collecté", "en": "collected"},
    "live_state_missed": {"fr": "pas collecté", "en": "missed"},
    "live_state_here": {"fr": "sur place", "en": "on site"},
    "live_state_todo": {"fr": "à faire", "en": "to do"},
    "live_changed": {"fr": "Le plan a changé (version {version}) : rechargez la page.",
                     "en": "The plan changed (version {version}): reload the page."},
    "alert_missed_pickup": {"fr": "Enlèvement manqué : {name} ({crew}) — {reason}. Rappeler le donateur.",
                            "en": "Missed pickup: {name} ({crew}) — {reason}. Call the donor back."},
    "alert_volume_volume_high": {"fr": "{crew} a collecté {volume} m³ chez {name}, bien plus que prévu : à vérifier.",
                                 "en": "{crew} collected {volume} m³ at {name}, far more than expected: check it."},
    "alert_volume_over_capacity": {"fr": "{crew} a collecté {volume} m³ chez {name}, plus que la place restante dans "
                                         "le camion : à vérifier.",
                                   "en": "{crew} collected {volume} m³ at {name}, more than the room left in the "
                                         "van: check it."},
    "alert_late_window": {"fr": "{crew} est en retard : {name} ferme à {end}. Re-planifier ?",
                          "en": "{crew} is late: {name} closes at {end}. Re-plan?"},
    "alert_full_not_planned": {"fr": "{name} a signalé « plein » à {at} et n'est dans aucune tournée à venir.",
                               "en": "{name} called “full” at {at} and is in no round still to do."},
    "edit_up": {"fr": "Monter", "en": "Up"},
    "edit_down": {"fr": "Descendre", "en": "Down"},
    "edit_lock": {"fr": "Verrouiller", "en": "Lock"},
    "edit_unlock": {"fr": "Déverrouiller", "en": "Unlock"},
    "edit_drop": {"fr": "Retirer", "en": "Drop"},
    "edit_move_to": {"fr": "Mettre dans", "en": "Move to"},
    "edit_insert": {"fr": "Insérer au meilleur endroit", "en": "Insert at the best place"},
    "edit_reoptimise": {"fr": "Ré-optimiser", "en": "Re-optimise"},
    "edit_replan": {"fr": "Re-planifier à partir de maintenant", "en": "Re-plan from now"},
    "edit_preview_title": {"fr": "Effet de la modification", "en": "Effect of the change"},
    "edit_save": {"fr": "Enregistrer", "en": "Save"},
    "edit_cancel": {"fr": "Annuler", "en": "Cancel"},
    "edit_force": {"fr": "Enregistrer quand même", "en": "Save anyway"},
    "edit_km": {"fr": "Distance totale : {before} km → {after} km", "en": "Total distance: {before} km → {after} km"},
    "edit_round_end": {"fr": "{crew} : fin {before} → {after}", "en": "{crew}: ends {before} → {after}"},
    "edit_stop_time": {"fr": "{name} : {before} → {after}", "en": "{name}: {before} → {after}"},
    "edit_refused": {"fr": "Refusé : {detail}", "en": "Refused: {detail}"},
    "edit_conflict": {"fr": "Un autre coordinateur a modifié le plan entre-temps ({changes}). Rechargez la page "
                            "pour voir sa version, puis refaites votre modification.",
                      "en": "Another coordinator changed the plan meanwhile ({changes}). Reload the page to see "
                            "their version, then redo your change."},
    "edit_reload": {"fr": "Recharger", "en": "Reload"},
    "rule_time_window": {"fr": "{stop} serait atteint à {at}, en dehors de ses horaires ({hours})",
                         "en": "{stop} would be reached at {at}, outside its hours ({hours})"},
    "rule_shift_end": {"fr": "la tournée de {crew} finirait à {end}, après la fin de service à {shift_end}",
                       "en": "the round of {crew} would end at {end}, after its shift ends at {shift_end}"},
    "rule_capacity": {"fr": "le camion de {crew} dépasserait ses {capacity_m3} m³",
                      "en": "the van of {crew} would be over its {capacity_m3} m³"},
    "rule_break": {"fr": "la pause déjeuner de {crew} ne tiendrait plus dans sa plage",
                   "en": "the lunch break of {crew} would not fit in its window"},
    "rule_closed": {"fr": "{stop} est fermé ce jour-là", "en": "{stop} is closed that day"},
    "replan_title": {"fr": "Re-planification proposée (à partir de {at})", "en": "Proposed re-plan (from {at})"},
    "replan_moved": {"fr": "Changent de camion", "en": "Move to another van"},
    "replan_added": {"fr": "Ajoutés", "en": "Added"},
    "replan_left_out": {"fr": "Laissés de côté", "en": "Left out"},
    "replan_times": {"fr": "Horaires modifiés", "en": "Times changed"},
    "replan_apply": {"fr": "Appliquer cette re-planification", "en": "Apply this re-plan"},
    "replan_booked": {"fr": "Enlèvements réservés laissés de côté : {names}. Cochez ceux à retirer, ou relancez avec "
                            "plus de temps.",
                      "en": "Booked pickups left out: {names}. Tick those to drop, or run again with more time."},
    "replan_drop_and_rerun": {"fr": "Retirer les enlèvements cochés et recalculer",
                              "en": "Drop the ticked pickups and compute again"},
    "replan_not_placed": {"fr": "Toujours sans tournée", "en": "Still in no round"},
    "replan_from": {"fr": "à partir de", "en": "from"},
    "replan_applied": {"fr": "Re-planification appliquée.", "en": "Re-plan applied."},
    "status_replaced": {"fr": "remplacé", "en": "replaced"},
    # coordinator day view: vans and crews not available that day (dispatch/fleet/calendars.py)
    "vans_out_title": {"fr": "Camions et équipes indisponibles", "en": "Vans and crews unavailable"},
    "vans_out_none": {"fr": "Tous les camions et leurs équipes sont disponibles ce jour-là.",
                      "en": "Every van and its crew is available that day."},
    "vans_out_since_plan": {"fr": "indisponible depuis le calcul du plan : re-planifiez",
                            "en": "unavailable since the plan was made: re-plan"},
    "vans_out_back": {"fr": "de nouveau disponible depuis le calcul du plan", "en": "available again since the plan was made"},
    "van_out_inactive": {"fr": "hors service", "en": "out of service"},
    "van_out_maintenance": {"fr": "entretien / indisponible", "en": "maintenance / unavailable"},
    "van_out_no_crew": {"fr": "pas d'équipe disponible", "en": "no crew available"},
    # donor page: slots still open (checked against the days' plans, dispatch/pickups/slots.py)
    "alternatives_title": {"fr": "Créneaux où nous pouvons encore passer :",
                           "en": "Slots where we can still come:"},
    "alternatives_none": {"fr": "Aucun créneau libre dans les prochaines semaines : appelez-nous.",
                          "en": "No slot free in the coming weeks: please call us."},
    "alternative_choose": {"fr": "Choisir ce créneau", "en": "Choose this slot"},
}

UNASSIGNED_REASONS = {
    "capacity": {"fr": "capacité des camions", "en": "van capacity"},
    "time_window": {"fr": "horaires incompatibles", "en": "time window"},
    "shift": {"fr": "fin de journée des équipes", "en": "crew shift"},
    "skill": {"fr": "équipement requis", "en": "required equipment"},
    "unreachable": {"fr": "inaccessible par la route", "en": "unreachable by road"},
    "cost": {"fr": "reporté (détour trop coûteux)", "en": "postponed (detour too costly)"},
    "closed": {"fr": "fermé ce jour-là", "en": "closed that day"},
    "site_too_far": {"fr": "trop loin d'une rue", "en": "too far from a street"},
}

MISSED_REASONS = ("absent", "access", "refused", "full", "other")

_WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def text(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    value = entry.get(lang) or entry[DEFAULT_LANG]
    if key.startswith("slot_") and "hours" not in params:  # the hours come from the one table of slots
        params = {**params, "hours": slot_hours(key.removeprefix("slot_"), lang)}
    value = value.format(**params) if params else value
    return french_spaces(value) if lang == "fr" else value


def french_spaces(value: str) -> str:
    """French typography: a non-breaking space before ':', ';', '?' and '!' (an ordinary space becomes one)."""
    for mark in (":", ";", "?", "!"):
        value = value.replace(f" {mark}", f"\u00a0{mark}")
    return value


class Translator:
    """``_ = Translator("fr"); _("van")`` in templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG

    def __call__(self, key: str, **params: Any) -> str:
        return text(key, self.lang, **params)


def format_date(day: dt.date | str, lang: str = DEFAULT_LANG) -> str:
    """'mardi 1er décembre 2026' / 'Tuesday 1 December 2026' (of a date or an ISO date string)."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{_WEEKDAYS[lang][day.weekday()]} {number} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_time(moment: dt.datetime | None, lang: str = DEFAULT_LANG) -> str:
    if moment is None:
        return ""
    return f"{moment:%H}h{moment:%M}" if lang == "fr" else f"{moment:%H:%M}"


def format_number(value: float | None, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """12.5 -> '12,5' in French, '12.5' in English."""
    if value is None:
        return ""
    out = f"{value:.{digits}f}"
    return out.replace(".", ",") if lang == "fr" else out


def format_m3(value: float | None, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return ""
    out = f"{value:.1f}"
    return (out.replace(".", ",") if lang == "fr" else out) + " m³"


def unassigned_reason(code: str, lang: str = DEFAULT_LANG) -> str:
    return UNASSIGNED_REASONS.get(code, {}).get(lang, code)


def stop_kind(kind: str, lang: str = DEFAULT_LANG) -> str:
    return text(f"kind_{kind}", lang)
