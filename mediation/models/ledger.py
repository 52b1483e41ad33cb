"""The statistics' ledger: figures worked out once per committee and kept until that
committee's cases change (see mediation/reports/ledger.py)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, utcnow


class StatisticsMark(Base):
    """How many times a committee's cases have changed: bumped in the transaction of every
    change, just before it commits. A kept part is current while its mark equals this."""

    __tablename__ = "statistics_marks"

    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    mark: Mapped[int] = mapped_column(Integer, default=0)


class StatisticsPart(Base):
    """One committee's share of a report (which report, period and day: `key`), worked out
    when its mark was `mark`. Never edited: replaced when recomputed."""

    __tablename__ = "statistics_parts"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    mark: Mapped[int]
    part: Mapped[Any] = mapped_column(JSON, nullable=True)  # None: nothing to count
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
