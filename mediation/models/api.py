"""The JSON API's side of the data: the clients the administrator registers (courts, police
stations, petition offices, departments, the province), what they may reach, their tokens,
the cases they referred, their rate-limit counters and the outbox of status changes pushed
to them."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.case import Case
from mediation.models.enums import ApiClientKind
from mediation.models.org import Org


class ApiClient(Base):
    """A body that exchanges data with us instead of typing into our pages. It reaches the
    committees of its granted units only; it reads only the cases it referred."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # e.g. 城关区人民法院
    kind: Mapped[ApiClientKind] = mapped_column(enum_column(ApiClientKind))
    # Where status changes of its cases are pushed (empty: nothing is pushed).
    callback_url: Mapped[str] = mapped_column(String(500), default="")
    # The key the pushed messages are signed with (HMAC-SHA256). Kept as issued because the
    # server signs with it; shown to the administrator once, when made.
    signing_secret: Mapped[str] = mapped_column(String(100))
    rate_limit: Mapped[int] = mapped_column(Integer, default=120)  # calls per minute
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    units: Mapped[list[Org]] = relationship(secondary="api_client_units", order_by=Org.path)
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="client", order_by="ApiToken.id.desc()", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ApiClientUnit(Base):
    """A unit (a committee, a justice office, the bureau) whose committees the client may
    refer cases to and read statistics of."""

    __tablename__ = "api_client_units"

    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token: only its SHA-256 is kept; the token itself is shown once when it is
    issued. It works until it expires or is revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # its first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship(back_populates="tokens")

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ApiReferral(Base):
    """A case a client referred, under the client's reference number. (client, reference)
    is unique: a repeat of the referral is answered with the same case. The row is claimed
    (case_id empty) before the case is registered, so simultaneous repeats wait for the
    first instead of registering a second case."""

    __tablename__ = "api_referrals"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    reference: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[ApiClient] = relationship()
    case: Mapped[Case | None] = relationship()


class ApiRateCount(Base):
    """Calls of a client in one minute: counted in the database, so every app server sees
    the same count."""

    __tablename__ = "api_rate_counts"

    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ApiOutbox(Base):
    """A status change to push to a client, written in the transaction of the change.
    A worker claims it (claimed_at/claimed_by), posts it signed, and marks it delivered; a
    failed post is tried again later (next_attempt_at, doubling), a claim whose worker died
    is taken over after a lease. The idempotency key lets the receiver drop a repeat."""

    __tablename__ = "api_outbox"
    __table_args__ = (Index("ix_api_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(40), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(40), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")

    client: Mapped[ApiClient] = relationship()
