"""The outbox of donor messages and its delivery loop.

A message is written to ``donor_message`` (one row per channel) **in the same transaction** as the
change it tells (a request accepted, cancelled, moved, a missed visit...): rolled back with it, or
waiting in the table if the process dies after the commit. :func:`queue` renders the text in the donor's
language and stores it once per ``dedupe_key`` (a second call for the same event adds nothing).
Nothing is queued for a donor who opted out; e-mail only with an address, SMS only to a mobile number.

:func:`deliver_pending` sends what is due (the same loop as webhooks, dispatch/exchange/webhooks.py): a success is
``sent``; a failure is retried with exponential backoff (``DISPATCH_MESSAGES_BACKOFF_S`` x 2^(n-1)) up to
``DISPATCH_MESSAGES_MAX_ATTEMPTS``, then ``failed``; a channel this server has no settings for is
``skipped`` without an attempt. On PostgreSQL due rows are locked (SKIP LOCKED): two workers never send the
same message. Services flush and never commit; the worker that runs delivery is dispatch/messages/worker.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.messages import channels, texts
from dispatch.models import DonorMessage, DonorMessageStatus, PickupRequest, utcnow
from dispatch.settings import Settings

log = logging.getLogger("dispatch.messages")
_FRENCH_MOBILE = re.compile(r"^(?:\+33|0033|0)([67]\d{8})$")


def sms_number(phone: str | None) -> str | None:
    """A French mobile number in international form (+336..., +337...), else None (no SMS to landlines)."""
    digits = re.sub(r"[ ().-]", "", phone or "")
    m = _FRENCH_MOBILE.match(digits)
    return f"+33{m.group(1)}" if m else None


def contacts(pu: PickupRequest) -> list[tuple[str, str]]:
    """(channel, recipient) the donor can be reached on; none when they opted out."""
    if pu.messages_opt_out:
        return []
    out = []
    if pu.email:
        out.append(("email", pu.email))
    number = sms_number(pu.phone)
    if number:
        out.append(("sms", number))
    return out


#: Stands for the server's public address in a stored text; the channel puts ``DISPATCH_BASE_URL`` there.
BASE_URL = "{base_url}"


def queue(pu: PickupRequest, kind: str, *, session: Session, key: str, day: dt.date | None = None, slot: str | None = None, start: dt.datetime | None = None,
          end: dt.datetime | None = None, at: dt.datetime | None = None,
          now: dt.datetime | None = None) -> list[DonorMessage]:
    """Queue message ``kind`` to the donor of ``pu`` on each of their channels, once per ``key``."""
    if kind not in texts.KINDS:
        raise ValueError(f"unknown donor message kind {kind!r}")
    reach = contacts(pu)
    if not reach:
        return []
    subject, body = texts.render(kind, pu.lang or "fr", ref=pu.ref, base_url=BASE_URL, day=day,
                                 slot=slot, start=start, end=end, at=at)
    when = now or utcnow()
    added = []
    for channel, recipient in reach:
        dedupe = f"{kind}:{pu.id}:{key}:{channel}"[:120]
        if session.scalar(select(DonorMessage.id).where(DonorMessage.dedupe_key == dedupe)) is not None:
            continue
        message = DonorMessage(pickup_request_id=pu.id, kind=kind, channel=channel, recipient=recipient,
                               lang=pu.lang or "fr", subject=subject[:200], body=body, dedupe_key=dedupe,
                               status=DonorMessageStatus.PENDING, attempts=0, next_attempt_at=when, created_at=when)
        session.add(message)
        added.append(message)
    if added:
        session.flush()
    return added


def messages_of(pickup_id: int, *, session: Session) -> list[DonorMessage]:
    return list(session.scalars(select(DonorMessage).where(DonorMessage.pickup_request_id == pickup_id)
                                .order_by(DonorMessage.id)).all())


@dataclass
class DeliveryStats:
    attempted: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


Sender = Callable[[DonorMessage, Settings], None]


def deliver_pending(*, session: Session, settings: Settings, send: Sender = channels.send,
                    clock: Callable[[], dt.datetime] = utcnow, limit: int = 50) -> DeliveryStats:
    """Send the messages that are due; record each attempt; retry failures with exponential backoff."""
    now = clock()
    query = (select(DonorMessage)
             .where(DonorMessage.status == DonorMessageStatus.PENDING, DonorMessage.next_attempt_at <= now)
             .order_by(DonorMessage.next_attempt_at, DonorMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=DonorMessage)
    stats = DeliveryStats()
    for message in session.scalars(query).all():
        why_not = channels.configured(message.channel, settings) if message.recipient else \
            "the donor's contact was removed (data retention)"
        if why_not is not None:
            message.status, message.last_error = DonorMessageStatus.SKIPPED, why_not
            stats.skipped += 1
            continue
        stats.attempted += 1
        message.attempts += 1
        message.last_attempt_at = clock()
        try:
            send(message, settings)
        except channels.SendFailed as exc:
            message.last_error = str(exc)[:1000]
            if message.attempts >= settings.messages_max_attempts:
                message.status = DonorMessageStatus.FAILED
                stats.failed += 1
                log.warning("donor message %s failed after %s attempts: %s", message.id, message.attempts, exc)
            else:
                delay = settings.messages_backoff_s * 2 ** (message.attempts - 1)
                message.next_attempt_at = now + dt.timedelta(seconds=delay)
                stats.retrying += 1
            continue
        message.status, message.sent_at, message.last_error = DonorMessageStatus.SENT, clock(), None
        stats.sent += 1
        session.flush()  # a sent message is recorded at once, before the next one is tried
    session.flush()
    return stats
