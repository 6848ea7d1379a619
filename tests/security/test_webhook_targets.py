"""Webhooks cannot reach inside: every notation of an inside address is refused at subscription and at
delivery; deliveries connect to the address that was checked; the delivery log gives no network detail.

No packet leaves loopback: refused targets are refused before any connection, and the one receiver is a
real HTTP server on 127.0.0.1 (allowed by the allow-list setting, as an organisation would allow its own).
"""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
from sqlalchemy import select

from dispatch.exchange import webhooks
from dispatch.errors import InvalidInput
from dispatch.exchange import webhook_targets
from dispatch.exchange.webhook_targets import TargetPolicy, is_outside
from dispatch.models import WebhookDelivery, WebhookDeliveryStatus
from dispatch.planning.plans import publish_plan
from dispatch.settings import Settings
from tests.plan_factory import build_plan

INSIDE_URLS = [
    "http://2852039166/latest/meta-data",          # 169.254.169.254 as one decimal number
    "http://0xa9fea9fe/",                          # ... in hexadecimal
    "http://0251.0376.0251.0376/",                 # ... in octal, dotted
    "http://0xa9.0xfe.0xa9.0xfe/",                 # ... hexadecimal, dotted
    "http://169.254.43518/",                       # ... short form a.b.c
    "http://[::ffff:169.254.169.254]/",            # ... IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",                  # ... IPv4-mapped, hexadecimal groups
    "http://[2002:a9fe:a9fe::1]/",                 # ... 6to4
    "http://[64:ff9b::a9fe:a9fe]/",                # ... NAT64
    "http://[::169.254.169.254]/",                 # ... IPv4-compatible (deprecated)
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata.google.internal./",
    "http://localhost:6379/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://printer.local/",
    "http://intranet/",                            # a single label, completed by the search domains
    "http://127.0.0.1/", "http://127.1/", "http://0177.0.0.1/", "http://2130706433/", "http://0x7f000001/",
    "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://0.0.0.0/", "http://0/", "http://[::]/",
    "http://10.0.0.1/", "http://10.1/", "http://167772161/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://[::ffff:10.0.0.1]/", "http://[2002:0a00:0001::]/", "http://[64:ff9b::10.0.0.1]/",
    "http://100.64.0.1/",                          # shared address space (carrier-grade NAT)
    "http://[fc00::1]/", "http://[fd12:3456::1]/",  # unique local
    "http://[fe80::1]/", "http://[fec0::1]/",       # link-local, site-local
    "http://224.0.0.1/", "http://[ff02::1]/",        # multicast
    "http://240.0.0.1/", "http://255.255.255.255/",  # reserved, broadcast
    "http://192.0.2.1/", "http://[2001:db8::1]/",    # documentation
    "https://169.254.169.254:443/",
]


@pytest.mark.parametrize("url", INSIDE_URLS)
def test_every_notation_of_an_inside_address_is_refused_at_subscription(session, url):
    with pytest.raises(InvalidInput) as exc:
        webhooks.create_subscription(url, ["plan.published"], session=session)
    assert exc.value.field == "url"
    assert "DISPATCH_WEBHOOK_ALLOW" in str(exc.value)  # says how an administrator allows it


@pytest.mark.parametrize("url", INSIDE_URLS)
def test_every_notation_is_refused_at_delivery_without_connecting(url, monkeypatch):
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))
    with pytest.raises(webhook_targets.TargetRefused):
        webhook_targets.pinned_post(url, b"{}", {}, 1.0, policy=TargetPolicy())
    assert connects == []


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8",
                                     "2002:5db8:d822::1", "::ffff:93.184.216.34", "64:ff9b::5db8:d822"])
def test_outside_addresses_are_allowed(address):
    import ipaddress

    assert is_outside(ipaddress.ip_address(address))


def test_outside_host_names_that_do_not_resolve_yet_may_be_subscribed(session):
    # Checked again at each delivery: no DNS here, so no address yet.
    sub = webhooks.create_subscription("https://hooks.example.org/h", ["plan.published"], session=session)
    assert sub.url == "https://hooks.example.org/h"


def test_the_allow_list_settings_allow_named_hosts_and_networks(session):
    settings = Settings(_env_file=None, webhook_allow_networks="10.20.0.0/16, 127.0.0.1/32",
                        webhook_allow_hosts="receiver.internal")
    policy = TargetPolicy.from_settings(settings)
    for url in ("http://10.20.3.4/h", "http://127.0.0.1:9000/h", "http://receiver.internal/h"):
        assert webhooks.create_subscription(url, ["plan.published"], session=session, policy=policy).url == url
    for url in ("http://10.21.0.1/h", "http://127.0.0.2/h", "http://other.internal/h"):
        with pytest.raises(InvalidInput):
            webhooks.create_subscription(url, ["plan.published"], session=session, policy=policy)
    with pytest.raises(ValueError, match="not a network"):
        Settings(_env_file=None, webhook_allow_networks="10.0.0.0/8,nonsense")


def test_the_api_refuses_inside_receivers(client):
    for url in ("http://2852039166/", "http://[::ffff:169.254.169.254]/", "http://localhost:6379/",
                "http://10.0.0.1/", "http://metadata.google.internal/"):
        r = client.post("/api/v1/webhooks", json={"url": url, "events": ["plan.published"]})
        assert r.status_code == 422 and r.json()["field"] == "url", (url, r.text)


class _Receiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append(dict(self.headers))
                self.send_response(429)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = _Receiver()
    yield r
    r.close()


def _fake_dns(monkeypatch, answers: dict[str, list[str]], lookups: list[str]) -> None:
    """The resolver answers ``answers[name]`` in turn (what a rebinding DNS does); numbers pass through."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            ip = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_delivery_connects_to_the_checked_address_and_keeps_the_host_header(session, receiver, monkeypatch):
    lookups: list[str] = []
    _fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]}, lookups)
    policy = TargetPolicy.build(networks=["127.0.0.1/32"])
    url = f"http://hooks.example.org:{receiver.port}/h"
    webhooks.create_subscription(url, ["plan.published"], session=session, policy=policy)
    publish_plan(build_plan(session).id, session=session)
    lookups.clear()
    webhooks.deliver_pending(session=session, policy=policy, clock=lambda: _later())
    # One lookup, one connection to its answer (the fake name exists nowhere else), Host kept.
    assert lookups == ["hooks.example.org"]
    assert receiver.requests and receiver.requests[0]["Host"] == f"hooks.example.org:{receiver.port}"


def test_a_name_rebound_inside_after_subscription_is_not_delivered(session, receiver, monkeypatch):
    lookups: list[str] = []
    # Outside when subscribed, then 127.0.0.1 (not allowed) at delivery: DNS rebinding.
    _fake_dns(monkeypatch, {"rebind.example.org": ["93.184.216.34", "127.0.0.1"]}, lookups)
    sub = webhooks.create_subscription(f"http://rebind.example.org:{receiver.port}/h", ["plan.published"],
                                       session=session)
    publish_plan(build_plan(session).id, session=session)
    stats = webhooks.deliver_pending(session=session, clock=lambda: _later())
    assert stats.retrying == 1 and receiver.requests == []
    delivery = session.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert delivery.last_error == webhooks.NOT_ALLOWED and delivery.last_status_code is None


def test_the_delivery_log_is_no_port_scanner(session, receiver):
    """A refused connection and an HTTP 429 leave the same neutral reason for the subscriber."""
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()  # bound then closed: connection refused
    policy = TargetPolicy.build(networks=["127.0.0.1/32"])
    closed = webhooks.create_subscription(f"http://127.0.0.1:{dead_port}/", ["plan.published"], session=session,
                                          policy=policy)
    answering = webhooks.create_subscription(f"http://127.0.0.1:{receiver.port}/", ["plan.published"],
                                             session=session, policy=policy)
    publish_plan(build_plan(session).id, session=session)
    webhooks.deliver_pending(session=session, policy=policy, clock=lambda: _later(), timeout_s=2)
    rows = {d.subscription_id: d for d in session.scalars(select(WebhookDelivery))}
    assert len(receiver.requests) == 1  # the 429 did come from a real answer
    seen = {(rows[s.id].last_status_code, rows[s.id].last_error) for s in (closed, answering)}
    assert seen == {(None, webhooks.NOT_DELIVERED)}
    assert all(rows[s.id].status is WebhookDeliveryStatus.PENDING for s in (closed, answering))


def _later():
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
