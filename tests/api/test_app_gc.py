"""An API worker freezes the objects it keeps for its whole life (gc.freeze), so that the collector's
full passes stay short under load; it unfreezes them when it stops."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("freeze", [True, False])
def test_a_started_worker_freezes_its_long_lived_objects_only_when_asked(tmp_path, freeze):
    from api.app import create_app
    from dispatch.db import upgrade
    from dispatch.settings import Settings

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    settings = Settings(database_url=url, gc_freeze=freeze, job_isolation="thread", secret_key="test",
                        _env_file=None)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert (gc.get_freeze_count() > 0) is freeze
    assert gc.get_freeze_count() == 0
