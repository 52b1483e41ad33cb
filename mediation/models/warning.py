"""督办: an instruction from the justice office to the committee that owns a case, which the
committee must answer (issue 12, early warning)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, utcnow
from mediation.models.org import Org
from mediation.models.user import User


class Instruction(Base):
    __tablename__ = "instructions"
    __table_args__ = (
        # 我的待办 asks for a committee's unanswered instructions.
        Index("ix_instructions_committee_open", "committee_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The committee that must answer: the case's owner when the instruction was sent.
    committee_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    from_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped["Case"] = relationship()  # noqa: F821
    committee: Mapped[Org] = relationship()
    sender: Mapped[User] = relationship(foreign_keys=[from_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
