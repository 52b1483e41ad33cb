"""Referred cases (委派/委托/移交, 诉调/警调/访调对接): who referred the case, under which of
their numbers, and the feedback (反馈函) the committee owes them when the case ends."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.case import Case
from mediation.models.enums import FeedbackMethod, Source
from mediation.models.user import User

# The case sources that are a referral by another body (DOMAIN §4); their cases carry one.
REFERRED_SOURCES = (Source.COURT, Source.POLICE, Source.PETITION, Source.DEPARTMENT)

# When the referring body set no deadline, the feedback is due this many days after the case
# ended (the outcome known: agreement in force, termination, withdrawal, rejection).
FEEDBACK_DAYS = 7

# Labels of the referral's fields: the forms show them, the timeline names changes with them.
REFERRAL_LABELS = {
    "body_kind": "委派/移交单位类别",
    "body_name": "委派/移交单位",
    "reference_number": "对方文号（案号）",
    "referred_on": "委派/移交日期",
    "feedback_due": "反馈期限",
}


class Referral(Base):
    """One case referred by a court, a police station, a petition office or another
    department. (body_name, reference_number) is unique: the same letter registered twice is
    the same referral, never a second case."""

    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("body_name", "reference_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # The kind of body, one of REFERRED_SOURCES; always the case's source.
    body_kind: Mapped[Source] = mapped_column(enum_column(Source), index=True)
    body_name: Mapped[str] = mapped_column(String(100), index=True)  # e.g. 城关人民法院
    reference_number: Mapped[str] = mapped_column(String(60))  # their 文号 or 案号
    referred_on: Mapped[date]
    # The deadline the body set for the feedback; without one, FEEDBACK_DAYS after the end.
    feedback_due: Mapped[date | None]
    feedback_sent_on: Mapped[date | None]
    feedback_method: Mapped[FeedbackMethod | None] = mapped_column(enum_column(FeedbackMethod))
    feedback_note: Mapped[str] = mapped_column(Text, default="")
    feedback_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="referral")
    feedback_by: Mapped[User | None] = relationship()

    @property
    def feedback_sent(self) -> bool:
        return self.feedback_sent_on is not None
