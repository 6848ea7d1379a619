"""Data exchange: imports, exports, reports, webhooks."""
