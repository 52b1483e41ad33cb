"""The organisation tree: 司法局 → 司法所 → 人民调解委员会."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, utcnow
from mediation.models.enums import CommitteeKind, OrgKind


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Committees only: the short name used in case numbers, e.g. 东街 in （2026）东街调字第0001号.
    short_name: Mapped[str | None] = mapped_column(String(20), unique=True)
    committee_kind: Mapped[CommitteeKind | None] = mapped_column(enum_column(CommitteeKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    # Materialised path "/1/4/9/": a subtree is one indexed LIKE, not a recursive query.
    path: Mapped[str] = mapped_column(String(200), index=True, default="")
    # Days from acceptance within which a case should be concluded (rule 11).
    deadline_days: Mapped[int] = mapped_column(default=30)
    # Committees only: the villages, communities or streets it serves, separated by 、 (the
    # public home page lists them, and an online application's place suggests the committee).
    service_area: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    parent: Mapped["Org | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Org"]] = relationship(back_populates="parent", order_by="Org.id")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Org {self.id} {self.name}>"

    @property
    def is_committee(self) -> bool:
        return self.kind == OrgKind.COMMITTEE

    @property
    def areas(self) -> list[str]:
        return [a.strip() for a in self.service_area.replace(",", "、").split("、") if a.strip()]

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")
