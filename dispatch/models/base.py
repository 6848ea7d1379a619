"""The declarative base every model derives from, with its naming convention for constraints, and
the building blocks the model modules share: UTC timestamps without a zone (:func:`utcnow`), enum
columns stored as their values (:func:`enum_column`) and the date span of a calendar entry (:class:`DateSpan`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Enum, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def enum_column(cls: type[enum.Enum]) -> Enum:
    """A column type for ``cls`` stored as its values (strings of at most 20 characters), checked."""
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e], validate_strings=True)


class DateSpan:
    """Columns of a calendar entry: from ``start_date`` to ``end_date`` inclusive, with why."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (CheckConstraint("end_date >= start_date", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
