"""Webhook subscriptions (admin or coordinator). Deliveries come from the outbox (dispatch/exchange/webhooks.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from api.deps import Id, SessionDep, SettingsDep
from api.schemas.webhooks import WebhookCreatedOut, WebhookDeliveryOut, WebhookIn, WebhookOut
from api.security import Role, require
from dispatch.exchange import webhooks as service
from dispatch.exchange import TargetPolicy

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[require(Role.COORDINATOR)])


@router.post(
    "", status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events; the signing secret is returned once",
    description="Events: `plan.published`, `pickup.scheduled`, `relay_point.visit_planned`. Each delivery is a "
    "JSON POST signed with `X-Dispatch-Signature: sha256=<HMAC-SHA256 of the body with the secret>`, with "
    "`X-Dispatch-Event` and `X-Dispatch-Delivery` (an id to deduplicate on: delivery is at least once). "
    "Failures are retried with exponential backoff. The receiver must be outside: a host that is or resolves to "
    "a loopback, private, link-local or otherwise internal address is refused (here and again at each delivery, "
    "which connects to the address it checked) unless `DISPATCH_WEBHOOK_ALLOW_HOSTS` / "
    "`DISPATCH_WEBHOOK_ALLOW_NETWORKS` allow it.",
)
def create(body: WebhookIn, session: SessionDep, settings: SettingsDep) -> WebhookCreatedOut:
    sub = service.create_subscription(str(body.url), body.events, description=body.description, session=session,
                                      policy=TargetPolicy.from_settings(settings))
    return WebhookCreatedOut(**WebhookOut.from_orm_obj(sub).model_dump(), secret=sub.secret)


@router.get("", summary="Webhook subscriptions (secrets are not shown again)")
def list_all(session: SessionDep) -> list[WebhookOut]:
    return [WebhookOut.from_orm_obj(s) for s in service.list_subscriptions(session=session)]


@router.get("/{subscription_id}/deliveries", summary="A subscription's latest deliveries and their attempts")
def list_deliveries(subscription_id: Id, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[WebhookDeliveryOut]:
    return [WebhookDeliveryOut.from_orm_obj(d)
            for d in service.deliveries(subscription_id, session=session, limit=limit)]


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Delete a subscription and its pending deliveries")
def delete(subscription_id: Id, session: SessionDep) -> Response:
    service.delete_subscription(subscription_id, session=session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
