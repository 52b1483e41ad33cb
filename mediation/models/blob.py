"""Stored files kept in the database (STORAGE=database): the shared store of several app
servers that needs no service besides the database they already share."""

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, utcnow


class Blob(Base):
    """The bytes of one upload or generated document, under their SHA-256: the same content
    is kept once, and a row never changes once written."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    # Deferred: listing or checking rows never pulls megabytes of PDF along.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
