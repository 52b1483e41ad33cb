"""The bench's data set: a county of 20 司法所 with 20 committees each (400), a director and
two mediators per committee, and N cases over five years, each with the history its status
implies (registration, rights notice, acceptance, assignment, session, agreement, follow-up,
closing, archiving; or rejection, withdrawal, termination), its parties (some with rare
characters of the CJK extensions, like 𠮷, 䶮, 㐂), mediators, records, agreements, terms,
follow-ups and a timeline whose events continue the global audit chain, sealed with the app's
key, so `flask audit-verify` passes on the result.

Rows are made in Python, case by case, in one pass (deterministic: a fixed seed), and written
with COPY on PostgreSQL (one COPY per table, all open at once, secondary indexes dropped
during the load and built afterwards), or with executemany on SQLite.
"""

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Table, select, text, update

from mediation.admin.service import create_org
from mediation.audit.chain import audit_key
from mediation.extensions import db
from mediation.models import (
    AuditHead,
    Category,
    CommitteeKind,
    OrgKind,
    Role,
    Source,
    User,
)
from mediation.models.audit import CaseEvent, seal
from mediation.models.base import Base, local_today

OFFICES, COMMITTEES_PER_OFFICE = 20, 20
YEARS = 5
PASSWORD = "bench-password"
SEED = 15

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余")
# Rare characters that real registers hold and that break naive code: CJK extension B
# (outside the BMP: 4 bytes in UTF-8, two UTF-16 units) and extension A.
RARE = ["𠮷", "䶮", "㐂", "㛃", "𡒄", "𨚕"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红春梅金凤德福喆堃垚淼犇龑")
PLACES = ["东街", "西村", "南岭", "北湾", "河口", "桥头", "山前", "塘下"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def build_tree(offices_count: int = OFFICES, per_office: int = COMMITTEES_PER_OFFICE) -> dict:
    """The county: bureau, offices, committees (consecutive ids), and their people."""
    bureau = create_org(None, {"kind": OrgKind.BUREAU, "name": "基准县司法局"})
    offices = [
        create_org(
            None, {"kind": OrgKind.OFFICE, "name": f"基准{o}镇司法所", "parent_id": bureau.id}
        )
        for o in range(offices_count)
    ]
    committees = [
        create_org(
            None,
            {
                "kind": OrgKind.COMMITTEE,
                "name": f"基准{o}-{c}村人民调解委员会",
                "short_name": f"基{o}-{c}",
                "committee_kind": CommitteeKind.VILLAGE,
                "parent_id": office.id,
            },
        )
        for o, office in enumerate(offices)
        for c in range(per_office)
    ]
    probe = User()
    probe.set_password(PASSWORD)  # one hash for everybody: 1,200 accounts in a second
    people = []

    def person(username, name, role, org):
        user = User(username=username, name=name, role=role, org=org)
        user.password_hash = probe.password_hash
        people.append(user)
        return user

    person("auditor0", "县局审核", Role.AUDITOR, bureau)
    person("auditor1", "基准0镇司法所审核", Role.AUDITOR, offices[0])
    for i, committee in enumerate(committees):
        person("director1" if i == 0 else f"director-{i}", f"主任{i}", Role.DIRECTOR, committee)
        person("mediator1" if i == 0 else f"mediator-{i}", f"调解员{i}甲", Role.MEDIATOR, committee)
        person(f"mediator-{i}b", f"调解员{i}乙", Role.MEDIATOR, committee)
    db.session.add_all(people)
    db.session.commit()
    staff = {}
    for user in people:
        if user.role in (Role.DIRECTOR, Role.MEDIATOR):
            staff.setdefault(user.org_id, []).append((user.id, user.name))
    return {
        "bureau": bureau.id,
        "office": offices[0].id,
        "committees": [(c.id, c.short_name, c.parent_id) for c in committees],
        "staff": staff,
    }


# --- Writing rows ------------------------------------------------------------------------


class Writer:
    """Rows for one table: COPY text on PostgreSQL, batched executemany on SQLite. Columns
    the generator does not give take the model's scalar default (or NULL), so columns other
    branches add with a default need no change here."""

    BATCH = 20000

    def __init__(self, table: Table, columns: list[str], connection, postgres: bool, now):
        self.table, self.columns, self.postgres = table, columns, postgres
        self.rest = [c for c in table.columns if c.name not in columns]
        self.fill = [self._default(c, now) for c in self.rest]
        self.names = columns + [c.name for c in self.rest]
        self.connection = connection
        self.rows: list = []
        self.count = 0
        if postgres:
            self.cursor = connection.cursor()
            self.cursor.execute("SET session_replication_role = replica")  # no FK triggers
            names = ", ".join(f'"{n}"' for n in self.names)
            self.statement = f"COPY {table.name} ({names}) FROM STDIN"

    @staticmethod
    def _default(column, now):
        default = column.default
        if default is None:
            return None
        if default.is_scalar:
            return default.arg
        if default.is_callable:
            name = getattr(default.arg, "__wrapped__", default.arg).__name__
            return now if "now" in name else local_today() if "today" in name else None
        return None

    def add(self, *values) -> None:
        self.rows.append(values)
        self.count += 1
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.postgres:
            tail = "\t".join(_copy_value(v) for v in self.fill)
            lines = [
                "\t".join(_copy_value(v) for v in row) + ("\t" + tail if self.fill else "")
                for row in self.rows
            ]
            # One COPY per batch, not one for the whole run: between commands the server
            # takes part in the signal barriers that DROP DATABASE waits for, so the tests'
            # throwaway databases can be dropped while a million cases load.
            with self.cursor.copy(self.statement) as copy:
                copy.write("\n".join(lines) + "\n")
        else:
            self.connection.execute(
                self.table.insert(),
                [dict(zip(self.names, row + tuple(self.fill), strict=True)) for row in self.rows],
            )
        self.rows = []

    def close(self) -> None:
        self.flush()
        if self.postgres:
            self.connection.commit()


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, int, Decimal)):
        return str(value)
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


# --- The cases -----------------------------------------------------------------------------


def _id_number(rng: random.Random, born: date, male: bool) -> str:
    region = f"33{rng.randint(1, 11):02d}{rng.randint(1, 30):02d}"
    order = rng.randint(0, 499) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{order:03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def _name(rng: random.Random) -> str:
    surname = rng.choice(RARE) if rng.random() < 0.01 else rng.choice(SURNAMES)
    given = [rng.choice(RARE) if rng.random() < 0.01 else rng.choice(GIVEN)]
    if rng.random() < 0.75:  # a quarter of the names have two characters only
        given.append(rng.choice(GIVEN))
    return surname + "".join(given)


def _target_status(rng: random.Random, age: int) -> str:
    """The status a case of this age has reached: recent ones mostly in work, older ones
    mostly closed and archived, a few left open (overdue) or ended otherwise."""
    bucket = rng.random() * 100
    if age < 45:  # (bucket limit, status)
        table = [
            (10, "submitted"),
            (35, "accepted"),
            (65, "mediating"),
            (80, "agreed"),
            (88, "terminated"),
            (92, "withdrawn"),
            (95, "rejected"),
            (100, "followed_up"),
        ]
    else:
        table = [
            (68, "archived"),
            (78, "closed"),
            (86, "terminated"),
            (90, "withdrawn"),
            (93, "followed_up"),
            (95, "agreed"),
            (98, "rejected"),
            (99, "mediating"),
            (100, "accepted"),
        ]
    return next(status for limit, status in table if bucket < limit)


def generate(n: int, tree: dict, seed: int = SEED) -> dict:
    """N cases with their history, continuing the audit chain; returns what was written."""
    rng = random.Random(seed)
    postgres = db.engine.dialect.name == "postgresql"
    key = audit_key()
    today = local_today()
    now = datetime.now(UTC).replace(microsecond=0)
    days = 365 * YEARS
    head = db.session.get(AuditHead, 1)
    seq, prev = (head.seq, head.hash) if head else (0, "0" * 64)
    committees = tree["committees"]
    staff = tree["staff"]
    # Busy and quiet committees: weights 1..7.
    weights = [1 + (i * 5) % 7 for i in range(len(committees))]
    cumulative = []
    total = 0
    for w in weights:
        total += w
        cumulative.append(total)
    categories = [c.value for c in Category]
    sources = [s.value for s in Source]
    tables = Base.metadata.tables
    spec = {
        "cases": [
            "id",
            "number",
            "year",
            "seq",
            "committee_id",
            "status",
            "category",
            "source",
            "source_detail",
            "dispute_place",
            "summary",
            "request",
            "risk_level",
            "is_group",
            "may_escalate",
            "registered_on",
            "registered_by_id",
            "accepted_on",
            "deadline",
            "closed_on",
            "archived_on",
            "rights_notice_at",
            "rights_notice_by_id",
            "publicity",
            "created_at",
            "updated_at",
            "version",
        ],
        "parties": [
            "id",
            "case_id",
            "position",
            "role",
            "kind",
            "name",
            "sex",
            "birth_date",
            "id_number",
            "address",
            "phone",
            "legal_representative",
        ],
        "case_mediators": ["id", "case_id", "user_id", "is_lead", "assigned_at", "assigned_by_id"],
        "session_records": [
            "id",
            "case_id",
            "held_at",
            "place",
            "mediators",
            "attendees",
            "course",
            "result",
            "created_by_id",
            "created_at",
        ],
        "agreements": [
            "id",
            "case_id",
            "kind",
            "status",
            "reached_on",
            "facts",
            "effective_on",
            "confirmed_by_id",
            "created_by_id",
            "created_at",
        ],
        "agreement_terms": [
            "id",
            "agreement_id",
            "position",
            "obligor",
            "obligee",
            "content",
            "amount",
            "manner",
            "deadline",
        ],
        "follow_ups": [
            "id",
            "case_id",
            "agreement_id",
            "visited_on",
            "visitor_id",
            "visited",
            "satisfaction",
            "created_at",
        ],
        "term_performances": ["id", "follow_up_id", "term_id", "status"],
        "joint_committees": ["id", "case_id", "committee_id", "added_by_id", "added_at"],
        "case_events": [
            "id",
            "seq",
            "case_id",
            "at",
            "user_id",
            "kind",
            "action",
            "from_status",
            "to_status",
            "reason",
            "details",
            "case_version",
            "case_status",
            "prev_hash",
            "hash",
        ],
    }
    start_ids = {
        name: (db.session.scalar(select(db.func.max(tables[name].c.id))) or 0) + 1 for name in spec
    }
    first_case = start_ids["cases"]
    dropped = _drop_indexes(list(spec)) if postgres else []
    if postgres:
        import psycopg

        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connections = {name: psycopg.connect(url) for name in spec}
    else:
        shared = db.session.connection()
        shared.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked at commit
        connections = {name: shared for name in spec}
    w = {
        name: Writer(tables[name], columns, connections[name], postgres, now)
        for name, columns in spec.items()
    }
    ids = dict(start_ids)
    counters: dict[tuple[int, int], int] = {}
    checked_kinds: set[str] = set()

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table] - 1

    def moment(day: date, hour: int, minute: int = 0) -> datetime:
        # Office hours in Beijing time, stored as UTC.
        return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=8)

    for i in range(n):
        case_id = first_case + i
        age = days - 1 - (i * days) // n  # oldest first, so ids follow registration
        registered = today - timedelta(days=age)
        c = _bisect(cumulative, rng.random() * total)
        committee_id, short, _office = committees[c]
        people = staff[committee_id]
        director, mediator = people[0], people[1 + rng.randrange(len(people) - 1)]
        year = registered.year
        counters[(committee_id, year)] = number = counters.get((committee_id, year), 0) + 1
        status = _target_status(rng, age)
        category = categories[rng.randrange(len(categories))]
        source = sources[rng.randrange(len(sources))]
        # Offsets (days after registration) of each step, squeezed into the case's age.
        plan = [0, 1, 1, 2, 4, 12, 12, 40, 45, 50]
        span = plan[-1]
        if age < span:
            plan = [p * age // span for p in plan]
        d = [registered + timedelta(days=p) for p in plan]
        risk = "high" if rng.random() < 0.01 else "medium" if rng.random() < 0.08 else "low"
        parties = []
        for position in range(2 if rng.random() < 0.7 else 3 + (rng.random() < 0.3)):
            if rng.random() < 0.06:
                name = f"基准{PLACES[rng.randrange(8)]}{rng.randint(1, 999)}号有限公司"
                parties.append((name, None, None, "", "organisation", position))
            else:
                male = rng.random() < 0.5
                born = date(rng.randint(1945, 2004), rng.randint(1, 12), rng.randint(1, 28))
                id_number = _id_number(rng, born, male)
                parties.append(
                    (_name(rng), "male" if male else "female", born, id_number, "person", position)
                )
        applicant, respondent = parties[0][0], parties[1][0]
        events: list[tuple] = []  # (at, user, kind, action, from, to, reason, details, bump)
        t = 9

        def ev(
            day,
            user,
            kind,
            action="",
            before=None,
            after=None,
            reason="",
            details=None,
            events=events,
        ):
            nonlocal t
            t = t + 1 if t < 17 else 9
            events.append(
                (
                    moment(day, t, rng.randrange(60)),
                    user[0],
                    kind,
                    action,
                    before,
                    after,
                    reason,
                    details or {},
                )
            )

        registrar = mediator if rng.random() < 0.6 else director
        ev(d[0], registrar, "created", after="submitted")
        accepted_on = deadline = closed_on = archived_on = rights_at = None
        reached_status = {
            "submitted": 0,
            "rejected": 0,
            "accepted": 1,
            "withdrawn": 1,
            "mediating": 2,
            "terminated": 2,
            "agreed": 3,
            "followed_up": 4,
            "closed": 5,
            "archived": 6,
        }[status]
        if status == "rejected":
            ev(
                d[1],
                director,
                "transition",
                "reject",
                "submitted",
                "rejected",
                "纠纷已由人民法院受理，依法不予受理",
                {"route": "告知当事人向人民法院咨询"},
            )
        if reached_status >= 1:
            rights_at = moment(d[1], 9)
            ev(
                d[1],
                director,
                "rights_notice",
                details={"changes": {}, "告知书": "当事人已签收确认"},
            )
            ev(d[1], director, "transition", "accept", "submitted", "accepted")
            accepted_on, deadline = d[1], d[1] + timedelta(days=30)
            ev(
                d[2],
                director,
                "assigned",
                details={"调解员": mediator[1], "方式": "调委会指派", "主办": "是"},
            )
            w["case_mediators"].add(
                next_id("case_mediators"), case_id, mediator[0], True, moment(d[2], 10), director[0]
            )
        if status == "withdrawn":
            ev(
                d[3],
                mediator,
                "transition",
                "withdraw",
                "accepted",
                "withdrawn",
                "申请人撤回调解申请",
            )
        if reached_status >= 2:
            ev(d[3], mediator, "transition", "start_mediation", "accepted", "mediating")
            record = next_id("session_records")
            result = "经调解，双方同意协商。" if reached_status >= 3 else "双方分歧较大。"
            w["session_records"].add(
                record,
                case_id,
                moment(d[4], 14),
                "调解室",
                mediator[1],
                f"{applicant}、{respondent}",
                "双方陈述了各自的意见。",
                result,
                mediator[0],
                moment(d[4], 17),
            )
            ev(
                d[4],
                mediator,
                "session",
                f"session:{record}",
                details={"时间": f"{d[4]} 14:00", "地点": "调解室"},
            )
        if status == "terminated":
            ev(
                d[5],
                mediator,
                "transition",
                "terminate",
                "mediating",
                "terminated",
                "双方分歧较大，调解不成",
                {"route": "告知当事人可以依法提起诉讼"},
            )
        if reached_status >= 3:
            agreement = next_id("agreements")
            written = rng.random() < 0.7
            w["agreements"].add(
                agreement,
                case_id,
                "written" if written else "oral",
                "effective",
                d[5],
                "双方因琐事发生纠纷。",
                d[5],
                mediator[0] if written else None,
                mediator[0],
                moment(d[5], 15),
            )
            terms = []
            for position in range(1 + (rng.random() < 0.4)):
                term = next_id("agreement_terms")
                terms.append(term)
                w["agreement_terms"].add(
                    term,
                    agreement,
                    position,
                    respondent,
                    applicant,
                    "赔偿损失",
                    Decimal(rng.randint(5, 500) * 100),
                    "一次性支付",
                    d[5] + timedelta(days=20),
                )
            ev(
                d[5],
                mediator,
                "agreement",
                details={"协议形式": "书面协议" if written else "口头协议", "协议条款": len(terms)},
            )
            ev(d[6], mediator, "transition", "reach_agreement", "mediating", "agreed")
        if reached_status >= 4:
            visit = next_id("follow_ups")
            w["follow_ups"].add(
                visit,
                case_id,
                agreement,
                d[7],
                mediator[0],
                applicant,
                "satisfied" if rng.random() < 0.85 else "mostly",
                moment(d[7], 11),
            )
            performed = "performed" if rng.random() < 0.9 else "partial"
            for term in terms:
                w["term_performances"].add(next_id("term_performances"), visit, term, performed)
            ev(d[7], mediator, "follow_up", details={"履行情况": performed, "满意度": "满意"})
            ev(d[7], mediator, "transition", "follow_up", "agreed", "followed_up")
        ended = {"rejected": "rejected", "withdrawn": "withdrawn", "terminated": "terminated"}
        was_ended = status in ended
        if reached_status >= 5 or (was_ended and age > 60):
            before = ended.get(status, "followed_up")
            ev(d[8], director, "transition", "close", before, "closed")
            closed_on, status = d[8], "closed"
        if reached_status >= 6 or (was_ended and age > 90 and rng.random() < 0.8):
            ev(d[9], director, "transition", "archive", "closed", "archived")
            archived_on, status = d[9], "archived"
        # The events, sealed onto the chain; the case's version counts its changes.
        version, current = 0, "submitted"
        for at, user_id, kind, action, before, after, reason, details in events:
            if kind in ("created", "transition", "rights_notice"):
                version += 1
            current = after or current
            seq += 1
            event_id = next_id("case_events")
            content = {
                "case_id": case_id,
                "at": at.isoformat(),
                "user_id": user_id,
                "kind": kind,
                "action": action,
                "from": before,
                "to": after,
                "reason": reason,
                "details": details,
                "case_version": version,
                "case_status": current,
            }
            digest = seal(key, seq, prev, content)
            if kind not in checked_kinds:  # the same content the model seals, once per kind
                checked_kinds.add(kind)
                _check_against_model(key, seq, prev, content, digest)
            w["case_events"].add(
                event_id,
                seq,
                case_id,
                at,
                user_id,
                kind,
                action,
                before,
                after,
                reason,
                details,
                version,
                current,
                prev,
                digest,
            )
            prev = digest
        place = f"基准{committees[c][2]}镇{PLACES[rng.randrange(8)]}"
        w["cases"].add(
            case_id,
            f"（{year}）{short}调字第{number:04d}号",
            year,
            number,
            committee_id,
            status,
            category,
            source,
            "",
            place,
            f"{applicant}与{respondent}之间的纠纷。",
            "请求调解。",
            risk,
            rng.random() < 0.01,
            risk == "high",
            registered,
            registrar[0],
            accepted_on,
            deadline,
            closed_on,
            archived_on,
            rights_at,
            director[0] if rights_at else None,
            "public" if rights_at else None,
            events[0][0],
            events[-1][0],
            version,
        )
        for position, (name, sex, born, id_number, kind, _p) in enumerate(parties):
            person = kind == "person"
            w["parties"].add(
                next_id("parties"),
                case_id,
                position,
                "applicant" if position == 0 else "respondent",
                kind,
                name,
                sex,
                born,
                id_number,
                f"{place}{rng.randint(1, 300)}号",
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if person else "",
                "" if person else _name(rng),
            )
        if rng.random() < 0.005 and reached_status >= 1:  # jointly accepted with a neighbour
            other = committees[c + 1 if c + 1 < len(committees) else c - 1][0]
            w["joint_committees"].add(
                next_id("joint_committees"), case_id, other, director[0], moment(d[1], 11)
            )
    for writer in w.values():
        writer.close()
    if postgres:
        for connection in connections.values():
            connection.close()
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    _write_counters(counters)
    _keep_outcomes()
    db.session.commit()
    if postgres:
        _restore_indexes(dropped)
        for name in spec:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
            )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {name: writer.count for name, writer in w.items()}


OUTCOME_TIMES = {
    "reach_agreement": "agreed_at",
    "terminate": "terminated_at",
    "withdraw": "withdrawn_at",
    "reopen": "reopened_at",
}


def _keep_outcomes() -> None:
    """The outcome each case keeps for the statistics (audit.service.record_event writes it
    with each ending event in the app), set here from the events and agreements written."""
    lasts = ", ".join(
        f"max(CASE WHEN action = '{action}' THEN at END) AS {column}"
        for action, column in OUTCOME_TIMES.items()
    )
    actions = ", ".join(f"'{action}'" for action in OUTCOME_TIMES)
    sets = ", ".join(f"{column} = outcome.{column}" for column in OUTCOME_TIMES.values())
    db.session.execute(
        text(f"""
        UPDATE cases SET {sets}, outcome_at = outcome.outcome_at
        FROM (SELECT case_id, {lasts}, max(at) AS outcome_at FROM case_events
              WHERE action IN ({actions}) GROUP BY case_id) AS outcome
        WHERE outcome.case_id = cases.id
    """)
    )
    db.session.execute(
        text("""
        UPDATE cases SET agreed_on = first.day
        FROM (SELECT case_id, min(reached_on) AS day FROM agreements GROUP BY case_id) AS first
        WHERE first.case_id = cases.id
    """)
    )


def _check_against_model(key: bytes, seq: int, prev: str, content: dict, digest: str) -> None:
    event = CaseEvent(
        case_id=content["case_id"],
        at=datetime.fromisoformat(content["at"]),
        user_id=content["user_id"],
        kind=content["kind"],
        action=content["action"],
        from_status=content["from"],
        to_status=content["to"],
        reason=content["reason"],
        details=content["details"],
        case_version=content["case_version"],
        case_status=content["case_status"],
        seq=seq,
        prev_hash=prev,
    )
    assert event.compute_hash(key) == digest, "the generator's sealing differs from the model's"


def _bisect(cumulative: list[int], x: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        mid = (low + high) // 2
        if cumulative[mid] > x:
            high = mid
        else:
            low = mid + 1
    return low


def _write_counters(counters: dict[tuple[int, int], int]) -> None:
    table = Base.metadata.tables["case_number_counters"]
    db.session.execute(table.delete())
    rows = [{"committee_id": c, "year": y, "last": n} for (c, y), n in counters.items()]
    if rows:
        db.session.execute(table.insert(), rows)


def _drop_indexes(tables: list[str]) -> list[str]:
    """Secondary indexes of the tables (not those behind constraints), dropped for the load;
    their definitions are returned to build them again."""
    rows = db.session.execute(
        text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
    """),
        {"tables": tables},
    ).all()
    for name, _definition in rows:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    db.session.commit()
    return [definition for _name, definition in rows]


def _restore_indexes(definitions: list[str]) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET maintenance_work_mem = '256MB'"))
        for definition in definitions:
            conn.execute(text(definition))
