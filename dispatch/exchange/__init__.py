"""Data in and out: CSV imports and exports, reports, webhooks."""
