"""SQLAlchemy 2.0 typed models. The schema is created only by Alembic migrations (``dispatch/migrations/``).

One module per concept; this package re-exports every model, enum and constant, so
``from dispatch.models import X`` is the way to use them and ``Base.metadata`` holds every table once the
package is imported (the Alembic environment imports ``Base`` from here):

* :mod:`~dispatch.models.base`: the declarative ``Base`` and its naming convention, ``utcnow``;
* :mod:`~dispatch.models.network`: depots, relay points, their stock reports and closures;
* :mod:`~dispatch.models.pickups`: home-pickup requests, their events, the slots (``SLOT_WINDOWS_S``), the
  online bookings' cap releases;
* :mod:`~dispatch.models.fleet`: vans, crews (``CREW_DEFAULTS``) and their calendars;
* :mod:`~dispatch.models.plans`: plans, rounds, stops, unassigned visits and the plan change log;
* :mod:`~dispatch.models.jobs`: planning jobs;
* :mod:`~dispatch.models.field`: crews' stop events, relay-point links, held crew updates;
* :mod:`~dispatch.models.access`: staff accounts, API tokens, the audit log;
* :mod:`~dispatch.models.outboxes`: webhook subscriptions and deliveries, donor messages.
"""

from dispatch.models.base import NAMING, Base, utcnow
from dispatch.models.network import Depot, RelayPoint, RelayPointClosure, RelayPointKind, ReportSource, StockReport
from dispatch.models.pickups import (
    SLOT_WINDOWS_S,
    OnlineBookingRelease,
    PickupEvent,
    PickupRequest,
    PickupStatus,
    Slot,
)
from dispatch.models.fleet import CREW_DEFAULTS, Crew, CrewUnavailability, Van, VanUnavailability
from dispatch.models.plans import PlanChange, Plan, PlanStatus, Round, Stop, StopKind, UnassignedVisit
from dispatch.models.jobs import JobStatus, PlanJob
from dispatch.models.field import HeldUpdate, RelayPointLink, StopEvent, StopEventKind
from dispatch.models.access import ApiToken, AuditLog, StaffAccount, StaffRole
from dispatch.models.outboxes import (
    DonorMessage,
    DonorMessageStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
)

__all__ = [
    "CREW_DEFAULTS", "NAMING", "SLOT_WINDOWS_S",
    "ApiToken", "AuditLog", "Base", "Crew", "CrewUnavailability", "Depot", "DonorMessage", "DonorMessageStatus",
    "HeldUpdate", "JobStatus", "OnlineBookingRelease", "PickupEvent", "PickupRequest", "PickupStatus", "Plan",
    "PlanChange", "PlanJob", "PlanStatus", "RelayPoint", "RelayPointClosure", "RelayPointKind", "RelayPointLink",
    "ReportSource", "Round", "Slot", "StaffAccount", "StaffRole", "StockReport", "Stop", "StopEvent",
    "StopEventKind", "StopKind", "UnassignedVisit", "Van", "VanUnavailability", "WebhookDelivery",
    "WebhookDeliveryStatus", "WebhookSubscription",
    "utcnow",
]
