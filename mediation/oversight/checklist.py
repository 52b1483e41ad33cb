"""The quality checklist of a case file, computed from the case's data.

CHECKLIST is one table: each item is a small function of the case answering True (met),
False (not met) or None (does not apply to this outcome), with a note saying what it found.
A new item is one more function and one more row.
"""

from collections.abc import Callable
from dataclasses import dataclass

from mediation.models import AgreementKind, AttachmentKind, Case, RiskLevel
from mediation.models.base import LOCAL_TZ


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    ok: bool | None
    note: str = ""


Finding = tuple[bool | None, str]


def art29_fields(case: Case) -> Finding:
    """Art. 29: the agreement states the parties' basic information, the main facts, the
    points in dispute, each party's responsibility, and terms with manner and time limit.
    An oral agreement (Art. 28) has its content recorded."""
    agreement = case.agreement
    if agreement is None:
        return None, "本案未达成协议"
    missing = []
    for party in case.parties:
        needed = [("name", "姓名或名称"), ("address", "住所")]
        if not party.is_person:
            needed.append(("legal_representative", "法定代表人"))
        missing += [
            f"{party.name or '当事人'}的{label}" for key, label in needed if not getattr(party, key)
        ]
    if agreement.kind == AgreementKind.WRITTEN:
        for key, label in (
            ("facts", "纠纷的主要事实"),
            ("disputed_points", "争议事项"),
            ("responsibility", "各方当事人的责任"),
        ):
            if not getattr(agreement, key).strip():
                missing.append(label)
        if not agreement.terms:
            missing.append("协议内容")
    elif not agreement.oral_content.strip():
        missing.append("口头协议的内容")
    for n, term in enumerate(agreement.terms, 1):
        if not (term.manner or "").strip() or term.deadline is None:
            missing.append(f"第{n}项协议的履行方式和期限")
    return (False, "缺少：" + "、".join(missing)) if missing else (True, "各项齐全")


def session_before_agreement(case: Case) -> Finding:
    """Rule 5 (Art. 27): a mediation session is on record before the agreement was reached."""
    agreement = case.agreement
    if agreement is None:
        return None, "本案未达成协议"
    before = [
        s
        for s in case.session_records
        if s.held_at.astimezone(LOCAL_TZ).date() <= agreement.reached_on
    ]
    if not before:
        return False, "协议达成前没有调解记录"
    return True, f"协议达成前有调解记录{len(before)}份"


def signed_scan(case: Case) -> Finding:
    """Art. 29: a written agreement takes effect signed and sealed; its scan is on file."""
    agreement = case.agreement
    if agreement is None or agreement.kind != AgreementKind.WRITTEN:
        return None, "无书面协议"
    scans = [
        a
        for a in case.attachments
        if a.kind == AttachmentKind.SIGNED_AGREEMENT and a.agreement_id == agreement.id
    ]
    if not scans:
        return False, "未上传签字盖章的协议书扫描件"
    return True, f"已上传（{scans[-1].original_name}）"


def follow_up_done(case: Case) -> Finding:
    """Art. 31: the committee follows up the performance of the agreement."""
    agreement = case.agreement
    if agreement is None:
        return None, "本案未达成协议"
    visits = [f for f in case.follow_ups if f.agreement_id == agreement.id]
    if not visits:
        return False, "没有回访记录"
    last = visits[-1]
    return True, f"{last.visited_on.isoformat()}回访，{last.satisfaction.label}"


def concluded_on(case: Case):
    """The day the case was concluded: the first agreement, or the termination or
    withdrawal; None when it never reached one of them."""
    if case.agreements:
        return min(a.reached_on for a in case.agreements)
    for action in ("terminate", "withdraw"):
        event = case.last_event(action)
        if event is not None:
            return event.at.astimezone(LOCAL_TZ).date()
    return None


def deadline_kept(case: Case) -> Finding:
    """Rule 11: concluded within the deadline, or within a deadline extended with a reason
    and the parties' consent."""
    if case.accepted_on is None or case.deadline is None:
        return None, "本案未受理"
    day = concluded_on(case)
    if day is None:
        return None, "本案未办结"
    if day > case.deadline:
        return False, f"{day.isoformat()}办结，超过期限{(day - case.deadline).days}天"
    if case.extension_reason and not case.extension_consent:
        return False, f"延期未记录当事人同意（延期理由：{case.extension_reason}）"
    if case.extension_reason:
        return True, (
            f"经延期后按期办结（延期理由：{case.extension_reason}；当事人同意：{case.extension_consent}）"
        )
    return True, f"{day.isoformat()}办结，在期限内"


def outcome_documents(case: Case) -> Finding:
    """Rule 12 (Art. 26, 27): the records the case's outcome needs are on file."""
    needed: list[tuple[str, bool]] = []
    if case.agreement is not None:
        needed += [
            ("调解记录", bool(case.session_records)),
            ("调解协议", True),
            ("回访记录", bool(case.follow_ups)),
        ]
    else:
        for action, label in (
            ("terminate", "调解终止告知（原因和其他途径）"),
            ("reject", "不予受理的理由和告知途径"),
            ("withdraw", "撤回申请的记录"),
        ):
            event = case.last_event(action)
            if event is not None:
                told = bool(event.reason) and (
                    action == "withdraw" or bool((event.details or {}).get("route"))
                )
                needed.append((label, told))
                break
    if not needed:
        return False, "没有记录案件的处理结果"
    missing = [label for label, present in needed if not present]
    if missing:
        return False, "缺少：" + "、".join(missing)
    return True, "、".join(label for label, _ in needed)


def risk_measures(case: Case) -> Finding:
    """Rule 6, 17 (Art. 25): a high-risk or 可能激化 case has a prevention measure or a
    report to the police on file."""
    if case.risk_level != RiskLevel.HIGH and not case.may_escalate:
        return None, "非重大风险案件"
    found = len(case.risk_measures) + len(case.police_reports)
    if not found:
        return False, "风险案件没有防控措施或报告公安机关的记录"
    return True, f"防控措施{len(case.risk_measures)}项，报告公安{len(case.police_reports)}次"


CHECKLIST: list[tuple[str, str, Callable[[Case], Finding]]] = [
    ("art29", "协议具备第二十九条规定的各项内容", art29_fields),
    ("session", "达成协议前有调解记录", session_before_agreement),
    ("signed", "已上传签字盖章的协议书", signed_scan),
    ("follow_up", "已回访协议履行情况", follow_up_done),
    ("deadline", "按期办结或经延期后按期办结", deadline_kept),
    ("documents", "结果所需文书齐全", outcome_documents),
    ("risk", "风险案件有防控措施", risk_measures),
]
LABELS = {key: label for key, label, _ in CHECKLIST}


def checklist(case: Case) -> list[Check]:
    return [Check(key, label, *check(case)) for key, label, check in CHECKLIST]


def snapshot(checks: list[Check]) -> dict[str, bool | None]:
    """The checklist as a verdict keeps it."""
    return {c.key: c.ok for c in checks}
