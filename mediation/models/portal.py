"""What the resident-facing pages keep: failed case lookups, for throttling guesses."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, utcnow


class LookupFailure(Base):
    """A failed lookup of a case by a resident. The key names what was tried (a case number,
    or a keyed hash of the address it came from), never the digits typed. Kept for an hour:
    too many for one key block further lookups, so the last six digits of an ID number cannot
    be guessed."""

    __tablename__ = "lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
