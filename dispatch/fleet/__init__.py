"""Vans, crews and calendars: who and what works on a day."""
