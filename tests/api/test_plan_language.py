"""The day page and the summary speak the reader's language: the infeasibility and every unassigned reason
in French or English, naming visits by name and address, never by an internal key (pu:1)."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import PLAN_DAY
from tests.documents.language_check import foreign_text, visible_text

NBSP = "\u00a0"


@pytest.fixture
def infeasible_day(seeded, settings, paris_network):
    """The demo day plus a 30 m³ home pickup (more than any van) and a paused relay point, planned."""
    import json

    from dispatch.db import session_scope
    from dispatch.demo import add_pickup, load_demo
    from dispatch.fleet import relay_points
    from dispatch.models import RelayPoint
    from dispatch.planning.day import plan_day

    demo = load_demo()
    with session_scope(seeded) as s:
        add_pickup(json.loads(json.dumps(demo["pickups"][0])), PLAN_DAY, session=s, ref="ENL-XXL",
                   donor_name="Mme Grandvolume", address="3 rue de la Grange-aux-Belles, 75010 Paris",
                   volume_m3=30.0)
        rp = s.query(RelayPoint).order_by(RelayPoint.id).first()
        relay_points.update_relay_point(rp.id, {"paused": True, "pause_reason": "travaux"}, session=s)
        s.flush()
        plan_day(PLAN_DAY, settings.model_copy(update={"solve_solution_limit": 30}), paris_network, session=s,
                 time_limit_s=5)
        return rp.name


def test_day_page_in_french_names_visits_and_says_why_in_french(client_as, infeasible_day):
    coordinator = client_as("coordinator")
    page = coordinator.get(f"/jour/{PLAN_DAY.isoformat()}")  # no language asked: French
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    said = page.text.split('id="explanation">')[1].split("</p>")[0]
    assert said.startswith(f"Plan incomplet{NBSP}: 1 visite obligatoire ne peut pas être faite{NBSP}: "
                           "ENL-XXL Mme Grandvolume (3 rue de la Grange-aux-Belles, 75010 Paris) — 30,0 m³ à "
                           "collecter, plus que le plus grand camion disponible (20,0 m³)"), said
    assert f"{infeasible_day}: paused" not in text and "en pause" in text  # the paused relay point, in French
    assert not re.search(r"\b(pu|rp):\d+", text), "an internal id is shown"
    assert foreign_text(page.text, "fr") == []
    assert "doit être servi, même quand la journée est re-planifiée" in page.text  # what a lock promises
    assert " :" not in page.text.replace(f"{NBSP}:", "")  # French colons are preceded by a non-breaking space


def test_day_page_in_english_has_no_french(client_as, infeasible_day):
    coordinator = client_as("coordinator")
    for page in (coordinator.get(f"/jour/{PLAN_DAY.isoformat()}?lang=en"),
                 coordinator.get(f"/jour/{PLAN_DAY.isoformat()}", headers={"Accept-Language": "en-GB,en;q=0.9"})):
        assert page.status_code == 200, page.text
        said = page.text.split('id="explanation">')[1].split("</p>")[0]
        assert said.startswith("Incomplete plan: 1 mandatory visit cannot be served: ENL-XXL Mme Grandvolume "
                               "(3 rue de la Grange-aux-Belles, 75010 Paris) — 30.0 m³ to collect, more than the "
                               "largest available van holds (20.0 m³)"), said
        assert foreign_text(page.text, "en") == []
        assert NBSP + ":" not in page.text  # no French typography in English
        assert not re.search(r"\b(pu|rp):\d+", visible_text(page.text))


def test_the_summary_pdf_html_speaks_the_language_too(infeasible_day, seeded):
    from dispatch.db import session_scope
    from dispatch.documents.manifests import render_html
    from dispatch.planning.views import day_view

    with session_scope(seeded) as s:
        view = day_view(PLAN_DAY, session=s)
        for lang in ("fr", "en"):
            html = render_html("manifest_summary.html", lang=lang, day=view, colours=["#000"] * len(view.rounds),
                               font_regular="", font_bold="")
            assert foreign_text(html, lang) == [], lang
            assert "ENL-XXL Mme Grandvolume" in html and "pu:" not in html
