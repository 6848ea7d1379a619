"""Printable manifests (A4 PDF) from HTML/CSS templates: one per round, a day summary, relay-point posters.

PDFs are made with xhtml2pdf (pure Python on reportlab) with the DejaVu Sans font that matplotlib
ships, so accents render and nothing outside PyPI is needed. Render from the plain view objects
(``dispatch.planning.views``); every text is escaped by Jinja2 autoescape.
(``dispatch.planning.views``); every text is escaped by Jinja2 autoescape, and control and invisible direction
characters (NUL, U+202E...) stored before the entry checks are dropped on output
(``dispatch.exchange.fields.for_display``). The PDF library's log messages quote the document's text (a
donor's name next to a character no font draws): they are replaced by a neutral message.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from dispatch.documents import i18n, plan_texts
from dispatch.field import links
from dispatch.errors import DispatchError, NotFound
from dispatch.documents.geometry import round_geojson
from dispatch.documents.maps import round_colour, round_map_png
from dispatch.exchange import for_display
from dispatch.models import RelayPoint, Round, StopKind
from dispatch.roads import RoadNetwork
from dispatch.planning import DayView, RoundView, day_view, plan_view

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


log = logging.getLogger("dispatch.documents.manifests")


def font_files() -> dict[str, Path]:
    """DejaVu Sans regular and bold (shipped with matplotlib): full Latin-1 and more, for French accents."""
    import matplotlib

    base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"regular": base / "DejaVuSans.ttf", "bold": base / "DejaVuSans-Bold.ttf"}


_PHONE = re.compile(r"\+?\d[\d .\-]{6,}\d")


def phone_digits(contact: str | None) -> str:
    """The phone number in a contact string, digits (and +) only, for tel: links."""
    if not contact:
        return ""
    m = _PHONE.search(contact)
    return re.sub(r"[^\d+]", "", m.group(0)) if m else ""


def _displayed(value: Any) -> Any:
    """Every ``{{ }}`` output: plain text loses control and invisible direction characters; markup is kept."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return for_display(value)
    return value


class _NoDocumentText(logging.Filter):
    """The PDF library's messages quote the document (personal data): keep a neutral message at WARNING and
    above, drop the chatter below."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        record.msg, record.args = (f"PDF rendering: {record.levelname.lower()} from {record.name} (text withheld: "
                                   "the document holds personal data)"), ()
        return True


_REDACT = _NoDocumentText()


def _quiet_pdf_logs() -> None:
    import xhtml2pdf  # noqa: F401 - its loggers exist once it is imported

    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in ("xhtml2pdf", "reportlab")]
    for name in {"xhtml2pdf", "reportlab", *names}:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


@lru_cache(maxsize=1)
def template_env() -> Environment:
    """The Jinja2 environment of the pages and manifests (autoescape on for .html)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_displayed,
    )
    env.globals.update(
        fmt_date=i18n.format_date, fmt_time=i18n.format_time, fmt_m3=i18n.format_m3, fmt_num=i18n.format_number,
        kind_label=i18n.stop_kind, reason_label=i18n.unassigned_reason,
        unassigned_text=plan_texts.unassigned_text, plan_explanation=plan_texts.explanation,
        warning_text=plan_texts.warning_text, floor_text=plan_texts.floor_text, needs_text=plan_texts.needs_text,
    )
    env.filters["tel"] = phone_digits
    return env


def render_html(template: str, *, lang: str, **context: Any) -> str:
    return template_env().get_template(template).render(_=i18n.Translator(lang), lang=lang,
                                                        colon=plan_texts.colon(lang), **context)


def html_to_pdf(html: str) -> bytes:
    """Render trusted templates (user text is escaped in them) to PDF.

    Local reads are confined to the font directory and nothing is fetched over the network, whatever
    the working directory (the default policy would confine reads to it and drop the accented font).
    """
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    _quiet_pdf_logs()
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=font_files()["regular"].parent)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if result.err:  # pragma: no cover - a template bug
        raise RuntimeError(f"PDF rendering failed with {result.err} error(s)")
    return out.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def qr_png(data: str, *, scale: int = 8) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def _pdf_context(lang: str) -> dict[str, Any]:
    fonts = font_files()
    return {"font_regular": fonts["regular"].as_posix(), "font_bold": fonts["bold"].as_posix()}


def round_link_url(round_id: int, *, session: Session, settings, base_url: str) -> tuple[str, dt.datetime]:
    token, expires = links.round_link(round_id, session=session, settings=settings)
    return f"{base_url.rstrip('/')}/r/{token}", expires


def _round_and_view(round_id: int, *, session: Session) -> tuple[Round, DayView, RoundView, int]:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", field="round_id")
    view = plan_view(rnd.plan)
    index = next(i for i, r in enumerate(view.rounds) if r.id == round_id)
    return rnd, view, view.rounds[index], index


def round_map(round_id: int, index: int, *, session: Session, network: RoadNetwork, settings) -> bytes | None:
    try:
        geo = round_geojson(round_id, session=session, network=network,
                            max_snap_distance_m=settings.max_snap_distance_m)
    except DispatchError as exc:  # a site off the map: the manifest is still printed, with a notice instead
        log.info("round %s: no map on its manifest (%s)", round_id, type(exc).__name__)
        return None
    return round_map_png(geo, network, colour=round_colour(index))


def round_manifest_pdf(round_id: int, *, session: Session, network: RoadNetwork, settings, base_url: str,
                       lang: str = "fr") -> bytes:
    """The A4 manifest of one round: header, ordered stops with boxes to fill, map, QR to the phone sheet."""
    rnd, day, rv, index = _round_and_view(round_id, session=session)
    url, _ = round_link_url(round_id, session=session, settings=settings, base_url=base_url)
    png = round_map(round_id, index, session=session, network=network, settings=settings)
    lunch = next((s for s in rv.stops if s.kind == StopKind.BREAK.value), None)
    html = render_html(
        "manifest_round.html", lang=lang, day=day, round=rv, lunch=lunch, colour=round_colour(index),
        map_uri=_data_uri(png) if png else None, qr_uri=_data_uri(qr_png(url)), sheet_url=url,
        members=", ".join(rnd.crew.members) if rnd.crew and rnd.crew.members else "",
        plate=rnd.van.plate or "", **_pdf_context(lang),
    )
    return html_to_pdf(html)


def day_summary_pdf(view: DayView, *, lang: str = "fr") -> bytes:
    """The coordinator's summary of a planned day: all rounds, totals, unassigned visits with reasons."""
    html = render_html("manifest_summary.html", lang=lang, day=view, colours=[round_colour(i) for i in
                       range(len(view.rounds))], **_pdf_context(lang))
    return html_to_pdf(html)


def plan_summary_pdf(plan_id: int, *, session: Session, lang: str = "fr") -> bytes:
    from dispatch.planning import get_plan

    return day_summary_pdf(plan_view(get_plan(plan_id, session=session)), lang=lang)


def relay_point_poster_pdf(relay_point: RelayPoint, url: str, *, lang: str = "fr") -> bytes:
    """A4 poster for a relay point: title, short explanation and the QR code to its page."""
    html = render_html("poster.html", lang=lang, rp=relay_point, url=url, qr_uri=_data_uri(qr_png(url, scale=12)),
                       **_pdf_context(lang))
    return html_to_pdf(html)


def _slug(value: str) -> str:
    value = value.lower()
    for a, b in (("é", "e"), ("è", "e"), ("ê", "e"), ("à", "a"), ("ç", "c"), ("ô", "o"), ("û", "u"), ("î", "i")):
        value = value.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", value).strip("-") or "round"


def write_day_manifests(day: dt.date, out_dir: Path, *, session: Session, network: RoadNetwork, settings,
                        base_url: str, lang: str = "fr") -> list[Path]:
    """Write one PDF per round of the day's latest plan and the day summary into ``out_dir``.

    Returns the written paths (rounds in plan order, then the summary). NotFound if the day has no plan.
    """
    view = day_view(day, session=session)
    if view is None:
        raise NotFound(f"no plan for {day.isoformat()}: plan the day first (dispatch plan --date {day.isoformat()})",
                       field="date")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, rv in enumerate(view.rounds, start=1):
        path = out_dir / f"{day.isoformat()}-tournee-{i:02d}-{_slug(rv.van)}.pdf"
        path.write_bytes(round_manifest_pdf(rv.id, session=session, network=network, settings=settings,
                                            base_url=base_url, lang=lang))
        written.append(path)
    summary = out_dir / f"{day.isoformat()}-synthese.pdf"
    summary.write_bytes(day_summary_pdf(view, lang=lang))
    written.append(summary)
    return written
