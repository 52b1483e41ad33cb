"""Early warning (预警研判): the disputes of a unit that may escalate, each with the reasons it
is listed for; 督办 sent by the justice office and answered by the committee; the weekly
analysis of new disputes.

Why a case is listed (REASONS); "now" is today in Beijing:
- 风险等级重大, 可能激化, 群体性: the case is still waiting, accepted or in mediation.
- 同一当事人 / 同一地点: a case registered in the last 12 months and not ended (waiting, in
  mediation or agreed) shares a party's ID number (or the place, see places.py) with another
  case of any committee registered within 12 months of it.
- 超期未结: open and past its deadline.
- 协议未履行: agreed, and its latest follow-up found a term not (or only partly) performed.
- 调解终止（高风险）: terminated, high risk or 可能激化, registered in the last 12 months.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from mediation import access
from mediation.audit.service import record_event
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseStatus,
    Category,
    EventKind,
    FollowUp,
    Instruction,
    Org,
    Party,
    Performance,
    RiskLevel,
    TermPerformance,
    User,
)
from mediation.models.base import local_today, utcnow
from mediation.reports.service import days_between, unit_or_404
from mediation.warning.places import place_group, place_party, same_place_key
from mediation.workflow import WorkflowError

WINDOW_DAYS = 365  # "within 12 months"
PER_PAGE = 50
S = CaseStatus
LIVE = (S.SUBMITTED, S.ACCEPTED, S.MEDIATING)
NOT_ENDED = (*LIVE, S.AGREED, S.FOLLOWED_UP)
AGREED = (S.AGREED, S.FOLLOWED_UP)

REASONS = {
    "high_risk": "风险等级重大",
    "may_escalate": "可能激化（民转刑风险）",
    "group": "群体性纠纷",
    "repeat_party": "同一当事人12个月内另有纠纷",
    "repeat_place": "同一地点12个月内另有纠纷",
    "overdue": "超期未结",
    "unperformed": "协议未履行",
    "terminated_risk": "调解终止（高风险）",
}


@dataclass
class Item:
    case: Case
    reasons: list[tuple[str, str, str]]  # (key, label, detail)
    open_instructions: int = 0


@dataclass
class WarningList:
    unit: Org
    today: date
    counts: dict[str, int]
    total: int
    items: list[Item]
    page: int
    pages: int


# --- Why a case is listed -------------------------------------------------------------------


def _conditions(today: date) -> dict:
    """The reasons read from the case row itself, as conditions on it."""
    since = today - timedelta(days=WINDOW_DAYS)
    live = Case.status.in_(LIVE)
    return {
        "high_risk": and_(live, Case.risk_level == RiskLevel.HIGH),
        "may_escalate": and_(live, Case.may_escalate.is_(True)),
        "group": and_(live, Case.is_group.is_(True)),
        "overdue": Case.overdue_on(today),
        "terminated_risk": and_(
            Case.status == S.TERMINATED,
            Case.registered_on >= since,
            or_(Case.risk_level == RiskLevel.HIGH, Case.may_escalate.is_(True)),
        ),
    }


def _flagged(owned, today: date) -> dict[int, dict[str, str]]:
    """The reasons read from the case row itself, in one pass over the cases asked."""
    conditions = _conditions(today)
    columns = [case((cond, True), else_=False).label(key) for key, cond in conditions.items()]
    rows = db.session.execute(
        select(Case.id, Case.deadline, *columns).where(owned, or_(*conditions.values()))
    )
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for row in rows:
        mapping = row._mapping
        for key in conditions:
            if mapping[key]:
                found[row.id][key] = _detail(key, row.deadline, today)
    return found


def _detail(key: str, deadline: date | None, today: date) -> str:
    if key == "overdue" and deadline:
        return f"办理期限{deadline:%Y年%m月%d日}，已超期{(today - deadline).days}天"
    return {
        "high_risk": "登记的风险等级为重大（可能激化）",
        "may_escalate": "标记为可能激化、有民转刑风险",
        "group": "一方当事人五人以上",
        "terminated_risk": "调解不成而终止，风险仍在",
    }.get(key, "")


def _unperformed_query(owned):
    """Agreed cases whose latest follow-up found a term not performed in full: (case id,
    the visit's day)."""
    later = aliased(FollowUp)
    newer = exists().where(
        later.case_id == FollowUp.case_id,
        or_(
            later.visited_on > FollowUp.visited_on,
            and_(later.visited_on == FollowUp.visited_on, later.id > FollowUp.id),
        ),
    )
    short = exists().where(
        TermPerformance.follow_up_id == FollowUp.id,
        TermPerformance.status != Performance.PERFORMED,
    )
    return (
        select(FollowUp.case_id, FollowUp.visited_on)
        .join(Case, Case.id == FollowUp.case_id)
        .where(owned, Case.status.in_(AGREED), ~newer, short)
    )


def _unperformed(owned) -> dict[int, str]:
    rows = db.session.execute(_unperformed_query(owned))
    return {cid: f"{day:%Y年%m月%d日}回访：协议未全部履行" for cid, day in rows}


def _repeat_join(query, owned, key_of, today: date, which=None):
    """Cases of the unit (registered in the last 12 months, not ended) joined through a
    party's key (ID number, place) to the other cases of any committee that share it and
    were registered within 12 months of theirs."""
    since = today - timedelta(days=WINDOW_DAYS)
    mine, theirs, other = aliased(Party), aliased(Party), aliased(Case)
    return (
        query.join(mine, mine.case_id == Case.id)
        .join(theirs, and_(key_of(theirs) == key_of(mine), theirs.case_id != Case.id))
        .join(other, other.id == theirs.case_id)
        .where(
            owned,
            Case.status.in_(NOT_ENDED),
            Case.registered_on >= since,
            key_of(mine) != "",
            *([which(mine), which(theirs)] if which else []),
            other.registered_on >= since - timedelta(days=WINDOW_DAYS),
            days_between(other.registered_on, Case.registered_on).between(
                -WINDOW_DAYS, WINDOW_DAYS
            ),
        )
    ), other


def _repeat_ids(owned, key_of, today: date, which=None):
    """The ids of the unit's cases with a repeat, as a query (one pass, no pairs kept)."""
    query, _ = _repeat_join(select(Case.id), owned, key_of, today, which)
    return query.distinct()


def _repeats(owned, key_of, today: date, which=None) -> dict[int, list[tuple[int, str, int]]]:
    """The other cases each of the unit's cases repeats: {case id: [(other id, number,
    committee)]}."""
    query, other = _repeat_join(select(Case.id), owned, key_of, today, which)
    rows = db.session.execute(
        query.add_columns(other.id, other.number, other.committee_id).distinct()
    )
    found: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for case_id, other_id, number, committee_id in sorted(rows):
        found[case_id].append((other_id, number, committee_id))
    return found


CHECKS = (
    ("repeat_party", lambda p: p.id_number, None),
    ("repeat_place", same_place_key, place_party),
)


def reasons_for(
    user: User, unit: Org, today: date | None = None, ids: list[int] | None = None
) -> dict[int, dict[str, str]]:
    """Every case of the unit on the warning list (or those of `ids` that are):
    {case id: {reason: what it says}}."""
    today = today or local_today()
    committee_ids = list(db.session.scalars(access.committees_in_unit(unit)))
    owned = Case.committee_id.in_(committee_ids)
    if ids is not None:
        owned = and_(owned, Case.id.in_(ids))
    found = _flagged(owned, today)
    for case_id, text in _unperformed(owned).items():
        found[case_id]["unperformed"] = text
    mine = set(committee_ids) | set(
        db.session.scalars(access.committees_in_scope(user))
    )  # the committees whose case numbers the user may see
    names = dict(db.session.execute(select(Org.id, Org.name)).all())
    for key, key_of, which in CHECKS:
        for case_id, others in _repeats(owned, key_of, today, which).items():
            named = [
                f"{number}（{names[owner]}）" if owner in mine else f"{names[owner]}的案件"
                for _, number, owner in others[:3]
            ]
            more = f"等{len(others)}件" if len(others) > 3 else ""
            found[case_id][key] = "另见" + "、".join(named) + more
    return found


def warning_list(
    user: User, org_id: int | None, reason: str | None = None, page: int = 1
) -> WarningList:
    if not access.can_read_warnings(user):
        raise WorkflowError("预警研判供司法行政机关的审核人员查看。", status=403)
    unit = unit_or_404(user, org_id)
    today = local_today()
    listed = listed_ids(unit, today)
    counts = {key: len(listed[key]) for key in REASONS}
    chosen = listed[reason] if reason in listed else set().union(*listed.values())
    ids = sorted(chosen, reverse=True)
    pages = max(1, -(-len(ids) // PER_PAGE))
    page = min(max(page, 1), pages)
    shown = ids[(page - 1) * PER_PAGE : page * PER_PAGE]
    found = reasons_for(user, unit, today, shown)  # what each says, for this page only
    cases = {
        c.id: c
        for c in db.session.scalars(
            select(Case).where(Case.id.in_(shown)).options(selectinload(Case.parties))
        )
    }
    waiting = dict(
        db.session.execute(
            select(Instruction.case_id, func.count())
            .where(Instruction.case_id.in_(shown), Instruction.answered_at.is_(None))
            .group_by(Instruction.case_id)
        ).all()
    )
    items = [
        Item(
            cases[cid],
            [(k, REASONS[k], found[cid][k]) for k in REASONS if k in found[cid]],
            waiting.get(cid, 0),
        )
        for cid in shown
    ]
    return WarningList(unit, today, counts, len(ids), items, page, pages)


def listed_ids(unit: Org, today: date) -> dict[str, set[int]]:
    """The ids of the unit's cases listed for each reason: one query a reason, ids only (no
    case objects, no texts); the page then reads what it shows."""
    committee_ids = list(db.session.scalars(access.committees_in_unit(unit)))
    owned = Case.committee_id.in_(committee_ids)
    listed = {
        key: set(db.session.scalars(select(Case.id).where(owned, condition)))
        for key, condition in _conditions(today).items()
    }
    listed["unperformed"] = set(
        db.session.scalars(_unperformed_query(owned).with_only_columns(FollowUp.case_id))
    )
    for key, key_of, which in CHECKS:
        listed[key] = set(db.session.scalars(_repeat_ids(owned, key_of, today, which)))
    return listed


# --- 督办 ------------------------------------------------------------------------------------


def instructions_of(case: Case) -> list[Instruction]:
    return list(
        db.session.scalars(
            select(Instruction).where(Instruction.case_id == case.id).order_by(Instruction.id)
        )
    )


def latest_instruction_id(case: Case) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(Instruction.id), 0)).where(Instruction.case_id == case.id)
    )


def send_instruction(case: Case, user: User, message: str, seen: int) -> Instruction:
    """督办: an auditor instructs the committee holding the case; the committee must answer.
    `seen` is the newest instruction the sender's page showed: another one sent since then is
    a conflict, so two auditors do not send the same instruction twice unknowingly."""
    if not access.may_instruct(user, case):
        raise WorkflowError("只有管辖该案件的司法行政机关审核人员可以督办。", status=403)
    message = (message or "").strip()
    if not message:
        raise WorkflowError("请填写督办内容。", status=400, field="message")
    if latest_instruction_id(case) != seen:
        raise WorkflowError(
            "在您打开本页之后，已有人对该案件发出了新的督办（见下方记录）。"
            "请先查看，需要时再补充督办；您填写的内容仍在表单中。",
            status=409,
        )
    instruction = Instruction(
        case_id=case.id, committee_id=case.committee_id, from_id=user.id, message=message
    )
    db.session.add(instruction)
    db.session.flush()
    record_event(
        case, user, EventKind.INSTRUCTION, reason=message, details={"督办对象": case.committee.name}
    )
    db.session.commit()
    return instruction


def answer_instruction(instruction: Instruction, user: User, answer: str, version: int) -> None:
    """The committee's director answers a 督办; the answer goes on the case timeline."""
    if not access.may_answer_instruction(user, instruction.committee_id):
        raise WorkflowError("督办由被督办调委会的主任回复。", status=403)
    answer = (answer or "").strip()
    if not answer:
        raise WorkflowError("请填写办理情况。", status=400, field="answer")
    if instruction.is_answered or instruction.version != version:
        raise WorkflowError(
            "这条督办已经回复过了（见下方），您填写的内容仍在表单中；如需补充，请在案件中记录。",
            status=409,
        )
    instruction.answer = answer
    instruction.answered_by_id = user.id
    instruction.answered_at = utcnow()
    db.session.flush()
    record_event(
        instruction.case,
        user,
        EventKind.INSTRUCTION_ANSWERED,
        reason=answer,
        details={"督办内容": instruction.message},
    )
    db.session.commit()


def instruction_or_404(user: User, instruction_id: int) -> Instruction:
    """An instruction its committee's members, or an auditor holding its case, may read."""
    instruction = db.session.get(Instruction, instruction_id)
    if instruction is None:
        raise WorkflowError("没有这条督办。", status=404)
    if user.role in (user.role.DIRECTOR, user.role.MEDIATOR):
        allowed = user.org_id == instruction.committee_id
    else:
        allowed = user.role == user.role.AUDITOR and access.in_scope(user, instruction.case)
    if not allowed:
        raise WorkflowError("没有这条督办。", status=404)
    return instruction


def open_instructions_for(user: User) -> list[Instruction]:
    """我的待办: a director's unanswered 督办 (the committee must answer)."""
    if user.role != user.role.DIRECTOR:
        return []
    return list(
        db.session.scalars(
            select(Instruction)
            .where(Instruction.committee_id == user.org_id, Instruction.answered_at.is_(None))
            .options(selectinload(Instruction.case), selectinload(Instruction.sender))
            .order_by(Instruction.sent_at)
        )
    )


# --- Weekly analysis (研判) ------------------------------------------------------------------

WEEKS = 8
RISE_FACTOR = 1.5  # a week is a rise when it has 1.5 times the mean of the four before it
RISE_MINIMUM = 3  # ... and at least this many new disputes


@dataclass
class WeekRow:
    key: object  # a Category or an Org
    label: str
    counts: list[int]
    rises: list[bool] = field(default_factory=list)


@dataclass
class Weekly:
    unit: Org
    weeks: list[tuple[date, date]]  # oldest first; the last ends today
    by_category: list[WeekRow]
    by_place: list[WeekRow]
    totals: WeekRow


def is_rise(counts: list[int], index: int) -> bool:
    """A week's new disputes rose: at least RISE_MINIMUM and RISE_FACTOR times the mean of the
    (up to four) weeks before it, or any RISE_MINIMUM when those weeks had none."""
    before = counts[max(0, index - 4) : index]
    if index == 0 or counts[index] < RISE_MINIMUM:
        return False
    mean = sum(before) / len(before)
    return counts[index] >= RISE_FACTOR * mean and counts[index] > mean


def weekly(user: User, org_id: int | None) -> Weekly:
    """New disputes (by registration date) in the last eight 7-day weeks ending today, by
    category and by place, with the rises flagged."""
    if not access.can_read_warnings(user):
        raise WorkflowError("预警研判供司法行政机关的审核人员查看。", status=403)
    unit = unit_or_404(user, org_id)
    today = local_today()
    weeks = [
        (today - timedelta(days=7 * i + 6), today - timedelta(days=7 * i))
        for i in reversed(range(WEEKS))
    ]
    committees = list(db.session.scalars(access.committees_under(unit)))
    owned = Case.committee_id.in_([c.id for c in committees])
    place = place_group()
    rows = db.session.execute(
        select(Case.category, place, Case.registered_on, func.count())
        .where(owned, Case.registered_on >= weeks[0][0], Case.registered_on <= today)
        .group_by(Case.category, place, Case.registered_on)
    ).all()
    by_category: dict = defaultdict(lambda: [0] * WEEKS)
    by_place: dict = defaultdict(lambda: [0] * WEEKS)
    total = [0] * WEEKS
    for category, where, day, n in rows:
        week = (day - weeks[0][0]).days // 7
        by_category[category][week] += n
        by_place[where][week] += n
        total[week] += n

    def row(key, label, counts) -> WeekRow:
        return WeekRow(key, label, counts, [is_rise(counts, i) for i in range(WEEKS)])

    names = {c.id: c for c in committees}

    def path_of(org_id: int) -> str:
        return names[org_id].path

    return Weekly(
        unit,
        weeks,
        [row(c, c.label, by_category[c]) for c in Category if c in by_category],
        [row(names[p], names[p].name, by_place[p]) for p in sorted(by_place, key=path_of)],
        row(None, "合计", total),
    )
