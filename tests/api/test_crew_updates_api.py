"""Crew updates over HTTP (issue 25, item 5): decimal commas, refusals and confirmations in the crew's words."""

from __future__ import annotations

from dispatch.db import session_scope
from dispatch.models import StopKind


def _round(engine):
    from dispatch.field import links
    from tests.pages.plan_data import build_plan

    with session_scope(engine) as s:
        rnd = build_plan(s).rounds[0]
        token = links.round_link(rnd.id, session=s)[0]
        relay = [st.id for st in rnd.stops if st.kind is StopKind.RELAY_POINT]
        return token, relay


def test_a_decimal_comma_is_a_decimal_point(seeded, anon_client):
    token, relay = _round(seeded)
    r = anon_client.post(f"/r/{token}/stops/{relay[0]}/events",
                         json={"kind": "collected", "collected_m3": "2,1", "idempotency_key": "comma-0001"})
    assert r.status_code == 201, r.text
    assert r.json()["collected_m3"] == 2.1


def test_refusals_and_confirmations_are_said_in_french(seeded, anon_client):
    token, relay = _round(seeded)
    url = f"/r/{token}/stops/{relay[0]}/events"
    big = anon_client.post(url, json={"kind": "collected", "collected_m3": 21, "idempotency_key": "big-00001"})
    assert big.status_code == 422 and big.json()["field"] == "confirm"
    assert "Est-ce exact" in big.json()["detail"] and "21 m³" in big.json()["detail"]
    ok = anon_client.post(url, json={"kind": "collected", "collected_m3": 1, "idempotency_key": "big-00002"})
    assert ok.status_code == 201
    flip = anon_client.post(url, json={"kind": "missed", "reason": "access", "idempotency_key": "big-00003"})
    assert flip.status_code == 409 and flip.headers["X-Refusal-Code"] == "correction_reason"
    assert "déjà noté « Collecté »" in flip.json()["detail"]
    en = anon_client.post(url + "?lang=en", json={"kind": "missed", "reason": "access", "idempotency_key": "big-00004"})
    assert en.status_code == 409 and "already recorded as “Collected”" in en.json()["detail"]
