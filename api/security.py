"""Who may call what: staff roles on every endpoint (being implemented; see issue 5 item 5).

Interface used by the routers (stable, other work depends on it):

- ``Role``: ``admin``, ``coordinator``, ``switchboard``.
- ``require(*roles)``: a FastAPI dependency; the caller must be a staff member with one of ``roles``
  (``admin`` always passes). Use as ``dependencies=[require(Role.COORDINATOR)]`` on a router or a route,
  or as a parameter ``user: Annotated[StaffUser, require(Role.COORDINATOR)]`` to know who acts.
- ``public()``: marks an endpoint as deliberately open (donors, links, health); it does nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from fastapi import Depends


class Role(str, enum.Enum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    SWITCHBOARD = "switchboard"


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: Role


def require(*roles: Role) -> Any:
    """Placeholder until authentication lands: lets every caller through as an admin."""

    def _dep() -> StaffUser:
        return StaffUser(id=0, username="anonymous", role=Role.ADMIN)

    return Depends(_dep)


def public() -> Any:
    def _dep() -> None:
        return None

    return Depends(_dep)
