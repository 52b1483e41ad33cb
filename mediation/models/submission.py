"""One-time submission tokens: each posted form carries one, so a repeat of the same post
(a double click, Back and submit again, a retry) shows the first one's result instead of
doing the work twice."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.models.base import Base, UTCDateTime, utcnow


class Submission(Base):
    """A token claimed by the first post that carried it. `done` once that post succeeded,
    with where it sent the user and what it told them; a refused post gives its claim up,
    so the same form can be corrected and sent again."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # "user:<id>" or "visitor:<random id kept in the session>": a token is only ever
    # answered to whoever it was rendered for.
    owner: Mapped[str] = mapped_column(String(80))
    endpoint: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    done: Mapped[bool] = mapped_column(default=False)
    location: Mapped[str | None] = mapped_column(String(500))
    messages: Mapped[list] = mapped_column(JSON, default=list)
    # What was posted (every field but the tokens, and the files' digests), hashed: the same
    # form sent again under a new token (Back without the browser's page cache, which
    # draws the form anew) is recognised as the same post.
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)


# Two posts of the same content cannot both be under way: the second waits for the first.
Index(
    "uq_submissions_open_fingerprint",
    Submission.fingerprint,
    unique=True,
    sqlite_where=Submission.done.is_(False),
    postgresql_where=Submission.done.is_(False),
)
