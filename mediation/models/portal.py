"""What the resident-facing pages keep: failed case lookups (for throttling guesses) and the
lookups in progress (the browser holds only their random id)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.party import Party


class LookupFailure(Base):
    """A lookup of a case by a resident that failed (or is being checked). The key is a keyed
    hash of the case number typed or of the address it came from: nothing typed can be read
    back. Kept a day: too many for one key block further lookups, so the last six characters
    of an ID number cannot be guessed."""

    __tablename__ = "lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PortalLookup(Base):
    """A resident's successful lookup: the browser's cookie names it by a random id, kept here
    only hashed. It holds LOOKUP_MINUTES from its start, or until 结束查询 ends it here."""

    __tablename__ = "portal_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    # True when the party proved who they are with the last six characters of the ID number,
    # False with the phone number.
    by_id_tail: Mapped[bool] = mapped_column(default=False)
    # True when the case was named by an online application's receipt number: the page then
    # follows the application and shows nothing about the other parties.
    by_receipt: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    party: Mapped[Party] = relationship()

    @property
    def case(self):
        return self.party.case
