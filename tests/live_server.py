"""A real uvicorn server on a free loopback port, in a thread of the test process (concurrency and fault
tests: real sockets, real concurrent clients, the app's own thread pool and connection pool)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)  # listening before the thread starts: clients can connect at once
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def fast_settings(settings, **changes):
    """Test settings with the public rate limits out of the way (they have their own tests), and jobs in a
    thread (where the tests' replacement road network is seen)."""
    return settings.model_copy(update={"rate_limit_public_per_minute": 10**9, "rate_limit_login_per_minute": 10**9,
                                       "rate_limit_phone_per_hour": 10**9, "login_free_failures": 100,
                                       "job_isolation": "thread", **changes})
