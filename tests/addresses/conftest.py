"""Address tests use the API fixtures (a seeded database, the Paris road network, signed-in clients)."""

from tests.api.conftest import api_app, anon_client, client, client_as, seeded  # noqa: F401
