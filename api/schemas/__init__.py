"""Pydantic schemas of the HTTP API, separate from ORM and solver types, a module per concept:

- ``common``: ``Instant``, ``LocalDateTime`` and ``Problem`` (the error body), shared by the others;
- ``relay_points``: relay points, their forecasts and fill reports;
- ``pickups``: home-pickup requests, the rules' verdict, overrides;
- ``donor``: cancelling and moving home pickups, donor messages;
- ``plans``: a day's plan (``PlanIn``, ``DayOut``: rounds, stops, unassigned visits);
- ``jobs``: planning and edit jobs;
- ``fleet``: availability (relay-point settings and closures, vans, crews), pickup tracking, slot offers;
- ``exchange``: CSV imports and the monthly report;
- ``webhooks``: webhook subscriptions and deliveries.
"""
