"""Doors into the system from outside a committee: a resident's online application (当事人
申请) and the grid workers' 排查 (grids, their reports and 零上报)."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.case import Case
from mediation.models.enums import Category, GridReportKind, GridReportOutcome, RiskLevel
from mediation.models.org import Org
from mediation.models.user import User


class OnlineApplication(Base):
    """An application made on the public page. The case it created (status 申请, source 当事人
    申请) is the application in the committee's list; this row keeps what only the online
    door knows: the receipt number the applicant follows it with, and the place as typed."""

    __tablename__ = "online_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # 纠纷发生地 as the applicant wrote it (the case gets it through channels.service.case_fields).
    place: Mapped[str] = mapped_column(String(200))
    # Whether the committee was the one suggested from the place, or the applicant changed it.
    committee_suggested: Mapped[bool] = mapped_column(default=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class Grid(Base):
    """A grid (网格): a part of a committee's area that one grid worker walks (排查)."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("committee_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    area: Mapped[str] = mapped_column(String(200), default="")
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee: Mapped[Org] = relationship(lazy="joined")
    worker: Mapped[User | None] = relationship(lazy="joined")


class GridReport(Base):
    """One 排查 of a grid in a week: a dispute found (REPORT), or nothing found (ZERO, at most
    one per grid and week). The committee turns a report into a case or resolves it on the
    spot (就地化解); the grid worker sees which."""

    __tablename__ = "grid_reports"
    __table_args__ = (
        Index("ix_grid_reports_grid_week", "grid_id", "week"),
        # One 零上报 per grid and week, even when two are sent at once.
        Index("uq_grid_reports_zero", "grid_id", "week", unique=True,
              sqlite_where=text("kind = 'zero'"), postgresql_where=text("kind = 'zero'")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[GridReportKind] = mapped_column(enum_column(GridReportKind))
    # The Monday of the (Beijing) week the 排查 belongs to.
    week: Mapped[date]
    place: Mapped[str] = mapped_column(String(200), default="")
    parties: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    summary: Mapped[str] = mapped_column(Text, default="")
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel), default=RiskLevel.LOW)
    outcome: Mapped[GridReportOutcome] = mapped_column(
        enum_column(GridReportOutcome), default=GridReportOutcome.PENDING
    )
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    grid: Mapped[Grid] = relationship(lazy="joined")
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="joined")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    case: Mapped[Case | None] = relationship()
    photos: Mapped[list["GridPhoto"]] = relationship(
        back_populates="report", order_by="GridPhoto.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class GridPhoto(Base):
    """A photo of a grid report, stored like every upload (records.attachments.store_upload)."""

    __tablename__ = "grid_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grid_reports.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[GridReport] = relationship(back_populates="photos")
