"""Who may see and do what. The only module that knows the organisation tree's scope rules.

Every case query starts from cases_visible_to(user); a case out of scope is answered with 404.
"""

from dataclasses import dataclass

from flask import abort, g, has_request_context, request
from sqlalchemy import Select, or_, select, union
from sqlalchemy.orm import aliased

from mediation.extensions import db
from mediation.models import (
    ApiClient,
    ApiReferral,
    Appointment,
    Case,
    CaseMediator,
    CaseStatus,
    DeskEntry,
    Grid,
    GridReport,
    JointCommittee,
    Org,
    OrgKind,
    Role,
    Transfer,
    TransferStatus,
    User,
)
from mediation.models.base import ROW_ID_MAX

# Who may fire a workflow action, as named in workflow.ACTIONS.
COMMITTEE = "committee"  # the committee's director or any of its mediators
HANDLER = "handler"  # the director, or a mediator assigned to the case
DIRECTOR = "director"  # the committee's director only


def committees_in_scope(user: User) -> Select:
    """Ids of the committees below (or equal to) the user's place in the tree."""
    return committees_under(user.org).with_only_columns(Org.id)


def committees_under(unit: Org) -> Select:
    """The committees at or below a unit of the tree."""
    return select(Org).where(Org.kind == OrgKind.COMMITTEE, Org.path.like(f"{unit.path}%"))


def committees_in_unit(unit: Org) -> Select:
    """Ids of the committees at or below a unit."""
    return committees_under(unit).with_only_columns(Org.id)


def cases_visible_to(user: User) -> Select:
    """The query every case page, export and search starts from."""
    query = select(Case)
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        # Jointly accepted cases are worked by both committees (rule 3).
        sets = [
            select(Case.id).where(Case.committee_id == user.org_id),
            select(JointCommittee.case_id).where(JointCommittee.committee_id == user.org_id),
        ]
        if user.role == Role.DIRECTOR:
            # A case offered by a pending transfer is shown to the receiving director, who
            # decides on it; its mediators (and their lists) get it only once it is accepted:
            # until then the parties' data is not theirs to read.
            sets.append(offered_case_ids(user))
        # One set of ids, the UNION of the three: each part uses its own index, where the
        # same filter written with OR scans every case (86 ms against 1.7 ms at 1,000,000).
        return query.where(Case.id.in_(union(*sets)))
    if user.role == Role.GRID:
        return query.where(Case.registered_by_id == user.id)
    if user.role == Role.AUDITOR:
        # Correlated EXISTS rather than `committee_id IN (…) OR id IN (…)`: PostgreSQL then
        # checks only the rows a page or a search reaches (0.2 ms for a county's first page,
        # 22 ms for a name search at 1,000,000 cases), where the OR of two hashed sets made
        # the search hash-join every case (2.2 s). Aliases: never correlated to a caller's orgs.
        prefix = f"{user.org.path}%"
        owner = aliased(Org)
        joint_owner = aliased(Org)
        owned = (
            select(owner.id)
            .where(
                owner.id == Case.committee_id,
                owner.kind == OrgKind.COMMITTEE,
                owner.path.like(prefix),
            )
            .correlate(Case)
            .exists()
        )
        joint = (
            select(JointCommittee.id)
            .join(joint_owner, joint_owner.id == JointCommittee.committee_id)
            .where(
                JointCommittee.case_id == Case.id,
                joint_owner.kind == OrgKind.COMMITTEE,
                joint_owner.path.like(prefix),
            )
            .correlate(Case)
            .exists()
        )
        return query.where(or_(owned, joint))
    # Administrators manage accounts and committees, not the parties' personal data.
    return query.where(False)


def offered_case_ids(user: User) -> Select:
    """Cases a pending transfer offers to the user's committee (its director decides)."""
    return select(Transfer.case_id).where(
        Transfer.to_committee_id == user.org_id, Transfer.status == TransferStatus.PENDING
    )


def cases_worked_by(user: User) -> Select:
    """The cases a director or mediator works (我的待办): those in scope, without the ones a
    pending transfer only offers to the director for a decision."""
    return cases_visible_to(user).where(Case.id.not_in(offered_case_ids(user)))


def _request_memo(name: str) -> dict | None:
    """A dict kept for the current request only (None outside one): a case URL is checked
    for scope before routing and again by its view and panels, with the same answer."""
    return g.setdefault(name, {}) if has_request_context() else None


def _scoped(user: User, case_id: int) -> Case | None:
    """The case if the user's scope holds it, else None; asked once per request and case."""
    if not 0 < case_id <= ROW_ID_MAX:  # a number from a URL no row can have: none
        return None
    seen = _request_memo("_in_scope")
    key = (user.id, case_id)
    if seen is not None and key in seen:
        return seen[key]  # the object itself: the session only keeps it weakly
    case = db.session.scalar(cases_visible_to(user).where(Case.id == case_id))
    if seen is not None:
        seen[key] = case
    return case


def case_or_404(user: User, case_id: int) -> Case:
    case = _scoped(user, case_id)
    if case is None:
        _log_refusal(user, case_id)
        abort(404)
    return case


def _log_refusal(user: User, case_id: int) -> None:
    """A case URL answered 404 goes to the security log (someone probing for cases), in a
    transaction of its own so the 404 does not undo it."""
    from mediation.audit.security import log_now

    detail = {"请求": f"{request.method} {request.path}"} if has_request_context() else {}
    log_now("case_refused", user=user, target=f"case:{case_id}", detail=detail)


def in_scope(user: User, case: Case) -> bool:
    return _scoped(user, case.id) is not None


def can_see_case_lists(user: User) -> bool:
    return user.role != Role.ADMIN


def is_member(user: User, case: Case) -> bool:
    """Director or mediator of the case's committee, or of a committee accepting it jointly.
    The receiving director of a pending transfer only looks: not a member yet."""
    if user.role not in (Role.DIRECTOR, Role.MEDIATOR):
        return False
    return user.org_id == case.committee_id or any(
        j.committee_id == user.org_id for j in case.joint_committees
    )


def is_assigned(user: User, case: Case) -> bool:
    return any(m.user_id == user.id for m in case.active_mediators)


def may(user: User, case: Case, who: str) -> bool:
    """Whether the user belongs to the group `who` for this case (see the constants above)."""
    if who == DIRECTOR:
        # The owning committee's director only: a joint committee works the case but does
        # not close, archive or extend it.
        return user.role == Role.DIRECTOR and user.org_id == case.committee_id
    if not is_member(user, case):
        return False
    if user.role == Role.DIRECTOR:
        return True
    if who == COMMITTEE:
        return True
    if who == HANDLER:
        # Nobody is assigned before acceptance: until then the committee handles it.
        return case.status == CaseStatus.SUBMITTED or is_assigned(user, case)
    return False


def can_edit(user: User, case: Case) -> bool:
    """Editing the intake data: the handlers, or anyone of the committee before acceptance,
    or the grid worker who reported it while it still waits."""
    if case.status == CaseStatus.SUBMITTED:
        if user.role == Role.GRID:
            return case.registered_by_id == user.id
        return may(user, case, COMMITTEE)
    if case.status in (CaseStatus.ACCEPTED, CaseStatus.MEDIATING):
        return may(user, case, HANDLER)
    return False


def can_see_personal_data(user: User, case: Case) -> bool:
    """Unmasked ID numbers and phones are for those working the case (DOMAIN §6)."""
    if user.role == Role.GRID:
        return case.registered_by_id == user.id and case.status == CaseStatus.SUBMITTED
    return may(user, case, HANDLER) or (
        case.status == CaseStatus.SUBMITTED and may(user, case, COMMITTEE)
    )


def can_read_files(user: User, case: Case) -> bool:
    """Stored files (uploads, generated documents) carry full ID numbers and phones: only the
    case's handlers and the auditors whose scope holds it may fetch them."""
    if user.role == Role.AUDITOR:
        return in_scope(user, case)
    return may(user, case, HANDLER)


def can_register(user: User) -> bool:
    # CHANNEL: a committee's online-application account (channels.service), never signed in.
    return user.role in (Role.DIRECTOR, Role.MEDIATOR, Role.GRID, Role.CHANNEL)


def can_assign(user: User, case: Case) -> bool:
    return may(user, case, DIRECTOR)


def assignable_mediators(case: Case) -> list[User]:
    """The committee's active mediators and director (asked by several panels of a page)."""
    memo = _request_memo("_assignable")
    if memo is not None and case.committee_id in memo:
        return memo[case.committee_id]
    found = list(
        db.session.scalars(
            select(User)
            .where(
                User.org_id == case.committee_id,
                User.role.in_([Role.MEDIATOR, Role.DIRECTOR]),
                User.active.is_(True),
            )
            .order_by(User.name)
        )
    )
    if memo is not None:
        memo[case.committee_id] = found
    return found


def assigned_case_ids(user: User) -> Select:
    return select(CaseMediator.case_id).where(
        CaseMediator.user_id == user.id, CaseMediator.removed_at.is_(None)
    )


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def works_cases(user: User) -> bool:
    """Mediators and directors handle cases themselves: they have 我的待办 and "my cases"."""
    return user.role in (Role.MEDIATOR, Role.DIRECTOR)


def can_list_referrals(user: User) -> bool:
    """The referrals per referring body (协调 meetings): the committees' members and the
    auditors, each over the cases in their scope."""
    return user.role in (Role.DIRECTOR, Role.MEDIATOR, Role.AUDITOR)


def can_read_statistics(user: User) -> bool:
    """Directors read their committee's statistics; auditors their part of the tree."""
    return user.role in (Role.DIRECTOR, Role.AUDITOR)


def statistics_units(user: User) -> list[Org]:
    """The units whose statistics the user may read, in tree order: a director's committee;
    an auditor's own unit and every unit below it."""
    if user.role == Role.DIRECTOR:
        return [user.org]
    if user.role == Role.AUDITOR:
        memo = _request_memo("_statistics_units")
        if memo is not None and user.id in memo:
            return memo[user.id]
        units = list(db.session.scalars(
            select(Org).where(Org.path.like(f"{user.org.path}%")).order_by(Org.path)
        ))  # fmt: skip
        if memo is not None:
            memo[user.id] = units
        return units
    return []


# --- Case-file review (案卷评查) -----------------------------------------------------------


def can_review(user: User) -> bool:
    """Auditors review the closed files of their part of the tree."""
    return user.role == Role.AUDITOR


def may_see_review(user: User, case: Case) -> bool:
    """The auditors whose scope holds the case, and the committee that worked it."""
    if user.role == Role.AUDITOR:
        return in_scope(user, case)
    return is_member(user, case)


def may_answer_review(user: User, case: Case) -> bool:
    """A returned file is answered by those who may add to it: its handlers (the director,
    or a mediator assigned to it)."""
    return may(user, case, HANDLER)


def can_read_warnings(user: User) -> bool:
    """预警研判 is the justice office's view: auditors, over their part of the tree."""
    return user.role == Role.AUDITOR


def may_instruct(user: User, case: Case) -> bool:
    """督办: an auditor whose scope holds the case sends instructions to its committee."""
    return user.role == Role.AUDITOR and in_scope(user, case)


def may_answer_instruction(user: User, committee_id: int) -> bool:
    """The director of the committee an instruction was sent to answers it."""
    return user.role == Role.DIRECTOR and user.org_id == committee_id


# --- Grids (网格) and their 排查 reports -------------------------------------------------


def grids_visible_to(user: User) -> Select:
    """Grids a user may see: a grid worker their own; a committee's members its grids; an
    auditor those below their unit; an administrator all (to set them up)."""
    query = select(Grid).order_by(Grid.committee_id, Grid.name)
    if user.role == Role.GRID:
        return query.where(Grid.worker_id == user.id)
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        return query.where(Grid.committee_id == user.org_id)
    if user.role == Role.AUDITOR:
        return query.where(Grid.committee_id.in_(committees_in_scope(user)))
    if user.role == Role.ADMIN:
        return query
    return query.where(False)


def grid_reports_visible_to(user: User) -> Select:
    """A grid worker sees the reports they filed; a committee's members and auditors those of
    the grids in their scope. Administrators see none (they hold no case data)."""
    query = select(GridReport).join(Grid, GridReport.grid_id == Grid.id)
    if user.role == Role.GRID:
        return query.where(GridReport.reporter_id == user.id)
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        return query.where(Grid.committee_id == user.org_id)
    if user.role == Role.AUDITOR:
        return query.where(Grid.committee_id.in_(committees_in_scope(user)))
    return query.where(False)


def grid_report_or_404(user: User, report_id: int) -> GridReport:
    report = db.session.scalar(grid_reports_visible_to(user).where(GridReport.id == report_id))
    if report is None:
        abort(404)
    return report


def can_file_grid_reports(user: User) -> bool:
    return user.role == Role.GRID


def can_decide_grid_report(user: User, report: GridReport) -> bool:
    """Turning a report into a case or marking it 就地化解 is the committee director's."""
    return user.role == Role.DIRECTOR and report.grid.committee_id == user.org_id


def can_see_grid_matrix(user: User) -> bool:
    """Which grids reported (or reported nothing) in which week: directors and auditors."""
    return user.role in (Role.DIRECTOR, Role.AUDITOR)


def can_manage_grids(user: User) -> bool:
    return user.role == Role.ADMIN


# --- The justice office's window (受理窗口, dispatch) --------------------------------------


def can_use_desk(user: User) -> bool:
    """Staff of a 司法所 or the 司法局 register disputes brought to them and hand them on."""
    return user.role == Role.AUDITOR


def desk_entries_visible_to(user: User) -> Select:
    """A window's entries are its office's: every auditor of that office, nobody else (a
    committee sees a dispatched case on its own case page, not the office's list)."""
    query = select(DeskEntry)
    if not can_use_desk(user):
        return query.where(False)
    return query.where(DeskEntry.office_id == user.org_id)


def desk_entry_or_404(user: User, entry_id: int) -> DeskEntry:
    if not 0 < entry_id <= ROW_ID_MAX:
        abort(404)
    entry = db.session.scalar(desk_entries_visible_to(user).where(DeskEntry.id == entry_id))
    if entry is None:
        abort(404)
    return entry


def dispatch_committees(user: User) -> list[Org]:
    """The committees a window may dispatch to (交办): the active ones in the office's scope;
    the dispatcher then reads the case through their ordinary scope, never edits it."""
    if not can_use_desk(user):
        return []
    return list(db.session.scalars(committees_under(user.org).where(Org.active).order_by(Org.path)))


def may_draw_desk_reply(user: User, case: Case) -> bool:
    """The 办理结果答复书 of a dispatched case is drawn by the window that dispatched it."""
    desk = getattr(case, "desk_entry", None)
    return desk is not None and can_use_desk(user) and desk.office_id == user.org_id


# --- The hearing calendar (调解日程) ---------------------------------------------------------


def calendar_committees(user: User) -> list[Org]:
    """The committees whose calendar the user reads: a director's or mediator's own; an
    auditor's committees below their unit (read-only). Others none."""
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        return [user.org]
    if user.role == Role.AUDITOR:
        return list(db.session.scalars(committees_under(user.org).order_by(Org.path)))
    return []


def has_calendar(user: User) -> bool:
    """Whether calendar_committees(user) holds any (the navigation on every page asks): for
    an auditor the first one, not the hundreds of committees of a county."""
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        return True
    if user.role == Role.AUDITOR:
        return db.session.scalar(committees_in_unit(user.org).limit(1)) is not None
    return False


def calendar_committee_or_404(user: User, committee_id: int) -> Org:
    found = next((c for c in calendar_committees(user) if c.id == committee_id), None)
    if found is None:
        abort(404)
    return found


def appointments_visible_to(user: User) -> Select:
    """Appointments of the cases the user may see: every calendar query starts here."""
    visible = cases_visible_to(user).with_only_columns(Case.id)
    return select(Appointment).where(Appointment.case_id.in_(visible))


# --- API clients (courts, police, petition offices, departments, the province) -----------


def client_committees(client: ApiClient) -> Select:
    """Ids of the committees at or below the units granted to an API client."""
    paths = [unit.path for unit in client.units]
    if not paths:
        return select(Org.id).where(False)
    return select(Org.id).where(
        Org.kind == OrgKind.COMMITTEE, or_(*(Org.path.like(f"{p}%") for p in paths))
    )


def cases_referred_by(client: ApiClient) -> Select:
    """What an API client may read: the cases it referred, while their committee is still
    inside its grant. Nothing else, whatever it asks for."""
    referred = select(ApiReferral.case_id).where(
        ApiReferral.client_id == client.id, ApiReferral.case_id.is_not(None)
    )
    return select(Case).where(
        Case.id.in_(referred), Case.committee_id.in_(client_committees(client))
    )


def client_may_refer_to(client: ApiClient, committee: Org | None) -> bool:
    """A referring body reaches the active committees of its grant; the province refers
    nothing."""
    if committee is None or not committee.is_committee or not committee.active:
        return False
    if client.kind.source is None:
        return False
    return any(committee.path.startswith(unit.path) for unit in client.units)


@dataclass(frozen=True)
class StatisticsReader:
    """An API client reading the statistics of one granted unit, as the justice office's
    auditor of that unit reads them (reports.service.build_report asks statistics_units)."""

    client_id: int
    org: Org
    role: Role = Role.AUDITOR

    @property
    def id(self) -> str:
        return f"api-client:{self.client_id}"


def client_statistics_unit(client: ApiClient, org_id: int | None) -> StatisticsReader | None:
    """The reader for a unit inside the client's grant (its first unit when none is named),
    or None when the unit is outside it."""
    for granted in client.units:
        if org_id is None or org_id == granted.id:
            return StatisticsReader(client.id, granted)
        unit = db.session.get(Org, org_id)
        if unit is not None and unit.path.startswith(granted.path):
            return StatisticsReader(client.id, unit)
    return None
