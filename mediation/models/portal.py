"""What the resident-facing pages keep: failed case lookups, for throttling guesses."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, utcnow


class LookupFailure(Base):
    """A lookup of a case by a resident that failed (or is being checked). The key is a keyed
    hash of the case number typed or of the address it came from: nothing typed can be read
    back. Kept a day: too many for one key block further lookups, so the last six characters
    of an ID number cannot be guessed."""

    __tablename__ = "lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
