"""PDF manifests: rendered to images (pdftoppm) and to text (pdftotext) to check what a crew prints."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.pages.plan_data import DAY, build_plan

POPPLER_HINT = "install Debian poppler-utils (apt-get install -y poppler-utils) for the PDF checks"


@pytest.fixture
def planned(session, monkeypatch):
    from dispatch.demo import seed_demo

    monkeypatch.setenv("DISPATCH_SECRET_KEY", "manifest-test-secret")
    seed_demo(DAY, session=session)
    return build_plan(session)


def _needs_poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip(POPPLER_HINT)


def _text(pdf_path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_round_manifest_lists_every_stop_in_order_with_a_map(planned, session, paris_network, settings,
                                                             tmp_path) -> None:
    _needs_poppler()
    import numpy as np
    from PIL import Image

    from dispatch.documents.manifests import write_day_manifests
    from dispatch.planning.views import day_view

    paths = write_day_manifests(DAY, tmp_path, session=session, network=paris_network, settings=settings,
                                base_url="http://127.0.0.1:8000")
    assert [p.name for p in paths] == ["2026-12-01-tournee-01-camion-1.pdf", "2026-12-01-synthese.pdf"]
    text = _text(paths[0])
    # French, with accents extracted intact from the embedded font
    for expected in ("Feuille de route — Camion 1", "mardi 1er décembre 2026", "Équipe A", "Départ – retour",
                     "Pause déjeuner", "Collecté", "Signature", "Enlèvement à domicile"):
        assert expected in text, expected
    round_view = day_view(DAY, session=session).rounds[0]
    table = text[text.index("Arrêts"):]
    positions = []
    for stop in round_view.stops:
        name = stop.name if stop.kind in ("relay_point", "pickup") else "Pause déjeuner"
        positions.append(table.index(name, positions[-1] + 1 if positions else 0))
        time = f"{stop.planned_arrival:%H}h{stop.planned_arrival:%M}"
        row = re.compile(rf"^\s*{stop.position}\s+{time}\b", re.M)
        assert row.search(table), f"no row '{stop.position} {time}' for {name}"
    assert positions == sorted(positions)  # every stop, in the planned order

    # the map: the route colour is drawn in the map region of page 1
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(paths[0]), str(tmp_path / "p")],
                   check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    w, h = image.size
    region = image.crop((int(w * 0.1), int(h * 0.22), int(w * 0.9), int(h * 0.55)))
    px = np.asarray(region).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    reds = int(((r > 180) & (g < 90) & (b < 90)).sum())
    greys = int(((r > 150) & (r < 235) & (abs(r - g) < 8) & (abs(g - b) < 8)).sum())
    assert reds > 50, "the route (red) is not drawn on the map"
    assert greys > 500, "the streets are not drawn in the background"

    summary = _text(paths[1])
    for expected in ("Synthèse de la journée", "Camion 1", "Visites non planifiées (1)", "reporté",
                     "Canopée"):
        assert expected in summary, expected


def test_manifest_in_english_and_escaped(planned, session, paris_network, settings, tmp_path) -> None:
    _needs_poppler()
    from dispatch.documents.manifests import round_manifest_pdf

    rnd = planned.rounds[0]
    rnd.stops[2].pickup_request.donor_name = "<b>Zoé</b> & Cie"
    session.flush()
    pdf = tmp_path / "en.pdf"
    pdf.write_bytes(round_manifest_pdf(rnd.id, session=session, network=paris_network, settings=settings,
                                       base_url="http://x", lang="en"))
    text = _text(pdf)
    assert "Route manifest — Camion 1" in text and "Tuesday 1 December 2026" in text
    assert "<b>Zoé</b> & Cie" in text


def test_pdf_endpoints_and_poster(planned, session, paris_network, settings, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    import api.deps
    from api.app import create_app

    session.commit()  # the app reads through its own sessions
    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    from tests.api.conftest import make_staff

    _, token = make_staff(session.get_bind(), "coordinator")
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:
        rid = planned.rounds[0].id
        r = client.get(f"/api/v1/rounds/{rid}/manifest.pdf?lang=en")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        assert client.get(f"/api/v1/plans/{planned.id}/summary.pdf").status_code == 200
        assert client.get("/api/v1/rounds/999999/manifest.pdf").status_code == 404
        rp_id = planned.rounds[0].stops[0].relay_point_id
        link = client.post(f"/api/v1/relay-points/{rp_id}/link").json()
        poster = client.get(link["poster_url"].replace("http://testserver", ""))
        assert poster.status_code == 200 and poster.content.startswith(b"%PDF")
        assert client.get(f"/api/v1/relay-points/{rp_id}/poster.pdf?token=wrong-token").status_code == 403
        assert client.delete(f"/api/v1/relay-points/{rp_id}/link").status_code == 204
        page = client.get(link["url"].replace("http://testserver", ""))
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        assert "révoqué" in page.text or "pas valide" in page.text
        round_link = client.post(f"/api/v1/rounds/{rid}/link").json()
        assert round_link["url"].startswith("http://testserver/r/")
        sheet = client.get(round_link["url"].replace("http://testserver", ""), headers={"Accept-Language": "en"})
        assert sheet.status_code == 200 and "My round" in sheet.text


def test_pdf_font_is_embedded_whatever_the_working_directory(tmp_path, monkeypatch) -> None:
    """xhtml2pdf confines local reads to the working directory by default: the font must not depend on it."""
    from dispatch.documents.manifests import _pdf_context, html_to_pdf

    monkeypatch.chdir(tmp_path)
    font = _pdf_context("fr")["font_regular"]
    pdf = html_to_pdf(f'<html><head><style>@font-face {{font-family: DejaVu; src: url("{font}");}} '
                      "body { font-family: DejaVu; }</style></head><body>Équipe à Noël</body></html>")
    assert b"DejaVuSans" in pdf
