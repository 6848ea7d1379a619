"""Vans, crews, depots and their calendars."""
