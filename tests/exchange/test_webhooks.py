"""Webhooks: outbox rows written with the change, signed deliveries to a real local HTTP server, retries."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from dispatch.exchange import webhooks
from dispatch.db import session_scope
from dispatch.errors import InvalidInput
from dispatch.exchange.webhook_targets import TargetPolicy
from dispatch.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from dispatch.planning.plans import publish_plan
from dispatch.settings import Settings
from tests.plan_factory import build_plan

# The receivers run on this machine: allowed as an organisation allows its own inside receivers, with the
# setting DISPATCH_WEBHOOK_ALLOW_NETWORKS (tests/security/test_webhook_targets.py: refused without it).
LOCAL = Settings(_env_file=None, webhook_allow_networks="127.0.0.1/32")
POLICY = TargetPolicy.from_settings(LOCAL)

# The deliveries' clock: a day after the import (deliveries are created at the real time, then are due).
T0 = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=1)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers with the next scripted status."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802 - what a followed redirect would send
                receiver.received.append({"headers": dict(self.headers), "body": b"", "method": "GET"})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _clock(start: dt.datetime):
    now = [start]

    def clock() -> dt.datetime:
        return now[0]

    def advance(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    return clock, advance


@pytest.mark.parametrize("url", [
    "ftp://example.org/x", "javascript:alert(1)", "http://", "example.org/hook", "https://user:pw@example.org/",
    "http://exa mple.org/", "https://example.org:99999/", "file:///etc/passwd", "x" * 2001,
    "http://169.254.169.254/latest/meta-data", "http://0.0.0.0:8080/", "http://[fe80::1]/h",
])
def test_bad_urls_are_refused(session, url):
    with pytest.raises(InvalidInput) as exc:
        webhooks.create_subscription(url, ["plan.published"], session=session)
    assert exc.value.field == "url"


def test_events_must_be_known(session):
    with pytest.raises(InvalidInput, match="unknown event"):
        webhooks.create_subscription("https://example.org/h", ["plan.deleted"], session=session)
    with pytest.raises(InvalidInput, match="at least one"):
        webhooks.create_subscription("https://example.org/h", [], session=session)


def test_publishing_queues_each_subscribed_event(session):
    plan = build_plan(session)
    everything = webhooks.create_subscription("https://example.org/all", list(webhooks.EVENTS), session=session)
    plans_only = webhooks.create_subscription("https://example.org/plans", ["plan.published"], session=session)
    publish_plan(plan.id, session=session)
    rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    by_sub: dict[int, list[str]] = {}
    for row in rows:
        by_sub.setdefault(row.subscription_id, []).append(row.event)
    assert by_sub[plans_only.id] == ["plan.published"]
    assert sorted(by_sub[everything.id]) == sorted(
        ["plan.published"] + ["pickup.scheduled"] * 2 + ["relay_point.visit_planned"] * 3)
    published = next(r for r in rows if r.event == "plan.published")
    assert published.payload["data"] == {"plan_id": plan.id, "date": "2026-12-01", "rounds": 2, "stops": 5,
                                         "unassigned": 0, "solver_status": "solved"}
    pickup = next(r for r in rows if r.event == "pickup.scheduled")
    first_pickup = plan.rounds[0].stops[1].pickup_request
    assert pickup.payload["data"]["ref"] == first_pickup.ref
    assert pickup.payload["data"]["planned_arrival"] == "2026-12-01T09:30"
    assert pickup.payload["data"]["window"] == {"start": "2026-12-01T09:00", "end": "2026-12-01T10:00"}
    assert "donor_name" not in json.dumps(pickup.payload) and first_pickup.phone not in json.dumps(pickup.payload)
    visit = next(r for r in rows if r.event == "relay_point.visit_planned")
    assert visit.payload["data"]["code"] == plan.rounds[0].stops[0].relay_point.code
    # 08:40 planned at a relay point opening at 10:00: the window stays inside the opening hours.
    assert visit.payload["data"]["window"]["start"] >= "2026-12-01T08:10"
    assert all(r.status is WebhookDeliveryStatus.PENDING and r.attempts == 0 for r in rows)


def test_events_are_written_in_the_same_transaction_as_the_change(db_engine):
    with session_scope(db_engine) as s:
        plan_id = build_plan(s).id
        webhooks.create_subscription("https://example.org/h", ["plan.published"], session=s)
    # The publication fails after the events were queued: both are rolled back together.
    with pytest.raises(RuntimeError), session_scope(db_engine) as s:
        publish_plan(plan_id, session=s)
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        raise RuntimeError("the process dies before the commit")
    with session_scope(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        publish_plan(plan_id, session=s)
    with session_scope(db_engine) as s:  # committed together: the event waits in the outbox
        assert s.scalars(select(WebhookDelivery.event)).all() == ["plan.published"]


def test_signed_delivery_to_a_real_server_with_retries(session, receiver):
    plan = build_plan(session)
    sub = webhooks.create_subscription(receiver.url, ["plan.published"], session=session, policy=POLICY)
    publish_plan(plan.id, session=session)
    clock, advance = _clock(T0)
    receiver.statuses = [500, 503]

    stats = webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, backoff_s=30)
    assert stats.to_dict() == {"attempted": 1, "delivered": 0, "retrying": 1, "failed": 0}
    delivery = session.scalars(select(WebhookDelivery)).one()
    # The subscriber sees a neutral reason (the HTTP status is in the server log only).
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, None, webhooks.NOT_DELIVERED)
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30)

    advance(29)  # not due yet: nothing is posted
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, backoff_s=30).attempted == 0
    advance(1)
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, backoff_s=30).retrying == 1
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30 + 60)  # doubled
    advance(60)
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, backoff_s=30).delivered == 1
    assert delivery.status is WebhookDeliveryStatus.DELIVERED and delivery.attempts == 3
    assert delivery.delivered_at == T0 + dt.timedelta(seconds=90)
    advance(3600)
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock).attempted == 0  # never twice

    assert len(receiver.received) == 3
    last = receiver.received[-1]
    body, headers = last["body"], last["headers"]
    assert webhooks.verify(body, sub.secret, headers["X-Dispatch-Signature"])
    assert not webhooks.verify(body, "another secret", headers["X-Dispatch-Signature"])
    assert not webhooks.verify(body + b" ", sub.secret, headers["X-Dispatch-Signature"])
    payload = json.loads(body)
    assert payload["event"] == "plan.published" and payload["data"]["plan_id"] == plan.id
    assert payload["id"] == delivery.id and headers["X-Dispatch-Delivery"] == str(delivery.id)
    assert headers["X-Dispatch-Event"] == "plan.published"
    assert headers["Content-Type"].startswith("application/json")
    assert {r["body"] for r in receiver.received} == {body}  # every retry carries the same signed body


def test_redirects_are_not_followed(session, receiver):
    plan = build_plan(session)
    webhooks.create_subscription(receiver.url, ["plan.published"], session=session, policy=POLICY)
    publish_plan(plan.id, session=session)
    receiver.statuses = [302]
    clock, _ = _clock(T0)
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock).retrying == 1
    delivery = session.scalars(select(WebhookDelivery)).one()
    assert (delivery.last_status_code, delivery.last_error) == (None, webhooks.NOT_DELIVERED)
    assert len(receiver.received) == 1  # the Location was not followed


def test_an_unreachable_receiver_is_retried_then_given_up(session, receiver):
    dead = Receiver()
    dead_url = dead.url  # a port that was bound, then closed: connection refused
    dead.server.server_close()
    plan = build_plan(session)
    webhooks.create_subscription(dead_url, ["plan.published"], session=session, policy=POLICY)
    webhooks.create_subscription(receiver.url, ["plan.published"], session=session, policy=POLICY)
    publish_plan(plan.id, session=session)
    clock, advance = _clock(T0)
    stats = webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, max_attempts=3, backoff_s=10, timeout_s=2)
    assert (stats.delivered, stats.retrying) == (1, 1)  # one dead receiver does not block the others
    failing = session.scalars(select(WebhookDelivery).where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING)).one()
    assert failing.last_status_code is None and failing.last_error == webhooks.NOT_DELIVERED
    for wait in (10, 20):
        advance(wait)
        webhooks.deliver_pending(session=session, policy=POLICY, clock=clock, max_attempts=3, backoff_s=10, timeout_s=2)
    assert failing.status is WebhookDeliveryStatus.FAILED and failing.attempts == 3
    advance(10_000)
    assert webhooks.deliver_pending(session=session, policy=POLICY, clock=clock).attempted == 0
    assert len(receiver.received) == 1


def test_injected_transport_and_deleting_a_subscription(session):
    plan = build_plan(session)
    sub = webhooks.create_subscription("https://example.org/h", ["relay_point.visit_planned"], session=session)
    publish_plan(plan.id, session=session)
    calls = []

    def fake_post(url, body, headers, timeout):
        calls.append(json.loads(body)["data"]["code"])
        raise TimeoutError("timed out")

    clock, _ = _clock(T0)
    stats = webhooks.deliver_pending(session=session, http_post=fake_post, clock=clock)
    assert stats.retrying == 3 and len(calls) == 3
    assert all(d.last_error == webhooks.NOT_DELIVERED for d in session.scalars(select(WebhookDelivery)))
    webhooks.delete_subscription(sub.id, session=session)
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_no_subscription_no_outbox_rows(session):
    plan = build_plan(session)
    publish_plan(plan.id, session=session)
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_the_celery_task_delivers_the_outbox(db_engine, migrated_url, receiver):
    from dispatch.jobs.celery_app import WEBHOOK_TASK_NAME, make_celery

    with session_scope(db_engine) as s:
        plan_id = build_plan(s).id
        webhooks.create_subscription(receiver.url, ["plan.published"], session=s, policy=POLICY)
        publish_plan(plan_id, session=s)
    app = make_celery(LOCAL.model_copy(update={"database_url": migrated_url}))
    assert app.conf.beat_schedule["deliver-webhooks"]["task"] == WEBHOOK_TASK_NAME
    result = app.tasks[WEBHOOK_TASK_NAME]()  # run in this process, as a worker would
    assert result == {"attempted": 1, "delivered": 1, "retrying": 0, "failed": 0}
    assert json.loads(receiver.received[0]["body"])["data"]["plan_id"] == plan_id
    with session_scope(db_engine) as s:
        assert s.scalars(select(WebhookDelivery.status)).all() == [WebhookDeliveryStatus.DELIVERED]


def test_the_api_delivery_thread_starts_and_stops(db_engine, migrated_url, receiver):
    with session_scope(db_engine) as s:
        plan_id = build_plan(s).id
        webhooks.create_subscription(receiver.url, ["plan.published"], session=s, policy=POLICY)
        publish_plan(plan_id, session=s)
    thread = webhooks.DeliveryThread(db_engine, LOCAL.model_copy(update={"database_url": migrated_url}),
                                     interval_s=0.05)
    delivered = threading.Event()
    original = receiver.server.RequestHandlerClass.do_POST

    def spy(handler):
        original(handler)
        delivered.set()

    receiver.server.RequestHandlerClass.do_POST = spy
    thread.start()
    try:
        assert delivered.wait(10), "the delivery thread posted nothing"
    finally:
        thread.stop()
    assert not thread._thread.is_alive()
    with session_scope(db_engine) as s:
        assert s.scalars(select(WebhookDelivery.status)).all() == [WebhookDeliveryStatus.DELIVERED]
