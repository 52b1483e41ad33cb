"""Records of the mediation work: session records (调解记录, Art. 27)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.user import User


class SessionRecord(Base):
    """One mediation session: time, place, who mediated, who attended, what happened."""

    __tablename__ = "session_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    mediators: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[str] = mapped_column(Text)
    course: Mapped[str] = mapped_column(Text)  # what each party said and what was done
    result: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped["Case"] = relationship(back_populates="session_records")  # noqa: F821
    created_by: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}
