"""The hearing calendar: mediation sessions scheduled ahead (time, place, mediators, parties
invited, others invited with the parties' consent, Art. 20), before they are held and
recorded (Art. 27)."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.case import Case
from mediation.models.enums import AppointmentStatus
from mediation.models.org import Org
from mediation.models.party import Party
from mediation.models.user import User

appointment_mediators = Table(
    "appointment_mediators",
    Base.metadata,
    Column("appointment_id", ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)

appointment_parties = Table(
    "appointment_parties",
    Base.metadata,
    Column("appointment_id", ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True),
    # A party removed from the case in an intake correction is no longer invited.
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True),
)


class Appointment(Base):
    """A mediation session on the calendar. `room` is the place normalised (full-width,
    spaces and case folded), so that 「调解室 ２」 and 「调解室2」 are one room of the committee
    when double bookings are looked for."""

    __tablename__ = "appointments"
    __table_args__ = (
        # The calendars read a committee's appointments in a period; clashes a room's.
        Index("ix_appointments_committee_starts", "committee_id", "starts_at"),
        Index("ix_appointments_room", "committee_id", "room", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The committee whose calendar shows it: the case's committee when it was scheduled.
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    room: Mapped[str] = mapped_column(String(200))
    # Others invited with the parties' consent (Art. 20): relatives, neighbours, experts ...
    invited: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus), default=AppointmentStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The session record written for it (then it is 已举行).
    session_record_id: Mapped[int | None] = mapped_column(ForeignKey("session_records.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    committee: Mapped[Org] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    mediators: Mapped[list[User]] = relationship(
        secondary=appointment_mediators, order_by=User.name
    )
    parties: Mapped[list[Party]] = relationship(
        secondary=appointment_parties, order_by=Party.position
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.starts_at} {self.status}>"

    @property
    def is_scheduled(self) -> bool:
        return self.status == AppointmentStatus.SCHEDULED
