"""Demo data: the 示例县 organisation tree, its accounts and about sixty cases from the last year.

Built only through the services, at the moments the history happened (frozen_time), so the
timeline, deadlines and hash chains are what real use would have produced.
"""

import io
import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from mediation.admin.service import create_org
from mediation.agreements import service as agreements
from mediation.auth.service import DEMO_PASSWORD
from mediation.calendar import service as calendar
from mediation.cases import service as cases
from mediation.channels import service as channels
from mediation.extensions import db
from mediation.grid import service as grids
from mediation.handling import service as handling
from mediation.models import (
    AgreementKind,
    Case,
    CaseStatus,
    Category,
    CommitteeKind,
    ConfirmationResult,
    FeedbackMethod,
    Org,
    OrgKind,
    OtherAuthority,
    PartyKind,
    PartyRole,
    Performance,
    Publicity,
    Referral,
    RiskLevel,
    Role,
    Satisfaction,
    Sex,
    Source,
    User,
)
from mediation.models.base import LOCAL_TZ, frozen_time, local_today
from mediation.records.service import record_session
from mediation.referrals import service as referrals

BUREAU = "示例县司法局"
PASSWORD = DEMO_PASSWORD  # refused in production (auth.service)

COMMITTEES = [
    # name, short name, kind, office
    ("东街社区人民调解委员会", "东街", CommitteeKind.VILLAGE, "城关镇司法所"),
    ("城关镇人民调解委员会", "城关", CommitteeKind.TOWN, "城关镇司法所"),
    ("河西村人民调解委员会", "河西", CommitteeKind.VILLAGE, "河西镇司法所"),
    ("示例县医疗纠纷人民调解委员会", "医调", CommitteeKind.TRADE, None),
]

ACCOUNTS = [
    # username, name, role, org name
    ("director1", "周建华", Role.DIRECTOR, "东街社区人民调解委员会"),
    ("mediator1", "李秀英", Role.MEDIATOR, "东街社区人民调解委员会"),
    ("mediator2", "王德明", Role.MEDIATOR, "河西村人民调解委员会"),
    ("grid1", "陈晓东", Role.GRID, "东街社区人民调解委员会"),
    ("auditor1", "刘文斌", Role.AUDITOR, "城关镇司法所"),
    ("auditor0", "赵国庆", Role.AUDITOR, BUREAU),
    ("admin", "系统管理员", Role.ADMIN, BUREAU),
    # Further accounts, so every committee has someone to work its cases.
    ("mediator3", "孙丽娟", Role.MEDIATOR, "东街社区人民调解委员会"),
    ("director2", "吴海涛", Role.DIRECTOR, "河西村人民调解委员会"),
    ("director3", "郑志刚", Role.DIRECTOR, "城关镇人民调解委员会"),
    ("mediator4", "冯春梅", Role.MEDIATOR, "城关镇人民调解委员会"),
    ("director4", "何俊杰", Role.DIRECTOR, "示例县医疗纠纷人民调解委员会"),
    ("mediator5", "许淑珍", Role.MEDIATOR, "示例县医疗纠纷人民调解委员会"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN_MALE = ["建国", "志强", "国华", "德明", "俊杰", "晓东", "文斌", "永福", "海涛", "明亮",
              "军", "伟", "磊", "涛", "宏伟", "长林"]  # fmt: skip
GIVEN_FEMALE = ["秀英", "桂兰", "海燕", "丽娟", "春梅", "玉兰", "红霞", "淑珍", "小红", "婷",
                "芳", "静", "美华", "凤英", "雪梅", "慧敏"]  # fmt: skip
STREETS = ["东街社区幸福路", "东街社区人民路", "城关镇解放路", "城关镇新华街", "河西村一组",
           "河西村三组", "河西镇滨河路"]  # fmt: skip
# The district (住所地 区县/乡镇街道) of an address in the demo county, from its first characters.
DISTRICTS = {"东街": "示例县城关镇", "城关": "示例县城关镇", "河西": "示例县河西镇"}


def _district(address: str) -> str:
    return DISTRICTS.get(address[:2], "示例县城关镇")


JOBS = ["务农", "个体经营", "退休", "企业职工", "教师", "自由职业", "司机", "厨师"]

# (category, respondent is an organisation?, summary, request)
STORIES = [
    (Category.NEIGHBOUR, False,
     "双方系楼上楼下邻居。申请人称被申请人家卫生间长期渗水，致其天花板霉变、墙皮脱落，多次协商未果。",
     "请求被申请人维修防水层，并赔偿装修损失。"),
    (Category.NEIGHBOUR, False,
     "双方因院墙外公共通道堆放杂物发生争执，互有推搡，经社区网格员发现后上报。",
     "请求被申请人清理通道杂物，保证通行。"),
    (Category.FAMILY, False,
     "申请人年逾七旬，育有两子。双方就老人赡养费分担及轮流照料问题产生矛盾，已多月未付赡养费。",
     "请求被申请人按月支付赡养费，并明确照料安排。"),
    (Category.MARRIAGE, False,
     "双方系夫妻，因家庭琐事长期不和，申请人提出离婚，双方对子女抚养及共同财产分割意见不一。",
     "请求就子女抚养和财产分割达成一致意见。"),
    (Category.HOUSING, False,
     "双方宅基地相邻。被申请人翻建房屋时将滴水檐伸入申请人一侧约三十厘米，申请人认为影响采光排水。",
     "请求被申请人拆除越界部分，恢复原状。"),
    (Category.CONTRACT, False,
     "申请人向被申请人出借人民币五万元用于经营，约定一年归还，到期后被申请人以资金周转困难为由未还。",
     "请求被申请人归还借款五万元及约定利息。"),
    (Category.BUSINESS, True,
     "申请人承包被申请人公司的绿化养护工程，工程完工验收后，尚余工程款未结清。",
     "请求被申请人支付剩余工程款。"),
    (Category.DAMAGES, False,
     "被申请人饲养的犬只在小区内将申请人咬伤，申请人花费医疗费、疫苗费若干，双方对赔偿数额有争议。",
     "请求被申请人赔偿医疗费、误工费等各项损失。"),
    (Category.LABOUR, True,
     "申请人在被申请人餐馆工作八个月，离职时被拖欠两个月工资，双方对加班费计算存在分歧。",
     "请求被申请人支付拖欠工资及加班费。"),
    (Category.LAND, False,
     "双方承包地相邻，因地界标志被移动，对约两分地的归属产生争议，春耕在即矛盾有激化苗头。",
     "请求依据原承包合同确认地界。"),
    (Category.EXPROPRIATION, True,
     "申请人房屋位于征收范围内，对评估面积中附属用房的认定有异议，与征收实施单位协商未果。",
     "请求重新核定附属用房面积并相应调整补偿。"),
    (Category.POLLUTION, True,
     "被申请人经营的加工作坊夜间噪声较大，附近多户居民反映影响休息，联名要求处理。",
     "请求被申请人夜间停工并采取降噪措施。"),
    (Category.MEDICAL, True,
     "申请人之父在被申请人医院住院期间跌倒致骨折，申请人认为护理不到位，要求医院承担责任。",
     "请求被申请人赔偿医疗费、护理费等损失。"),
    (Category.PROPERTY_MGMT, True,
     "申请人以小区电梯长期故障、维修不及时为由拒交物业费，物业公司多次催缴。",
     "请求物业公司限期修复电梯，并就物业费减免协商。"),
    (Category.TRAFFIC, False,
     "被申请人驾驶电动车在路口与申请人骑行的自行车相撞，交警认定被申请人负主要责任，双方就赔偿协商未果。",
     "请求被申请人赔偿医疗费、车辆维修费等损失。"),
    (Category.CONSUMER, True,
     "申请人在被申请人门店购买的冰箱使用一个月即出现不制冷，门店以人为损坏为由拒绝退换。",
     "请求被申请人退货退款。"),
]  # fmt: skip

ORGANISATIONS = {
    Category.BUSINESS: ("示例县绿城园林工程有限公司", "林国栋"),
    Category.LABOUR: ("示例县老街坊餐馆", "马永福"),
    Category.EXPROPRIATION: ("示例县房屋征收服务中心", "高明亮"),
    Category.POLLUTION: ("城关镇宏发木材加工厂", "罗长林"),
    Category.MEDICAL: ("示例县人民医院", "梁宏伟"),
    Category.PROPERTY_MGMT: ("示例县安居物业服务有限公司", "宋美华"),
    Category.CONSUMER: ("示例县家电城", "唐凤英"),
}

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id_number(rng: random.Random, born: datetime, male: bool) -> str:
    """A well-formed but fictitious resident ID number (region code of the demo county)."""
    seq = rng.randrange(10, 99) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    body = f"330109{born:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _person(rng: random.Random, role: PartyRole) -> dict:
    male = rng.random() < 0.55
    name = rng.choice(SURNAMES) + rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    born = datetime(rng.randrange(1950, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
    return {
        "role": role, "kind": PartyKind.PERSON, "name": name,
        "sex": Sex.MALE if male else Sex.FEMALE, "ethnicity": "汉族", "birth_date": born.date(),
        "id_number": make_id_number(rng, born, male), "occupation": rng.choice(JOBS),
        "address": f"{rng.choice(STREETS)}{rng.randrange(1, 120)}号",
        "phone": f"1{rng.choice('3589')}{rng.randrange(0, 10)}{rng.randrange(10**7, 10**8)}",
        "district": "",
    }  # fmt: skip


def _organisation(category: Category) -> dict:
    name, representative = ORGANISATIONS[category]
    return {
        "role": PartyRole.RESPONDENT, "kind": PartyKind.ORGANISATION, "name": name,
        "legal_representative": representative, "address": "示例县城关镇", "phone": "0571-88886666",
        "district": "示例县城关镇",
    }  # fmt: skip


# "Now" for the whole seeding, taken once: early in the (Beijing) morning today's history is
# squeezed before it, and a later reading of the clock would put a session after the frozen
# "now" of the step that records it.
_seeding: dict[str, datetime] = {}


def _at(day, hour: int) -> datetime:
    """That day at that hour, but never in the future: today's history ends now."""
    moment = datetime.combine(day, time(hour, 0), tzinfo=LOCAL_TZ).astimezone(UTC)
    now = _seeding.get("now") or datetime.now(UTC) - timedelta(minutes=1)
    return min(moment, now)


def _users() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def seed(rng_seed: int = 20261125) -> bool:
    """Load the demo data unless it is there already. True when it loaded."""
    if db.session.scalar(select(Org.id).where(Org.name == BUREAU)):
        return False
    _seeding["now"] = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": BUREAU})
    offices = {
        name: create_org(None, {"kind": OrgKind.OFFICE, "name": name, "parent_id": bureau.id})
        for name in ("城关镇司法所", "河西镇司法所")
    }
    for name, short, kind, office in COMMITTEES:
        parent = offices[office] if office else bureau
        create_org(None, {"kind": OrgKind.COMMITTEE, "name": name, "short_name": short,
                          "committee_kind": kind, "parent_id": parent.id})  # fmt: skip
    orgs = {o.name: o for o in db.session.scalars(select(Org))}
    for username, name, role, org in ACCOUNTS:
        user = User(username=username, name=name, role=role, org=orgs[org])
        user.set_password(PASSWORD)
        db.session.add(user)
    db.session.commit()
    _seed_cases(random.Random(rng_seed), _users())
    _court_referral_case(_users())
    _seed_grids(_users())
    _seed_calendar(_users())
    _seeding.clear()
    return True


# The coming sessions of 东街's open cases: (days ahead, hour, minute, place).
SESSIONS = [(1, 9, 30, "东街社区调解室"), (1, 14, 30, "东街社区调解室"),
            (3, 9, 0, "幸福路网格工作站")]  # fmt: skip


def _seed_calendar(users: dict[str, User]) -> None:
    """A few sessions on 东街's calendar in the coming days (我的日程 of mediator1 and
    director1), scheduled by director1 with each case's own mediators."""
    director = users["director1"]
    open_cases = db.session.scalars(
        select(Case)
        .where(Case.committee_id == director.org_id,
               Case.status.in_([CaseStatus.ACCEPTED, CaseStatus.MEDIATING]))
        .order_by(Case.id)
    ).all()  # fmt: skip
    for case, (days, hour, minute, place) in zip(open_cases, SESSIONS, strict=False):
        starts = datetime.combine(local_today() + timedelta(days=days), time(hour, minute),
                                  tzinfo=LOCAL_TZ)  # fmt: skip
        mediators = [m.user_id for m in case.active_mediators] or [director.id]
        calendar.schedule(case, director, {
            "starts_at": starts, "ends_at": starts + timedelta(minutes=90), "place": place,
            "mediator_ids": mediators, "party_ids": [p.id for p in case.parties], "invited": "",
        })  # fmt: skip


# What each committee serves (the home page lists it; an application's place suggests it).
SERVICE_AREAS = {
    "东街": "东街社区、幸福路、人民路",
    "城关": "城关镇、解放路、新华街",
    "河西": "河西村、河西镇、滨河路",
    "医调": "全县医疗机构、医院、卫生院",
}
GRIDS = [
    # committee short name, grid, area, grid worker
    ("东街", "东街第一网格", "幸福路1—40号", "grid1"),
    ("东街", "东街第二网格", "人民路全段", None),
]


def _seed_grids(users: dict[str, User]) -> None:
    """Service areas, the grids of 东街 (grid1 walks the first), and their last weeks' 排查:
    零上报 most weeks, one dispute resolved on the spot, one turned into a case."""
    committees = {o.short_name: o for o in db.session.scalars(select(Org)) if o.short_name}
    for short, area in SERVICE_AREAS.items():
        committees[short].service_area = area
    db.session.commit()
    admin = users["admin"]
    made = {}
    today = local_today()
    for short, name, area, worker in GRIDS:
        data = {"committee_id": committees[short].id, "name": name, "area": area,
                "worker_id": users[worker].id if worker else ""}  # fmt: skip
        with frozen_time(_at(today - timedelta(weeks=10), 9)):
            made[name] = grids.create_grid(admin, data)
    first, worker, director = made["东街第一网格"], users["grid1"], users["director1"]
    for weeks_ago in range(6, 0, -1):
        day = grids.week_of(today) - timedelta(weeks=weeks_ago) + timedelta(days=4)
        with frozen_time(_at(day, 16)):
            if weeks_ago == 4:
                report = grids.file_report(worker, {
                    "grid_id": first.id, "place": "幸福路12号楼下", "parties": "12号楼张、李两户",
                    "category": Category.NEIGHBOUR, "summary": "两户因楼道堆放杂物争吵。",
                    "risk_level": RiskLevel.LOW,
                }, [])  # fmt: skip
                grids.resolve_locally(director, report, "网格员当场协调，双方同意各自清理杂物。")
            elif weeks_ago == 2:
                report = grids.file_report(worker, {
                    "grid_id": first.id, "place": "幸福路30号", "parties": "房东王某、租户刘某",
                    "category": Category.CONTRACT, "summary": "租户称房东不退押金，双方争执。",
                    "risk_level": RiskLevel.MEDIUM,
                }, [])  # fmt: skip
                grids.open_case(director, report, "刘某", "王某")
            elif weeks_ago != 3:  # week 3: nothing reported at all
                grids.file_zero_report(worker, first.id, grids.week_of(day))
    # A resident's online application waiting for 东街's director.
    channels.submit_application({
        "name": "钱玉兰", "id_number": "330109196803150026", "phone": "13605710001",
        "address": "东街社区人民路8号", "other_name": "孙某（楼上住户）", "other_phone": "",
        "other_address": "东街社区人民路8号402室", "category": Category.NEIGHBOUR,
        "summary": "楼上住户装修时打穿了我家卫生间的排水管，漏水已经一个星期，找他几次都说没空。",
        "request": "请对方尽快修好排水管，赔偿吊顶损失。", "place": "东街社区人民路8号",
        "committee_id": "", "consent": True,
    }, "demo")  # fmt: skip


# How many cases each committee gets, and who registers and handles them there.
CASELOAD = [
    ("东街", 26, ["director1", "mediator1", "mediator3", "grid1"], ["mediator1", "mediator3"]),
    ("城关", 12, ["director3", "mediator4"], ["mediator4"]),
    ("河西", 13, ["director2", "mediator2"], ["mediator2"]),
    ("医调", 9, ["director4", "mediator5"], ["mediator5"]),
]


def _seed_cases(rng: random.Random, users: dict[str, User]) -> None:
    today = local_today()
    plan = []
    for short, count, registrars, handlers in CASELOAD:
        for n in range(count):
            # Denser in recent weeks, as a committee's open workload is.
            age = int(360 * (n / count) ** 1.5) + rng.randrange(0, 3)
            plan.append((today - timedelta(days=age), users[rng.choice(registrars)],
                         users[rng.choice(handlers)], short == "医调"))  # fmt: skip
    # Registered in the order they happened, so running numbers follow the dates.
    plan.sort(key=lambda item: item[0])
    for day, registrar, handler, medical in plan:
        _one_case(rng, day, registrar, handler, medical)


def _one_case(rng: random.Random, day, registrar: User, handler: User, medical: bool) -> Case:
    stories = [s for s in STORIES if (s[0] == Category.MEDICAL) == medical]
    category, organisation, summary, request = rng.choice(stories)
    parties = [_person(rng, PartyRole.APPLICANT)]
    parties.append(_organisation(category) if organisation else _person(rng, PartyRole.RESPONDENT))
    if rng.random() < 0.15:
        parties.append(_person(rng, PartyRole.RESPONDENT))
    source = rng.choice([Source.APPLICATION] * 5 + [Source.INITIATIVE, Source.COURT, Source.POLICE,
                                                     Source.PETITION])  # fmt: skip
    details = {Source.COURT: "示例县人民法院", Source.POLICE: "示例县公安局城关派出所",
               Source.PETITION: "示例县信访局"}  # fmt: skip
    referral = _referral(source, details.get(source, ""), day)
    held_elsewhere = rng.random() < 0.07
    for party in parties:
        party["district"] = party["district"] or _district(party["address"])
    fields = {
        "dispute_place": f"{_district(parties[0]['address'])}{parties[0]['address']}",
        "category": category, "source": source, "source_detail": details.get(source, ""),
        "summary": summary, "request": request, "registered_on": day,
        "risk_level": rng.choice([RiskLevel.LOW] * 6 + [RiskLevel.MEDIUM] * 2 + [RiskLevel.HIGH]),
        "is_group": category == Category.POLLUTION, "may_escalate": category == Category.LAND,
        "other_authority": OtherAuthority.COURT if held_elsewhere else OtherAuthority.NONE,
    }  # fmt: skip
    with frozen_time(_at(day, 9)):
        case = cases.register_case(registrar, fields, parties, referral)
    age = (local_today() - day).days
    if age < 4 and not held_elsewhere:
        return case  # still waiting to be accepted
    if held_elsewhere:
        with frozen_time(_at(day, 15)):
            cases.apply_action(case, handler, "reject", "该纠纷已由人民法院立案受理。",
                               "请当事人按人民法院的通知参加诉讼。")  # fmt: skip
        _feed_back(case, day + timedelta(days=1))
        _close_and_archive(case, _director_of(case), day + timedelta(days=3))
        return case
    accepted = day + timedelta(days=1)
    with frozen_time(_at(accepted, 9)):
        # Rule 15: the rights notice is handed over and signed for before acceptance.
        publicity = Publicity.PRIVATE if case.seq % 3 else Publicity.PUBLIC
        consent = "双方当事人经告知，均口头同意由本委员会调解，已记入调查笔录。"
        cases.record_rights_notice(
            case, handler, True, publicity, consent if source == Source.INITIATIVE else ""
        )
    with frozen_time(_at(accepted, 10)):
        cases.apply_action(case, handler, "accept")
    if case.risk_level == RiskLevel.HIGH or case.may_escalate:
        _risk_duties(case, handler, accepted)
    if age < 5 or rng.random() < 0.05:
        return case
    started = accepted + timedelta(days=1)
    with frozen_time(_at(started, 9)):
        cases.apply_action(case, handler, "start_mediation")
    # Mediation takes 8 to 38 days, so some cases run past the 30-day deadline. From the
    # running number, not the random generator, so the rest of the data stays as it was.
    ended = started + timedelta(days=8 + case.seq * 7 % 31)
    success = rng.random() < 0.75
    sessions = rng.randrange(1, 3)
    for i in range(sessions):
        held = started + timedelta(days=2 + i * 5)
        if held >= local_today():
            break
        last = i + 1 == sessions
        outcome = "双方达成一致意见。" if success else "双方分歧较大，未能达成一致。"
        with frozen_time(_at(held, 17)):
            record_session(case, handler, {
                "held_at": _at(held, 14), "place": f"{case.committee.name}调解室",
                "mediators": handler.name,
                "attendees": "、".join(p.name for p in case.parties),
                "course": "调解员向双方释明相关法律规定，双方分别陈述了事实和意见，"
                          "调解员分别做了疏导工作。",
                "result": outcome if last else "双方同意继续协商。",
            })  # fmt: skip
    if ended + timedelta(days=3) >= local_today():
        return case  # still in mediation
    director = _director_of(case)
    if success:
        _agreement_path(rng, case, handler, director, ended)
        return case
    with frozen_time(_at(ended, 16)):
        if rng.random() < 0.3:
            cases.apply_action(case, handler, "withdraw", "申请人表示双方已自行和解，申请撤回。")
        else:
            cases.apply_action(case, handler, "terminate", "经多次调解，双方分歧较大，调解不成。",
                               "当事人可以依法申请仲裁，或向人民法院提起诉讼。")  # fmt: skip
    _feed_back(case, ended + timedelta(days=2))
    _close_and_archive(case, director, ended + timedelta(days=3))
    return case


# The referring bodies' numbering of their letters, per kind of body.
REFERENCE_FORMATS = {
    Source.COURT: "（{year}）示0102民诉前调{n}号",
    Source.POLICE: "城关公（调）字〔{year}〕{n}号",
    Source.PETITION: "示信转〔{year}〕{n}号",
}


def _referral(source: Source, body: str, day) -> dict | None:
    """A referred case's letter: numbered in the order the letters came, received two days
    before registration; the court sets 30 days for the feedback, the others no deadline."""
    if source not in REFERENCE_FORMATS:
        return None
    n = db.session.scalar(select(func.count()).select_from(Referral)) + 1
    referred = day - timedelta(days=2)
    return {
        "body_name": body, "reference_number": REFERENCE_FORMATS[source].format(year=day.year, n=n),
        "referred_on": referred,
        "feedback_due": referred + timedelta(days=30) if source == Source.COURT else None,
    }  # fmt: skip


def _feed_back(case: Case, day) -> None:
    """The 反馈函 sent to the referring body two days after the end; every third referral
    is left without it, so 我的待办 and the statistics show overdue feedback."""
    if case.referral is None or case.referral.id % 3 == 0 or day >= local_today():
        return
    method = FeedbackMethod.MAIL if case.source == Source.COURT else FeedbackMethod.IN_PERSON
    with frozen_time(_at(day, 10)):
        referrals.record_feedback(case, _director_of(case), day, method, "演示数据")


def _court_referral_case(users: dict[str, User]) -> Case:
    """A case 示例县人民法院 referred to 东街 for 诉前调解 that ended today in a signed written
    agreement: director1 prints its 反馈函 (the agreement appended) and records the sending."""
    rng = random.Random(1301)  # its own, so the other cases stay as they were
    director, mediator = users["director1"], users["mediator1"]
    today = local_today()
    parties = [_person(rng, PartyRole.APPLICANT), _person(rng, PartyRole.RESPONDENT)]
    for party in parties:
        party["district"] = _district(party["address"])
    fields = {
        "category": Category.CONTRACT, "source": Source.COURT, "registered_on": today,
        "dispute_place": f"{_district(parties[0]['address'])}{parties[0]['address']}",
        "summary": "双方因房屋装修合同尾款发生争议，申请人向示例县人民法院起诉，"
                   "法院立案前委派本委员会进行诉前调解。",
        "request": "请求被申请人支付装修尾款。", "risk_level": RiskLevel.LOW,
    }  # fmt: skip
    referral = {
        "body_name": "示例县人民法院", "reference_number": f"（{today.year}）示0102民诉前调888号",
        "referred_on": today - timedelta(days=3), "feedback_due": today + timedelta(days=7),
    }  # fmt: skip
    # One moment for all of it: _at() is "now" early in the (Beijing) morning, and a second
    # call would be a little later than the frozen clock, so a session "held in the future".
    moment = _at(today, 9)
    with frozen_time(moment):
        case = cases.register_case(director, fields, parties, referral)
        cases.record_rights_notice(case, director, True, Publicity.PRIVATE)
        cases.apply_action(case, director, "accept")
        cases.assign_mediator(case, director, mediator.id, lead=True)
        cases.apply_action(case, mediator, "start_mediation")
        record_session(case, mediator, {
            "held_at": moment, "place": f"{case.committee.name}调解室",
            "mediators": mediator.name, "attendees": "、".join(p.name for p in case.parties),
            "course": "调解员释明法院委派诉前调解的性质，双方分别陈述，调解员核对装修清单。",
            "result": "双方达成一致意见。",
        })  # fmt: skip
        agreement = agreements.reach_agreement(case, mediator, AgreementKind.WRITTEN, {
            "facts": case.summary, "disputed_points": "装修尾款数额。",
            "responsibility": "被申请人应支付尾款，申请人对延误工期的部分予以减让。",
        }, _terms(rng, case, today))  # fmt: skip
        scan = FileStorage(io.BytesIO(demo_scan()), filename="调解协议书（签字盖章）.pdf")
        agreements.confirm_signed(case, mediator, agreement, scan, True)
    return case


def _risk_duties(case: Case, handler: User, day) -> None:
    """Rule 17: a risky case gets a prevention measure, a police report for a dispute that
    may turn violent, or (now and then) a written reason why neither was needed."""
    with frozen_time(_at(day, 11)):
        if case.seq % 5 == 0:
            handling.record_risk_reason(
                case, handler, "经走访评估，双方情绪平稳，已无激化可能，无需采取专门防控措施。"
            )
            return
        handling.record_risk_measure(
            case, handler, "安排专人跟踪双方动态，分别做好情绪疏导，约定有异常情况及时报告。"
        )
        if case.may_escalate:
            handling.record_police_report(
                case,
                handler,
                _at(day, 10),
                "示例县公安局城关派出所",
                note="双方曾发生推搡，已告知派出所社区民警关注。",
            )


_demo_scan: bytes | None = None


def demo_scan() -> bytes:
    """What stands in for the scanned, signed agreement: a one-page PDF that says it is demo
    material. Rendered once per run and shared by every demo case."""
    global _demo_scan
    if _demo_scan is None:
        from mediation.documents.render import render_pdf

        _demo_scan = render_pdf(
            "<h1 style=\"font-family: 'Mediation Song'; text-align: center; margin-top: 40%\">"
            "演示数据<br>签字盖章的人民调解协议书扫描件（示意）</h1>"
        )
    return _demo_scan


def _director_of(case: Case) -> User:
    return db.session.scalar(
        select(User).where(User.org_id == case.committee_id, User.role == Role.DIRECTOR)
    )


def _terms(rng: random.Random, case: Case, day) -> list[dict]:
    obligor, obligee = case.respondents[0].name, case.applicants[0].name
    amount = Decimal(rng.choice([800, 1500, 3000, 5000, 12000]))
    return [
        {"obligor": obligor, "obligee": obligee,
         "content": f"一次性支付{obligee}各项损失共计人民币{amount}元",
         "amount": amount, "manner": "银行转账", "deadline": day + timedelta(days=10)},
        {"obligor": obligee, "obligee": obligor, "content": "收到款项后不再就本纠纷主张其他权利",
         "amount": None, "manner": "书面确认", "deadline": day + timedelta(days=12)},
    ]  # fmt: skip


def _agreement_path(rng, case: Case, handler: User, director: User, day) -> None:
    written = rng.random() < 0.8
    fields = {
        "facts": case.summary, "disputed_points": case.request,
        "responsibility": "经调解，双方对各自责任达成共识。",
        "oral_content": "双方当场达成一致，被申请人当场支付补偿，申请人表示谅解。",
    }  # fmt: skip
    kind = AgreementKind.WRITTEN if written else AgreementKind.ORAL
    with frozen_time(_at(day, 16)):
        agreement = agreements.reach_agreement(case, handler, kind, fields,
                                               _terms(rng, case, day))  # fmt: skip
    if written:
        signed = day + timedelta(days=1)
        if signed >= local_today():
            return
        scan = FileStorage(io.BytesIO(demo_scan()), filename="调解协议书（签字盖章）.pdf")
        with frozen_time(_at(signed, 11)):
            agreements.confirm_signed(case, handler, agreement, scan, True)
    _feed_back(case, agreement.effective_on + timedelta(days=2))
    # Court confirmation is for written agreements only (rule 16).
    window = agreement.effective_on + timedelta(days=5) < local_today()
    if rng.random() < 0.2 and written and window:
        applied = agreement.effective_on + timedelta(days=5)
        with frozen_time(_at(applied, 10)):
            confirmation = agreements.apply_for_confirmation(
                case, handler, applied, "示例县人民法院"
            )
        decided = applied + timedelta(days=10)
        if decided < local_today():
            with frozen_time(_at(decided, 15)):
                reference = f"（{decided.year}）示0101民特{case.seq}号"
                agreements.record_confirmation_result(
                    case, handler, confirmation, confirmation.version,
                    ConfirmationResult.CONFIRMED, decided, reference,
                )  # fmt: skip
    visit = day + timedelta(days=20)
    if visit >= local_today():
        return
    performed = rng.random() < 0.9
    status = Performance.PERFORMED if performed else Performance.PARTIAL
    with frozen_time(_at(visit, 15)):
        agreements.record_follow_up(case, handler, {
            "visited_on": visit, "visited": "、".join(p.name for p in case.parties),
            "satisfaction": Satisfaction.SATISFIED if performed else Satisfaction.MOSTLY,
            "opinions": "双方均表示满意。" if performed else "尚有部分款项未付，约定月底前付清。",
        }, {t.id: (status, "") for t in case.agreement.terms})  # fmt: skip
    if not performed:
        # Rule 18: an outcome is recorded before the case can be closed.
        decided = visit + timedelta(days=1)
        if decided >= local_today():
            return
        with frozen_time(_at(decided, 10)):
            if case.seq % 2:
                agreements.refer_to_court(
                    case, handler, "告知当事人可以就协议的履行向示例县人民法院提起诉讼。"
                )
            else:
                agreements.inform_remedies(
                    case,
                    handler,
                    "告知当事人：对方不履行协议的，可以向人民法院提起诉讼；"
                    "协议经司法确认的，可以申请强制执行。",
                )
    _close_and_archive(case, director, visit + timedelta(days=2))


def _close_and_archive(case: Case, director: User, day) -> None:
    if day >= local_today():
        return
    with frozen_time(_at(day, 11)):
        cases.apply_action(case, director, "close")
    archive = day + timedelta(days=30)
    if archive < local_today():
        with frozen_time(_at(archive, 11)):
            cases.apply_action(case, director, "archive")
