"""Use cases of the case-file review: the verdict on a file, the committee's answer to a
returned file, and the quarterly sample. Each checks who may through access, commits once
and writes the timeline event; a repeat or a stale form is refused (409), never doubled."""

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from mediation import access
from mediation.audit.service import record_event
from mediation.documents.service import file_case
from mediation.extensions import db
from mediation.models import (
    Case,
    CaseReview,
    CaseStatus,
    DocumentKind,
    EventKind,
    GeneratedDocument,
    Org,
    ReviewAnswer,
    ReviewSample,
    ReviewStatus,
    ReviewVerdict,
    SampleCase,
    User,
    Verdict,
)
from mediation.models.base import local_today, utcnow
from mediation.oversight.checklist import LABELS, checklist, snapshot
from mediation.workflow import WorkflowError

# Files are reviewed once the case is closed (and after it is archived).
REVIEWABLE = (CaseStatus.CLOSED, CaseStatus.ARCHIVED)
STATUS_AFTER = {
    Verdict.PASSED: ReviewStatus.PASSED,
    Verdict.BASIC: ReviewStatus.BASIC,
    Verdict.RETURNED: ReviewStatus.RETURNED,
}
STALE = "该案卷的评查已有新的进展（他人已给出结论或调委会已答复），请刷新页面查看后再提交。"


def review_of(case: Case) -> CaseReview | None:
    return db.session.scalar(
        select(CaseReview)
        .where(CaseReview.case_id == case.id)
        .options(selectinload(CaseReview.verdicts), selectinload(CaseReview.answers))
    )


def may_give_verdict(user: User, case: Case, review: CaseReview | None) -> bool:
    """What the page asks before showing the verdict form."""
    return (
        access.can_review(user)
        and access.in_scope(user, case)
        and case.status in REVIEWABLE
        and (review is None or review.status == ReviewStatus.RESUBMITTED)
    )


def may_answer(user: User, case: Case, review: CaseReview | None) -> bool:
    return (
        review is not None
        and review.status == ReviewStatus.RETURNED
        and access.may_answer_review(user, case)
    )


def _check_version(review: CaseReview | None, version_seen: int) -> None:
    if (review.version if review else 0) != version_seen:
        raise WorkflowError(STALE)


def _commit_or_conflict() -> None:
    """Two people posting at once: the row version (or the one review per case) stops the
    second, which is answered as a conflict, not an error."""
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise WorkflowError(STALE) from None


def give_verdict(
    case: Case,
    user: User,
    verdict: Verdict,
    comment: str,
    item_comments: dict[str, str],
    version_seen: int,
) -> CaseReview:
    """The auditor's verdict on a closed file: 合格, 基本合格, or 不合格 and returned to the
    committee for correction. Given on a file not yet reviewed, or answered after a return."""
    if not access.can_review(user):
        raise WorkflowError("只有司法行政审核人员可以评查案卷。", status=403)
    if not access.in_scope(user, case):
        raise WorkflowError("没有这个案件，或不在您的评查范围内。", status=404)
    if case.status not in REVIEWABLE:
        raise WorkflowError(f"案件当前状态为“{case.status.label}”，结案后才能评查案卷。")
    review = review_of(case)
    _check_version(review, version_seen)
    if review is not None and review.status == ReviewStatus.RETURNED:
        raise WorkflowError("本案卷已退回调委会补正，请等调委会答复后再复查。")
    if review is not None and review.is_final:
        raise WorkflowError(f"本案卷已评查为“{review.status.label}”，评查已结束。")
    comment = (comment or "").strip()
    notes = {k: v.strip() for k, v in item_comments.items() if k in LABELS and (v or "").strip()}
    if verdict == Verdict.RETURNED and not (comment or notes):
        raise WorkflowError("退回补正时请写明需要补正的内容。", status=400, field="comment")
    if review is None:
        review = CaseReview(case_id=case.id, status=STATUS_AFTER[verdict])
        db.session.add(review)
    review.status = STATUS_AFTER[verdict]
    review.updated_at = utcnow()
    given = ReviewVerdict(
        round=len(review.verdicts) + 1,
        verdict=verdict,
        comment=comment,
        item_comments=notes,
        checklist=snapshot(checklist(case)),
        auditor_id=user.id,
    )
    review.verdicts.append(given)
    _commit_or_conflict()
    details = {"结论": verdict.label, "第几次评查": given.round}
    details.update({LABELS[k]: v for k, v in notes.items()})
    record_event(case, user, EventKind.REVIEW, reason=comment, details=details)
    _refile(case, user)
    db.session.commit()
    return review


def answer_return(case: Case, user: User, text: str, version_seen: int) -> CaseReview:
    """The committee's answer to a returned file: what it corrected or explains, as an entry
    added to the file (the records themselves stay as they were), which resubmits it."""
    if not access.may_answer_review(user, case):
        raise WorkflowError("只有本案调解员或调委会主任可以答复评查意见。", status=403)
    review = review_of(case)
    if review is None or review.status != ReviewStatus.RETURNED:
        if review is not None and review.version != version_seen:
            raise WorkflowError(STALE)
        raise WorkflowError("本案卷没有待补正的评查意见。")
    _check_version(review, version_seen)
    text = (text or "").strip()
    if not text:
        raise WorkflowError("请填写补正说明。", status=400, field="text")
    round_ = len(review.verdicts)
    review.answers.append(ReviewAnswer(round=round_, text=text, user_id=user.id))
    review.status = ReviewStatus.RESUBMITTED
    review.updated_at = utcnow()
    _commit_or_conflict()
    signer = f"{user.name}（{user.role.label}）"
    record_event(
        case,
        user,
        EventKind.REVIEW_ANSWER,
        reason=text,
        details={"答复第几次评查": round_, "签署人": signer},
    )
    _refile(case, user)
    db.session.commit()
    return review


def _refile(case: Case, user: User) -> None:
    """An archived file's 备考表 carries its review history (rule 19): each verdict and
    answer makes a new version of the stored 卷宗, the earlier ones kept."""
    if case.status == CaseStatus.ARCHIVED:
        file_case(case, user)


# --- Lists ---------------------------------------------------------------------------------


def reviewable_cases(user: User) -> Select:
    """The closed and archived cases of the auditor's part of the tree."""
    return access.cases_visible_to(user).where(Case.status.in_(REVIEWABLE))


FILTERS = {
    "todo": "未评查",
    ReviewStatus.RETURNED.value: ReviewStatus.RETURNED.label,
    ReviewStatus.RESUBMITTED.value: ReviewStatus.RESUBMITTED.label,
    ReviewStatus.PASSED.value: ReviewStatus.PASSED.label,
    ReviewStatus.BASIC.value: ReviewStatus.BASIC.label,
}
PAGE_SIZE = 30


@dataclass
class ReviewRow:
    case: Case
    review_status: ReviewStatus | None


def review_list(
    user: User, committee_id: int | None, state: str | None, page: int
) -> tuple[list[ReviewRow], int]:
    """One page of the files to review, newest closed first, with their review status:
    a count, the page (cases, committee and review in one query) and the parties."""
    query = reviewable_cases(user).outerjoin(CaseReview, CaseReview.case_id == Case.id)
    if committee_id:
        query = query.where(Case.committee_id == committee_id)
    if state == "todo":
        query = query.where(CaseReview.id.is_(None))
    elif state in FILTERS:
        query = query.where(CaseReview.status == ReviewStatus(state))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.add_columns(CaseReview.status)
        .options(selectinload(Case.parties))
        .order_by(Case.closed_on.desc(), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset(max(page - 1, 0) * PAGE_SIZE)
    ).all()
    return [ReviewRow(case, status) for case, status in rows], total


def returned_to(cases: Select) -> Select:
    """Of these cases, those whose file was returned and waits for the committee's answer
    (我的待办)."""
    returned = select(CaseReview.case_id).where(CaseReview.status == ReviewStatus.RETURNED)
    return cases.where(Case.id.in_(returned))


# --- Sampling (抽查) ------------------------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end_month = 3 * quarter
    end = date(year + end_month // 12, end_month % 12 + 1, 1) - timedelta(days=1)
    return start, end


def sample_units(user: User) -> list[Org]:
    """The units an auditor may draw samples for: their own and those below it."""
    return access.statistics_units(user) if access.can_review(user) else []


# A deterministic hash of (seed, case id), computed alike by PostgreSQL and SQLite in 64-bit
# integers: two rounds of an affine step and a square modulo the prime 2^31 - 1.
PRIME = 2_147_483_647


def _salts(seed: str) -> tuple[int, ...]:
    digest = hashlib.sha256(seed.encode()).digest()
    return tuple(int.from_bytes(digest[4 * n : 4 * n + 4], "big") % PRIME for n in range(4))


def draw_order(seed: str, case_id) -> ColumnElement:
    """Where a case stands in the seed's random order (the lowest are drawn): depends on the
    seed and the case alone, so a committee's draw does not change with the others'."""
    a, b, c, d = _salts(seed)
    x = (cast(case_id, BigInteger) * 48271 + a) % PRIME
    x = (x * x + b) % PRIME
    x = (x * 16807 + c) % PRIME
    return (x * x + d) % PRIME


def drawn(
    unit: Org, year: int, quarter: int, per_committee: int, seed: str
) -> dict[int, list[int]]:
    """The files drawn: per committee below the unit, the `per_committee` cases closed (or
    archived) in the quarter that come first in the seed's order. One query, in the
    database: only the drawn ids come back, however many cases were closed."""
    start, end = quarter_bounds(year, quarter)
    committees = access.committees_under(unit).with_only_columns(Org.id)
    ranked = (
        select(
            Case.committee_id,
            Case.id,
            func.row_number()
            .over(partition_by=Case.committee_id, order_by=(draw_order(seed, Case.id), Case.id))
            .label("n"),
        )
        .where(
            Case.committee_id.in_(committees),
            Case.closed_on.between(start, end),
            Case.status.in_(REVIEWABLE),
        )
        .subquery()
    )
    chosen: dict[int, list[int]] = defaultdict(list)
    for committee_id, case_id in db.session.execute(
        select(ranked.c.committee_id, ranked.c.id)
        .where(ranked.c.n <= per_committee)
        .order_by(ranked.c.committee_id, ranked.c.id)
    ):
        chosen[committee_id].append(case_id)
    return dict(chosen)


def draw_sample(
    user: User, unit: Org, year: int, quarter: int, per_committee: int, seed: str = ""
) -> ReviewSample:
    """抽查: for a quarter, draw files at random per committee below the unit; the seed is
    recorded (a new one when none is given), so the draw can be repeated and checked."""
    if not access.can_review(user):
        raise WorkflowError("只有司法行政审核人员可以抽查案卷。", status=403)
    if unit not in sample_units(user):
        raise WorkflowError("没有这个单位，或不在您的范围内。", status=404, field="org")
    if not 1 <= quarter <= 4:
        raise WorkflowError("请选择季度。", status=400, field="quarter")
    start, _ = quarter_bounds(year, quarter)
    if year < 2000 or start > local_today():
        raise WorkflowError("所选季度尚未开始。", status=400, field="quarter")
    if not 1 <= per_committee <= 50:
        raise WorkflowError(
            "每个调委会抽取的案卷数应在1到50之间。", status=400, field="per_committee"
        )
    seed = (seed or "").strip() or secrets.token_hex(4)
    if len(seed) > 40:
        raise WorkflowError("随机种子不超过40个字符。", status=400, field="seed")
    existing = db.session.scalar(
        select(ReviewSample).where(
            ReviewSample.org_id == unit.id,
            ReviewSample.year == year,
            ReviewSample.quarter == quarter,
        )
    )
    if existing is not None:
        raise WorkflowError(
            f"{unit.name}{existing.label}已经抽取过（随机种子 {existing.seed}），不重复抽取。"
        )
    chosen = drawn(unit, year, quarter, per_committee, seed)
    sample = ReviewSample(
        org_id=unit.id,
        year=year,
        quarter=quarter,
        per_committee=per_committee,
        seed=seed,
        drawn_by_id=user.id,
        cases=[
            SampleCase(case_id=case_id, committee_id=committee_id)
            for committee_id, ids in chosen.items()
            for case_id in ids
        ],
    )
    db.session.add(sample)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise WorkflowError(f"{unit.name}该季度已经抽取过，请刷新页面查看。") from None
    return sample


def samples_visible_to(user: User) -> list[ReviewSample]:
    """The samples of the units the auditor may read, newest first, with their files: two
    queries whatever their number."""
    units = [u.id for u in sample_units(user)]
    return list(
        db.session.scalars(
            select(ReviewSample)
            .where(ReviewSample.org_id.in_(units))
            .options(selectinload(ReviewSample.cases))
            .order_by(ReviewSample.year.desc(), ReviewSample.quarter.desc(), ReviewSample.id)
        )
    )


def sample_or_404(user: User, sample_id: int) -> ReviewSample:
    sample = db.session.get(ReviewSample, sample_id)
    if sample is None or sample.org_id not in {u.id for u in sample_units(user)}:
        raise WorkflowError("没有这次抽查，或不在您的范围内。", status=404)
    return sample


@dataclass
class SampleProgress:
    rows: list[ReviewRow]
    total: int
    reviewed: int
    by_status: dict[ReviewStatus, int]


def sample_progress(sample: ReviewSample) -> SampleProgress:
    """The sampled files with their review status, and how many are reviewed with which
    result: one query for the files and their reviews, one for the parties."""
    rows = db.session.execute(
        select(Case, CaseReview.status)
        .join(SampleCase, SampleCase.case_id == Case.id)
        .outerjoin(CaseReview, CaseReview.case_id == Case.id)
        .where(SampleCase.sample_id == sample.id)
        .options(selectinload(Case.parties))
        .order_by(Case.committee_id, Case.id)
    ).all()
    by_status = {s: 0 for s in ReviewStatus}
    for _, status in rows:
        if status is not None:
            by_status[status] += 1
    reviewed = sum(1 for _, status in rows if status is not None)
    return SampleProgress(
        rows=[ReviewRow(case, status) for case, status in rows],
        total=len(rows),
        reviewed=reviewed,
        by_status=by_status,
    )


def case_files(case: Case) -> list:
    """The case's generated 卷宗 versions, newest first, for the link on the review page."""
    return list(
        db.session.scalars(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.case_id == case.id,
                GeneratedDocument.kind == DocumentKind.CASE_FILE,
            )
            .order_by(GeneratedDocument.version.desc())
        )
    )


@dataclass
class HistoryLine:
    at: object
    text: str


def history_lines(case: Case) -> list[HistoryLine]:
    """The review history as the 卷宗's 备考表 prints it: every verdict and answer, signed."""
    review = review_of(case)
    if review is None:
        return []
    lines = []
    for entry in review.history():
        if isinstance(entry, ReviewVerdict):
            notes = "；".join(f"{LABELS.get(k, k)}：{v}" for k, v in entry.item_comments.items())
            said = "；".join(part for part in (entry.comment, notes) if part)
            text = f"第{entry.round}次评查，结论“{entry.verdict.label}”（{entry.auditor.name}）"
            lines.append(HistoryLine(entry.at, text + (f"：{said}" if said else "。")))
        else:
            who = f"{entry.user.name}（{entry.user.role.label}）"
            lines.append(
                HistoryLine(entry.at, f"调委会答复第{entry.round}次评查意见，{who}：{entry.text}")
            )
    return lines
