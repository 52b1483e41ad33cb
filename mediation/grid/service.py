"""Use cases of the grids: set one up, file a report or a 零上报, turn a report into a case
or resolve it on the spot (就地化解), the grid × week matrix and the monthly counts."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from mediation import access
from mediation.audit.service import record_admin_event, record_event
from mediation.cases.service import register_case
from mediation.extensions import db
from mediation.models import (
    Attachment,
    AttachmentKind,
    Category,
    EventKind,
    Grid,
    GridPhoto,
    GridReport,
    GridReportKind,
    GridReportOutcome,
    Org,
    PartyKind,
    PartyRole,
    RiskLevel,
    Role,
    Source,
    User,
)
from mediation.models.base import LOCAL_TZ, local_today, utcnow
from mediation.records.attachments import store_upload
from mediation.workflow import WorkflowError

MAX_PHOTOS = 5
# Weeks a 零上报 may be filed for: this week, or last week when it was missed.
ZERO_WEEKS_BACK = 1
MATRIX_WEEKS = 8


def week_of(day: date) -> date:
    """The Monday of the week a day falls in (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def short_week_label(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"{monday.month}/{monday.day}–{sunday.month}/{sunday.day}"


def week_label(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日"


# --- Setting grids up (administrator) ------------------------------------------------------


def create_grid(actor: User, data: dict[str, Any]) -> Grid:
    """A new grid under a committee, with its grid worker (a 网格员 of that committee)."""
    if not access.can_manage_grids(actor):
        raise WorkflowError("只有系统管理员可以设置网格。", status=403)
    committee = db.session.get(Org, data["committee_id"])
    if committee is None or not committee.is_committee:
        raise WorkflowError("网格须设在人民调解委员会下。", status=400, field="committee_id")
    worker_id = str(data.get("worker_id") or "")
    worker = db.session.get(User, int(worker_id)) if worker_id.isdigit() else None
    if worker is not None and (worker.role != Role.GRID or worker.org_id != committee.id):
        raise WorkflowError("网格员须是该调委会的网格员账户。", status=400, field="worker_id")
    grid = Grid(
        committee=committee,
        name=data["name"].strip(),
        area=data.get("area", "").strip(),
        worker=worker,
    )
    db.session.add(grid)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise WorkflowError("该调委会已有同名网格。", status=400, field="name") from None
    changes = {"网格": ["", grid.name], "网格员": ["", worker.name if worker else ""]}
    summary = f"新建网格 {committee.name} {grid.name}"
    record_admin_event(actor, "create_grid", f"grid:{grid.id}", summary, changes)
    db.session.commit()
    return grid


# --- The grid worker's 排查 ---------------------------------------------------------------


def _own_grid(user: User, grid_id: int | None) -> Grid:
    if not access.can_file_grid_reports(user):
        raise WorkflowError("只有网格员可以上报排查情况。", status=403)
    grid = db.session.get(Grid, grid_id) if grid_id else None
    if grid is None or grid.worker_id != user.id or not grid.active:
        raise WorkflowError("请选择您负责的网格。", status=400, field="grid_id")
    return grid


def file_report(user: User, data: dict[str, Any], photos: list[FileStorage]) -> GridReport:
    """A dispute found on 排查: place, parties if known, category, summary, risk, photos."""
    grid = _own_grid(user, data.get("grid_id"))
    photos = [p for p in photos if p and p.filename]
    if len(photos) > MAX_PHOTOS:
        raise WorkflowError(f"照片最多{MAX_PHOTOS}张。", status=400, field="photos")
    stored = []
    for upload in photos:
        try:
            stored.append(store_upload(upload))
        except WorkflowError as refused:
            raise WorkflowError(refused.message, status=400, field="photos") from None
    report = GridReport(
        grid=grid,
        reporter_id=user.id,
        kind=GridReportKind.REPORT,
        week=week_of(local_today()),
        place=data["place"].strip(),
        parties=(data.get("parties") or "").strip(),
        category=Category(data["category"]) if data.get("category") else None,
        summary=data["summary"].strip(),
        risk_level=RiskLevel(data.get("risk_level") or "low"),
    )
    for s in stored:
        report.photos.append(
            GridPhoto(
                original_name=s.name, content_type=s.content_type, size=s.size, sha256=s.sha256
            )
        )
    db.session.add(report)
    db.session.commit()
    return report


def zero_weeks(today: date | None = None) -> list[date]:
    """The weeks a 零上报 may be filed for now: this week first."""
    this = week_of(today or local_today())
    return [this - timedelta(weeks=n) for n in range(ZERO_WEEKS_BACK + 1)]


def file_zero_report(user: User, grid_id: int | None, week: date) -> GridReport:
    """零上报: the grid was walked in the week and no dispute was found. Once per grid and
    week, and not for a week in which a dispute was reported."""
    grid = _own_grid(user, grid_id)
    if week not in zero_weeks():
        raise WorkflowError("零上报只能报本周或上周。", status=400, field="week")
    existing = db.session.scalars(
        select(GridReport.kind).where(GridReport.grid_id == grid.id, GridReport.week == week)
    ).all()
    if GridReportKind.ZERO in existing:
        raise WorkflowError(
            f"{grid.name}{week_label(week)}已经零上报过了。", status=400, field="week"
        )
    if GridReportKind.REPORT in existing:
        raise WorkflowError(
            f"{grid.name}{week_label(week)}已上报了纠纷，不能再报“未发现纠纷”。",
            status=400,
            field="week",
        )
    report = GridReport(grid=grid, reporter_id=user.id, kind=GridReportKind.ZERO, week=week)
    db.session.add(report)
    try:
        db.session.commit()
    except IntegrityError:  # the same 零上报 sent twice at once
        db.session.rollback()
        raise WorkflowError(
            f"{grid.name}{week_label(week)}已经零上报过了。", status=400, field="week"
        ) from None
    return report


# --- The committee's decision --------------------------------------------------------------


def _deciding(user: User, report: GridReport, version: int | None) -> None:
    if not access.can_decide_grid_report(user, report):
        raise WorkflowError("只有本调委会主任可以处理网格员的上报。", status=403)
    if report.kind != GridReportKind.REPORT:
        raise WorkflowError("零上报不需要处理。", status=400)
    if report.outcome != GridReportOutcome.PENDING:
        raise WorkflowError(f"这条上报已经处理（{report.outcome.label}）。", status=409)
    if version is not None and report.version != version:
        raise WorkflowError("您打开本页后，这条上报已被处理或修改，请查看最新情况。", status=409)


def resolve_locally(
    user: User, report: GridReport, note: str, version: int | None = None
) -> GridReport:
    """就地化解 (小事一格解决): the dispute was settled in the grid; the note says how."""
    _deciding(user, report, version)
    if not (note or "").strip():
        raise WorkflowError("请写明如何就地化解的。", status=400, field="note")
    report.outcome_note = note.strip()
    _decide(user, report, GridReportOutcome.RESOLVED)
    db.session.commit()
    return report


def _decide(user: User, report: GridReport, outcome: GridReportOutcome) -> None:
    """Write the decision now (the versioned row refuses a second decision made at the same
    time): the case a report becomes is registered only after its decision holds."""
    report.outcome = outcome
    report.handled_by_id, report.handled_at = user.id, utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError("这条上报刚被其他人处理，请查看最新情况。", status=409) from None


def report_case_fields(report: GridReport) -> dict[str, Any]:
    """A report's facts as the case's intake fields; its place is the case's 纠纷发生地."""
    return {
        "category": report.category or Category.OTHER,
        "source": Source.GRID_REPORT,
        "source_detail": f"{report.grid.name} {report.reporter.name}",
        "dispute_place": report.place or "",
        "summary": report.summary,
        "request": "（网格员上报，待向当事人了解）",
        "risk_level": report.risk_level,
    }


def open_case(
    user: User, report: GridReport, applicant: str, respondent: str, version: int | None = None
) -> GridReport:
    """转为案件: the report becomes a case of the committee (申请, source 网格员排查上报),
    registered by the director through the one register_case, then accepted or declined
    as any other."""
    _deciding(user, report, version)
    if not (applicant or "").strip():
        raise WorkflowError(
            "请填写申请人（向调委会反映纠纷的一方）的姓名。", status=400, field="applicant"
        )
    if not (respondent or "").strip():
        raise WorkflowError("请填写被申请人的姓名。", status=400, field="respondent")
    parties = [
        {"role": PartyRole.APPLICANT, "kind": PartyKind.PERSON, "name": applicant.strip()},
        {"role": PartyRole.RESPONDENT, "kind": PartyKind.PERSON, "name": respondent.strip()},
    ]
    _decide(user, report, GridReportOutcome.CASE)
    try:  # register_case commits the decision with the case
        case = register_case(user, report_case_fields(report), parties)
    except WorkflowError:
        db.session.rollback()
        raise
    for photo in report.photos:  # the same stored file, now also the case's evidence
        case.attachments.append(
            Attachment(
                case_id=case.id,
                kind=AttachmentKind.PHOTO,
                original_name=photo.original_name,
                content_type=photo.content_type,
                size=photo.size,
                sha256=photo.sha256,
                uploaded_by_id=report.reporter_id,
            )
        )
    report.case = case
    origin = {"网格员上报": ["", f"{report.grid.name} 第{report.id}号上报"]}
    record_event(case, user, EventKind.EDITED, details={"changes": origin})
    db.session.commit()
    return report


# --- Who reported what, and when ------------------------------------------------------------


@dataclass
class MatrixRow:
    grid: Grid
    cells: list[tuple[str, int]] = field(default_factory=list)  # ("report"|"zero"|"none", n)


def matrix(user: User, weeks: int = MATRIX_WEEKS, today: date | None = None):
    """Grid × week: for each grid in the user's scope and each of the last `weeks` weeks
    (newest first), whether disputes were reported (and how many), nothing was found
    (零上报), or nothing was reported at all ("before": the grid did not exist yet)."""
    last = week_of(today or local_today())
    columns = [last - timedelta(weeks=n) for n in range(weeks)]  # newest first
    grids = db.session.scalars(access.grids_visible_to(user).where(Grid.active)).all()
    found: dict[tuple[int, date], list[GridReportKind]] = defaultdict(list)
    if grids:
        rows = db.session.execute(
            select(GridReport.grid_id, GridReport.week, GridReport.kind).where(
                GridReport.grid_id.in_([g.id for g in grids]), GridReport.week >= columns[-1]
            )
        )
        for grid_id, week, kind in rows:
            found[(grid_id, week)].append(kind)
    table = []
    for grid in grids:
        row = MatrixRow(grid)
        since = week_of(grid.created_at.astimezone(LOCAL_TZ).date())
        for week in columns:
            kinds = found.get((grid.id, week), [])
            reports = kinds.count(GridReportKind.REPORT)
            if not kinds and week < since:
                row.cells.append(("before", 0))  # the grid was not set up yet
                continue
            row.cells.append(
                ("report", reports) if reports else ("zero", 0) if kinds else ("none", 0)
            )
        table.append(row)
    return columns, table


@dataclass
class ScreeningCount:
    worker: str
    grid: str
    committee: str
    reports: int = 0
    zero: int = 0
    cases: int = 0
    resolved: int = 0


def screening_counts(committee_ids: list[int], first: date, last: date) -> list[ScreeningCount]:
    """排查 per grid worker and grid filed in a period (by the Beijing date it was filed):
    disputes reported, 零上报, reports turned into cases, reports resolved on the spot."""
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    rows = db.session.scalars(
        select(GridReport)
        .join(Grid, GridReport.grid_id == Grid.id)
        .where(
            Grid.committee_id.in_(committee_ids),
            GridReport.created_at >= start.astimezone(UTC),
            GridReport.created_at < end.astimezone(UTC),
        )
    ).all()
    counts: dict[tuple[int, int], ScreeningCount] = {}
    for r in rows:
        blank = ScreeningCount(r.reporter.name, r.grid.name, r.grid.committee.name)
        c = counts.setdefault((r.reporter_id, r.grid_id), blank)
        if r.kind == GridReportKind.ZERO:
            c.zero += 1
            continue
        c.reports += 1
        c.cases += r.outcome == GridReportOutcome.CASE
        c.resolved += r.outcome == GridReportOutcome.RESOLVED
    return sorted(counts.values(), key=lambda c: (c.committee, c.grid, c.worker))
