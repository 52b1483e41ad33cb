"""Who may see and do what. The only module that knows the organisation tree's scope rules.

Every case query starts from cases_visible_to(user); a case out of scope is answered with 404.
"""

from flask import abort
from sqlalchemy import Select, select

from mediation.extensions import db
from mediation.models import Case, CaseMediator, CaseStatus, Org, OrgKind, Role, User

# Who may fire a workflow action, as named in workflow.ACTIONS.
COMMITTEE = "committee"  # the committee's director or any of its mediators
HANDLER = "handler"  # the director, or a mediator assigned to the case
DIRECTOR = "director"  # the committee's director only


def committees_in_scope(user: User) -> Select:
    """Ids of the committees below (or equal to) the user's place in the tree."""
    return select(Org.id).where(Org.kind == OrgKind.COMMITTEE, Org.path.like(f"{user.org.path}%"))


def cases_visible_to(user: User) -> Select:
    """The query every case page, export and search starts from."""
    query = select(Case)
    if user.role in (Role.DIRECTOR, Role.MEDIATOR):
        return query.where(Case.committee_id == user.org_id)
    if user.role == Role.GRID:
        return query.where(Case.registered_by_id == user.id)
    if user.role == Role.AUDITOR:
        return query.where(Case.committee_id.in_(committees_in_scope(user)))
    # Administrators manage accounts and committees, not the parties' personal data.
    return query.where(False)


def case_or_404(user: User, case_id: int) -> Case:
    case = db.session.scalar(cases_visible_to(user).where(Case.id == case_id))
    if case is None:
        abort(404)
    return case


def can_see_case_lists(user: User) -> bool:
    return user.role != Role.ADMIN


def is_member(user: User, case: Case) -> bool:
    return user.org_id == case.committee_id and user.role in (Role.DIRECTOR, Role.MEDIATOR)


def is_assigned(user: User, case: Case) -> bool:
    return any(m.user_id == user.id for m in case.active_mediators)


def may(user: User, case: Case, who: str) -> bool:
    """Whether the user belongs to the group `who` for this case (see the constants above)."""
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


def can_register(user: User) -> bool:
    return user.role in (Role.DIRECTOR, Role.MEDIATOR, Role.GRID)


def can_assign(user: User, case: Case) -> bool:
    return user.role == Role.DIRECTOR and user.org_id == case.committee_id


def assignable_mediators(case: Case) -> list[User]:
    return list(
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


def assigned_case_ids(user: User) -> Select:
    return select(CaseMediator.case_id).where(
        CaseMediator.user_id == user.id, CaseMediator.removed_at.is_(None)
    )


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN
