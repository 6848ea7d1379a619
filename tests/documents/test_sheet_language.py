"""The crew's sheet and the relay point's page in French and English: no text of the other language."""

from __future__ import annotations

import pytest

from dispatch.documents import i18n
from dispatch.documents.manifests import render_html
from dispatch.field import events as driver
from dispatch.models import Round
from tests.documents.language_check import foreign_text
from tests.pages.plan_data import DAY, build_plan


@pytest.fixture
def rnd(session):
    from dispatch.demo import seed_demo

    seed_demo(DAY, session=session)
    plan = build_plan(session)
    return session.get(Round, plan.rounds[0].id)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_crew_sheet_speaks_one_language(session, rnd, lang):
    sheet = driver.route_sheet(rnd, session=session)
    html = render_html("sheet.html", lang=lang, sheet=sheet, token="t", missed_reasons=i18n.MISSED_REASONS,
                       request_path="/r/t")
    notes = [s.view.access_notes for s in sheet.stops if s.view.access_notes]  # what donors wrote
    assert foreign_text(html, lang, ignore=notes) == []
    pickup = next(s.view for s in sheet.stops if s.view.kind == "pickup")
    assert pickup.floor == 0
    assert ("rez-de-chaussée" if lang == "fr" else "ground floor") in html
    if lang == "en":
        assert "étage" not in html and "ascenseur" not in html.replace(notes[0] if notes else "", "")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_relay_point_page_speaks_one_language(session, rnd, lang):
    rp = next(s.relay_point for s in rnd.stops if s.relay_point is not None)
    html = render_html("relay_point.html", lang=lang, token="t", rp=driver.relay_point_status(rp, session=session),
                       levels=driver.RELAY_LEVELS, message=None, request_path="/p/t")
    assert foreign_text(html, lang) == []
    if lang == "en":
        assert "\u00a0:" not in html
