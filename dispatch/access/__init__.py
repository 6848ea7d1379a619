"""Who may do what: accounts and tokens, the audit log, data retention."""
