"""The donor-message worker: one round queues the visit windows that are due (dispatch/messages/triggers.py)
and sends the due messages of the outbox (dispatch/messages/outbox.py), one per transaction.

Run by the API's thread (:class:`MessageThread`, in-process job backend, when a channel is configured), by the
Celery beat task ``dispatch.deliver_donor_messages``, or by ``dispatch messages deliver [--loop]``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from dispatch.messages import channels
from dispatch.messages.outbox import DeliveryStats, Sender, deliver_pending
from dispatch.messages.triggers import queue_visit_windows
from dispatch.models import utcnow
from dispatch.jobs import PeriodicThread
from dispatch.settings import Settings

log = logging.getLogger("dispatch.messages")


def run(engine, settings: Settings, *, send: Sender = channels.send, clock: Callable[[], dt.datetime] = utcnow,
        max_messages: int = 500) -> DeliveryStats:
    """The worker's round (the API thread, ``dispatch messages deliver``, the Celery beat task): queue the
    visit windows that are due, then send due messages one per transaction, so that a message handed over
    is recorded as sent at once (a crash can repeat at most the one message in flight, and its e-mail keeps
    the same Message-ID)."""
    from dispatch.db import session_scope

    with session_scope(engine) as session:
        queue_visit_windows(session=session, settings=settings, now=clock())
    total = DeliveryStats()
    for _ in range(max_messages):
        with session_scope(engine) as session:
            one = deliver_pending(session=session, settings=settings, send=send, clock=clock, limit=1)
        for name, value in one.to_dict().items():
            setattr(total, name, getattr(total, name) + value)
        if one.attempted == 0 and one.skipped == 0:
            break
    return total


class MessageThread(PeriodicThread):
    """The API's in-process delivery of donor messages: every ``interval`` seconds, one :func:`run`."""

    def __init__(self, engine, settings: Settings, *, interval_s: float) -> None:
        super().__init__("donor message", interval_s, lambda: run(engine, settings), log)
