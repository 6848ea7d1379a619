"""Address tests use the API fixtures (a seeded database, the Paris road network, signed-in clients)."""

from tests.api.conftest import anon_client, api_app, client, client_as, seeded  # noqa: F401
