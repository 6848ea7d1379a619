"""Texts of the relay point page (a host reports its stock): French and English, by key (part of :data:`dispatch.documents.i18n.MESSAGES`)."""

TEXTS: dict[str, dict[str, str]] = {
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
}
