"""The API fixtures of tests/api (an app over the seeded demo, clients by role), for the attack suite."""

from tests.api.conftest import anon_client, api_app, client, client_as, seeded  # noqa: F401
