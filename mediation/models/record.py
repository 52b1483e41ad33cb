"""Records of the mediation work (Art. 27): sessions, investigations, attachments and the
people invited to take part (Art. 20)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import AttachmentKind, ParticipantKind
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


class InvestigationRecord(Base):
    """An investigation (调查记录): who was questioned, by whom, when and where, and what."""

    __tablename__ = "investigation_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    investigator: Mapped[str] = mapped_column(String(100))
    person_questioned: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped["Case"] = relationship(back_populates="investigation_records")  # noqa: F821
    created_by: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Attachment(Base):
    """An uploaded file (evidence, photo, scan). Stored outside static/ under its SHA-256,
    served only through the case's scope check, always as a download."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    session_record_id: Mapped[int | None] = mapped_column(ForeignKey("session_records.id"))
    investigation_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("investigation_records.id")
    )
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the cleaned copy kept
    # Of the file as uploaded, before its active content was removed (None: uploaded before
    # files were cleaned, when the two were the same).
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped["Case"] = relationship(back_populates="attachments")  # noqa: F821
    uploaded_by: Mapped[User] = relationship(lazy="joined")  # shown with every file


class Participant(Base):
    """Someone invited to take part in the mediation with the parties' consent (Art. 20)."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ParticipantKind] = mapped_column(enum_column(ParticipantKind))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[str] = mapped_column(Text)  # how the parties agreed to the invitation
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped["Case"] = relationship(back_populates="participants")  # noqa: F821
