"""The text catalogue's tables, one module per area of the application: plain constants, nothing else.

Each module holds ``TEXTS``, ``{key: {"fr": ..., "en": ...}}``; a key belongs to one area only (checked by
tests/documents/test_i18n_catalogue.py). :mod:`dispatch.documents.i18n` joins them into the one catalogue,
``MESSAGES``, and looks texts up there.

| module | area |
|--------|------|
| `donors.py` | the donors' pages: tracking a pickup, the booking page, the slots still open |
| `switchboard.py` | the switchboard page, where a coordinator takes a donor's call |
| `common.py` | every page: the application's name, errors, staff sign-in, the kinds of stop |
| `crews.py` | the manifest, the driver sheet, updates the server refused, the crew rules |
| `relay_points.py` | the relay point page |
| `week.py` | the week ahead |
| `day.py` | the coordinator's day view: planning jobs, the day as it happens, edits, vans unavailable |
"""

from dispatch.documents.texts import common, crews, day, donors, relay_points, switchboard, week

AREAS = (donors, switchboard, common, crews, relay_points, week, day)  # the catalogue's order
