"""Server-rendered HTML pages for crews, relay points, donors and the coordinator (French by default), a module
per page family: ``sheet`` (crew route sheet /r), ``relay_point`` (/p), ``donor`` (/donner), ``day`` (the
coordinator's day /jour), ``week`` (/semaine), ``switchboard`` (/standard), ``login`` (/connexion); ``common``
renders them and turns errors into a friendly page in the visitor's language (HTMLErrorRoute)."""
