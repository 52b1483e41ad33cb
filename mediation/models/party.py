"""Parties (当事人) of a case: natural persons, or legal persons and other organisations."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.models.base import Base, UTCDateTime, enum_column, local_today
from mediation.models.enums import PartyKind, PartyRole, Sex

PARTY_LABELS = {
    "role": "当事人类别",
    "kind": "主体类型",
    "name": "姓名或名称",
    "sex": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "age": "年龄",
    "id_number": "公民身份号码",
    "occupation": "职业或单位",
    "address": "住所",
    "district": "住所地（区县、乡镇街道）",
    "phone": "联系电话",
    "legal_representative": "法定代表人或主要负责人",
}
# Shown masked everywhere outside the case's own handlers, the timeline included.
PERSONAL_FIELDS = ("id_number", "phone")


def tail(column):
    """The last four characters of an ID number or phone: what the masked form shows, and
    what the case list's search takes (an expression index, not a new column: PIPL)."""
    return func.substr(column, func.length(column) - literal_column("3"))


class Party(Base):
    __tablename__ = "parties"
    # Early warning looks for the same person (ID number) or place in another dispute.
    # The case list searches names by substring (trigrams) and ID numbers and phones by their
    # last four characters (migration 0020, from EXPLAIN); PostgreSQL only: SQLite scans.
    __table_args__ = (
        Index("ix_parties_id_number", "id_number", "case_id"),
        Index("ix_parties_address", "address", "case_id"),
        Index(
            "ix_parties_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index("ix_parties_id_tail", tail(literal_column("id_number"))).ddl_if(dialect="postgresql"),
        Index("ix_parties_phone_tail", tail(literal_column("phone"))).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    role: Mapped[PartyRole] = mapped_column(enum_column(PartyRole))
    kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind), default=PartyKind.PERSON)
    # Person's name, or the organisation's name. Indexed for the search by party name.
    name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex))
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    birth_date: Mapped[date | None]
    age: Mapped[int | None]
    id_number: Mapped[str] = mapped_column(String(18), default="")
    occupation: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # Rule 3: the district (区县/乡镇街道) of the address, for the committee's competence.
    district: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    # Rule 1: a party who clearly refuses mediation; the case may then not enter 调解中.
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal_note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped["Case"] = relationship(back_populates="parties")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Party {self.role} {self.name}>"

    @property
    def is_person(self) -> bool:
        return self.kind == PartyKind.PERSON

    @property
    def shown_age(self) -> int | None:
        """Age from the birth date when known, else the age given at intake."""
        if self.birth_date is None:
            return self.age
        today = local_today()
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years
