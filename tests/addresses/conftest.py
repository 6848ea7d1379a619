"""Address tests use the API fixtures (a seeded database, the Paris road network, signed-in clients), with the
bundled demo extract as the address index (an index imported into var/ by a developer is not used here)."""

import pytest

from tests.api.conftest import anon_client, api_app, client, client_as, seeded  # noqa: F401


@pytest.fixture
def settings(migrated_url: str, tmp_path):
    from dispatch.settings import Settings

    return Settings(database_url=migrated_url, solve_time_limit_s=3, webhook_delivery_interval_s=0,
                    job_isolation="thread", address_index_path=tmp_path / "no-index-here.csv.gz", _env_file=None)
