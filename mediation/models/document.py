"""Generated documents (文书): every PDF the app issues, stored immutably with its SHA-256 and
a public verification code, versioned per case, kind and the record it was made from."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, Labelled, UTCDateTime, enum_column, utcnow
from mediation.models.record import Attachment
from mediation.models.user import User


class DocumentKind(Labelled):
    """The documents of DOMAIN §3, in the order the case file (卷宗) binds them."""

    APPLICATION = "application", "人民调解申请书"
    REGISTRATION = "registration", "受理登记表"
    RIGHTS_NOTICE = "rights_notice", "人民调解权利义务告知书"
    INVESTIGATION = "investigation", "调查记录"
    SESSION = "session", "调解记录"
    AGREEMENT = "agreement", "人民调解协议书"
    TERMINATION = "termination", "调解终止告知书"
    FOLLOW_UP = "follow_up", "回访记录"
    CONFIRMATION = "confirmation", "司法确认申请书"
    FEEDBACK = "feedback", "人民调解情况反馈函"
    CASE_FILE = "case_file", "卷宗"


class GeneratedDocument(Base):
    __tablename__ = "generated_documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", "source_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    # The record it was drawn from (session, investigation, agreement, follow-up id); 0 when
    # it is drawn from the case itself. A plain id, since it points into different tables.
    source_id: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    pages: Mapped[int]
    pdf_variant: Mapped[str] = mapped_column(String(24), default="")  # e.g. pdf/a-3b
    # Printed on the PDF and in its QR code; unguessable (secrets.token_urlsafe).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Set once the signed paper copy of this very version has been scanned and uploaded.
    signed_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))

    case: Mapped["Case"] = relationship()  # noqa: F821
    generated_by: Mapped[User] = relationship()
    signed_attachment: Mapped[Attachment | None] = relationship()

    @property
    def is_signed(self) -> bool:
        return self.signed_attachment_id is not None

    @property
    def filename(self) -> str:
        """The kind's name; pages and downloads use documents.service.filename_of, which
        names an oral agreement's register by its own title."""
        return f"{self.case.number}-{self.kind.label}-第{self.version}版.pdf"
