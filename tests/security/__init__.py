"""Security properties proven over every route: personal data, roles."""
