"""Test data through the services: an organisation tree, accounts and cases."""

import itertools
from dataclasses import dataclass, field

from sqlalchemy import update

from mediation.admin.service import create_org
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import (
    Case,
    Category,
    CommitteeKind,
    Org,
    OrgKind,
    PartyKind,
    PartyRole,
    Publicity,
    Role,
    Source,
    User,
)
from mediation.models.base import local_today, utcnow
from mediation.referrals.service import is_referred

PASSWORD = "secret123"
# Valid resident ID numbers (check digit correct), one male and one female.
ID_MALE = "330109198510120033"
ID_FEMALE = "11010519491231002X"


@dataclass
class World:
    bureau: Org
    offices: dict[str, Org]
    committees: dict[str, Org]
    users: dict[str, User] = field(default_factory=dict)

    def __getitem__(self, username: str) -> User:
        return self.users[username]


def make_user(username: str, role: Role, org: Org, name: str | None = None) -> User:
    user = User(username=username, name=name or username, role=role, org=org)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def build_world() -> World:
    """司法局 → 城关镇司法所 (东街, 城关) and 河西镇司法所 (河西), with one account per role."""
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": "示例县司法局"})
    offices = {
        key: create_org(None, {"kind": OrgKind.OFFICE, "name": name, "parent_id": bureau.id})
        for key, name in (("chengguan", "城关镇司法所"), ("hexi", "河西镇司法所"))
    }
    committees = {}
    for short, name, office in (
        ("东街", "东街社区人民调解委员会", "chengguan"),
        ("城关", "城关镇人民调解委员会", "chengguan"),
        ("河西", "河西村人民调解委员会", "hexi"),
    ):
        committees[short] = create_org(None, {
            "kind": OrgKind.COMMITTEE, "name": name, "short_name": short,
            "committee_kind": CommitteeKind.VILLAGE, "parent_id": offices[office].id,
        })  # fmt: skip
    world = World(bureau, offices, committees)
    for username, role, org, name in (
        ("director1", Role.DIRECTOR, committees["东街"], "周主任"),
        ("mediator1", Role.MEDIATOR, committees["东街"], "李调解"),
        ("mediator3", Role.MEDIATOR, committees["东街"], "孙调解"),
        ("grid1", Role.GRID, committees["东街"], "陈网格"),
        ("grid9", Role.GRID, committees["东街"], "别的网格员"),
        ("director2", Role.DIRECTOR, committees["河西"], "吴主任"),
        ("mediator2", Role.MEDIATOR, committees["河西"], "王调解"),
        ("mediator5", Role.MEDIATOR, committees["城关"], "城关调解员"),
        ("auditor1", Role.AUDITOR, offices["chengguan"], "城关审核"),
        ("auditor2", Role.AUDITOR, offices["hexi"], "河西审核"),
        ("auditor0", Role.AUDITOR, bureau, "县局审核"),
        ("admin", Role.ADMIN, bureau, "管理员"),
    ):
        world.users[username] = make_user(username, role, org, name)
    return world


def person(role: PartyRole = PartyRole.APPLICANT, name: str = "张三", **extra) -> dict:
    return {"role": role, "kind": PartyKind.PERSON, "name": name, "ethnicity": "汉族", **extra}


_REFERRAL_NUMBERS = itertools.count(1)


def make_case(
    user: User, parties: list[dict] | None = None, *, rights_notice: bool = True,
    referral: dict | None = None, **fields,
) -> Case:  # fmt: skip
    data = {
        "category": Category.NEIGHBOUR,
        "source": Source.APPLICATION,
        "summary": "楼上漏水导致楼下天花板受损。",
        "request": "请求修复并赔偿损失。",
        "registered_on": local_today(),
        **fields,
    }
    parties = parties or [
        person(PartyRole.APPLICANT, "张三", id_number=ID_MALE, phone="13812345678"),
        person(PartyRole.RESPONDENT, "李四", id_number=ID_FEMALE, phone="13987654321"),
    ]
    if referral is None and is_referred(data["source"]):
        # A referred case comes with its referral (rule 1); tests about something else get one.
        referral = {
            "body_name": f"示例{data['source'].label}单位",
            "reference_number": f"测试第{next(_REFERRAL_NUMBERS)}号",
            "referred_on": data["registered_on"],
        }
    case = cases.register_case(user, data, parties, referral)
    if rights_notice:
        acknowledge_rights(case)
    return case


def acknowledge_rights(case: Case) -> Case:
    """Test data: the parties acknowledged the rights notice, chose private mediation and,
    for 主动调解, consented (rule 15), so the case may be accepted. Written past the
    services and the version counter, so tests that count timeline events or versions see
    only their own."""
    consent = "双方当事人口头同意调解。" if case.source == Source.INITIATIVE else ""
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(rights_notice_at=utcnow(), publicity=Publicity.PRIVATE, initiative_consent=consent)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(case)
    return case
