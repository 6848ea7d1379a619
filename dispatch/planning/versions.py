"""A plan's versions and its change log.

``Plan.version`` starts at 1 and grows by one on every change (edit, re-optimise, publish, re-plan);
each change is written to ``plan_change`` (who, when, what). An edit names the version its author saw:
:func:`open_plan` refuses a missing one (:class:`VersionRequired`, HTTP 428) and a stale one
(:class:`StaleVersion`, HTTP 409, carrying the changes made since); :func:`record_change` bumps the
version with a compare-and-set. Services flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import Plan, PlanChange, PlanStatus, utcnow


class StaleVersion(Conflict):
    """The client edited an old version of the plan (HTTP 409 with the changes made since)."""

    def __init__(self, plan: Plan, given: int, changes: list[PlanChange]) -> None:
        super().__init__(
            f"plan {plan.id} is at version {plan.version}, you sent version {given}: "
            f"{len(changes)} change(s) since; reload the plan and redo your edit on version {plan.version}",
            field="version",
        )
        self.current_version = plan.version
        self.changes = [change_dict(c) for c in changes]


class VersionRequired(InvalidInput):
    """No version was given with an edit (HTTP 428)."""


def change_dict(c: PlanChange) -> dict[str, Any]:
    return {"version": c.version, "at": c.at.isoformat(), "actor": c.actor, "op": c.op, "detail": c.detail or {}}


def changes_since(plan_id: int, since: int, *, session: Session) -> list[PlanChange]:
    if session.get(Plan, plan_id) is None:
        raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
    return list(session.scalars(
        select(PlanChange).where(PlanChange.plan_id == plan_id, PlanChange.version > since)
        .order_by(PlanChange.version, PlanChange.id)
    ).all())


def open_plan(plan_id: int, version: int | None, *, session: Session, draft: bool | None = True,
              lock: bool = True) -> Plan:
    """The plan, locked for this transaction (unless ``lock=False``: a job reading it before its
    solve), checked to be at ``version``.

    ``draft=True``: only a draft may be edited; ``False``: only a published plan; None: either.
    """
    plan = session.get(Plan, plan_id, with_for_update=lock, populate_existing=True)
    if plan is None:
        raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
    if plan.status is PlanStatus.REPLACED:
        raise Conflict(f"plan {plan_id} was replaced by a newer plan of {plan.date.isoformat()}; it is kept for "
                       "the history and no longer changed: edit the day's current plan", field="plan_id")
    if version is None:
        raise VersionRequired(
            f"say which version of plan {plan_id} you edit: an If-Match: \"{plan.version}\" header or "
            f"\"version\": {plan.version} in the body (the current version is {plan.version})",
            field="version",
        )
    if version != plan.version:
        raise StaleVersion(plan, version, changes_since(plan_id, version, session=session))
    if draft is True and plan.status is PlanStatus.PUBLISHED:
        raise Conflict(
            f"plan {plan_id} is published: publish freezes the plan; re-plan instead "
            f"(POST /api/v1/plans/{plan_id}/replan)",
            field="plan_id",
        )
    if draft is False and plan.status is not PlanStatus.PUBLISHED:
        raise Conflict(f"plan {plan_id} is a draft: edit or re-optimise it; only a published plan is re-planned",
                       field="plan_id")
    return plan


def record_change(plan: Plan, op: str, actor: str, detail: dict[str, Any] | None = None, *,
                  session: Session) -> PlanChange:
    """Bump the plan's version and log the change (in the caller's transaction).

    The bump is a compare-and-set on the stored version, so two writers can never both succeed from
    the same version, even where ``SELECT ... FOR UPDATE`` is not available.
    """
    expected = plan.version or 1
    session.flush()
    bumped = session.execute(
        update(Plan).where(Plan.id == plan.id, Plan.version == expected).values(version=expected + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        session.refresh(plan, attribute_names=["version"])
        raise StaleVersion(plan, expected, changes_since(plan.id, expected, session=session))
    set_committed_value(plan, "version", expected + 1)
    change = PlanChange(plan_id=plan.id, version=plan.version, at=utcnow(), actor=actor or "unknown", op=op,
                        detail=detail or {})
    session.add(change)
    session.flush()
    return change

