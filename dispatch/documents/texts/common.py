"""Texts of every page: the application's name, errors, staff sign-in (/connexion), the kinds of stop: French and English, by key (part of :data:`dispatch.documents.i18n.MESSAGES`)."""

TEXTS: dict[str, dict[str, str]] = {
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
}
