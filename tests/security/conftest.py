"""The API fixtures (an app over the seeded demo, clients per role) shared with tests/api."""

from tests.api.conftest import anon_client, api_app, client, client_as, seeded  # noqa: F401
