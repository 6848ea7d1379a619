"""Who may do what, what is kept and for how long: auth, audit, retention, donors' rights, backups."""
