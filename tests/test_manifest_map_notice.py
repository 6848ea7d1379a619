"""A round whose map cannot be drawn says so on its manifest (issue 23 item 4), instead of a silent blank."""

from __future__ import annotations

import io

from sqlalchemy import select

from tests.pages.plan_data import DAY, build_plan


def test_a_manifest_without_its_map_says_why(session, paris_network, settings, monkeypatch, caplog):
    from pypdf import PdfReader

    from dispatch.demo import seed_demo
    from dispatch.documents.manifests import round_manifest_pdf
    from dispatch.models import PickupRequest

    monkeypatch.setenv("DISPATCH_SECRET_KEY", "manifest-test-secret")
    seed_demo(DAY, session=session)
    plan = build_plan(session)
    pickup = session.scalars(select(PickupRequest).where(PickupRequest.status == "scheduled")).first()
    pickup.lat, pickup.lon = 48.70, 2.95  # moved off the road graph after planning: its street map fails
    session.flush()
    with caplog.at_level("INFO", logger="dispatch.documents.manifests"):
        pdf = round_manifest_pdf(plan.rounds[0].id, session=session, network=paris_network, settings=settings,
                                 base_url="http://127.0.0.1:8000")
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Carte indisponible" in " ".join(text.split()), text[:2000]
    assert any("no map on its manifest" in r.getMessage() for r in caplog.records)
