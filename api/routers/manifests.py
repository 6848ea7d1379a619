"""Printable PDFs: round manifests, the day summary, relay-point posters (French; ?lang=en)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.security import Role, require
from dispatch.documents import i18n
from dispatch.field import links
from dispatch.documents import manifests
from dispatch.field import LinkInvalid
from dispatch.exchange import safe_filename

router = APIRouter(prefix="/api/v1", tags=["manifests"], dependencies=[require(Role.COORDINATOR)])
PDF = {"content": {"application/pdf": {}}, "description": "A4 PDF"}


def _lang(request: Request, lang: str | None) -> str:
    return i18n.negotiate(lang, request.headers.get("accept-language"))


def _pdf(data: bytes, filename: str) -> Response:
    """The file name is built from safe characters only (a relay code stored before the checks may hold any)."""
    name = safe_filename(filename.removesuffix(".pdf"), "document") + ".pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/rounds/{round_id}/manifest.pdf", response_class=Response, responses={200: PDF},
            summary="A round's printable manifest: stops in order, boxes to fill, street map, QR to the phone sheet")
def round_manifest(round_id: Id, request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
                   lang: Annotated[str | None, Query(pattern="^(fr|en)$")] = None) -> Response:
    data = manifests.round_manifest_pdf(round_id, session=session, network=network, settings=settings,
                                        base_url=str(request.base_url), lang=_lang(request, lang))
    return _pdf(data, f"manifest-round-{round_id}.pdf")


@router.get("/plans/{plan_id}/summary.pdf", response_class=Response, responses={200: PDF},
            summary="The coordinator's day summary: rounds, totals, unassigned visits with reasons")
def plan_summary(plan_id: Id, request: Request, session: SessionDep,
                 lang: Annotated[str | None, Query(pattern="^(fr|en)$")] = None) -> Response:
    return _pdf(manifests.plan_summary_pdf(plan_id, session=session, lang=_lang(request, lang)),
                f"summary-plan-{plan_id}.pdf")


@router.get("/relay-points/{relay_point_id}/poster.pdf", response_class=Response, responses={200: PDF},
            tags=["staff"],
            summary="A4 QR-code poster for a relay point",
            description="`token` is the relay point's link token, as returned once by "
            "`POST /api/v1/relay-points/{id}/link` (its `poster_url` is this URL).")
def relay_point_poster(relay_point_id: Id, request: Request, session: SessionDep,
                       token: Annotated[str, Query(min_length=8, max_length=200)],
                       lang: Annotated[str | None, Query(pattern="^(fr|en)$")] = None) -> Response:
    rp = links.relay_point_from_token(token, session=session)
    if rp.id != relay_point_id:
        raise LinkInvalid("this token belongs to another relay point", field="token")
    url = f"{str(request.base_url).rstrip('/')}/p/{token}"
    return _pdf(manifests.relay_point_poster_pdf(rp, url, lang=_lang(request, lang)), f"poster-{rp.code}.pdf")
