"""Relay points (Amistocks): listing, fill reports, opening hours."""
