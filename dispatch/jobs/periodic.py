"""A daemon thread that runs one round of work every ``interval_s`` seconds until stopped: the API's
in-process delivery of webhooks (``exchange/webhooks.py``) and of donor messages (``messages/worker.py``).
A round that fails is logged and the next one comes as planned."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class PeriodicThread:
    def __init__(self, name: str, interval_s: float, work: Callable[[], object], log: logging.Logger) -> None:
        self._work, self._interval, self._log, self._name = work, interval_s, log, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._work()
            except Exception:  # noqa: BLE001 - keep going later (database or server down, table missing...)
                self._log.warning("%s round failed", self._name, exc_info=True)
