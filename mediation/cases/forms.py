"""Intake (受理登记) and case action forms. Messages speak Chinese and sit next to their field."""

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from mediation.forms import BaseForm, EditForm, ListRow, SubForm, enum_choices
from mediation.models import (
    CaseStatus,
    Category,
    OtherAuthority,
    PartyKind,
    PartyRole,
    Publicity,
    RiskLevel,
    Sex,
    Source,
)
from mediation.models.base import Labelled, local_today
from mediation.models.case import CASE_LABELS
from mediation.models.party import PARTY_LABELS
from mediation.models.referral import REFERRAL_LABELS, REFERRED_SOURCES
from mediation.privacy import (
    id_birth_date,
    id_number_problem,
    id_sex,
    normalise_id_number,
    normalise_phone,
    phone_problem,
)

L = CASE_LABELS
P = PARTY_LABELS
R = REFERRAL_LABELS


def _enum_select(label: str, enum: type[Labelled], blank: str | None = None, **kw) -> SelectField:
    return SelectField(label, choices=enum_choices(enum, blank), **kw)


def _enum(enum: type[Labelled], value: str | None):
    return enum(value) if value else None


def _when_referred(message: str):
    """Optional(), except that a referred case's form needs the field."""

    def check(form, field):
        if not (field.raw_data and str(field.raw_data[0]).strip()):
            field.errors[:] = []
            raise StopValidation(message if form._referred() else None)

    return check


class PartyForm(ListRow):
    """One party. A plain Form: it lives inside the case form, which carries the CSRF token;
    its id (or, for a party not saved yet, its key) tells a merge which party it is."""

    role = _enum_select(P["role"], PartyRole)
    kind = _enum_select(P["kind"], PartyKind)
    name = StringField(
        P["name"], validators=[DataRequired("请填写当事人姓名或名称。"), Length(max=100)]
    )
    sex = _enum_select(P["sex"], Sex, blank="—", validators=[Optional()])
    ethnicity = StringField(P["ethnicity"], validators=[Length(max=20)], default="汉族")
    birth_date = DateField(P["birth_date"], validators=[Optional()])
    age = IntegerField(
        P["age"], validators=[Optional(), NumberRange(0, 130, "年龄应在0到130之间。")]
    )
    id_number = StringField(P["id_number"], filters=[lambda v: normalise_id_number(v or "")])
    occupation = StringField(P["occupation"], validators=[Length(max=50)])
    address = StringField(P["address"], validators=[Length(max=200)])
    district = StringField(P["district"], validators=[Length(max=100)])
    phone = StringField(P["phone"], filters=[lambda v: normalise_phone(v or "")])
    legal_representative = StringField(P["legal_representative"], validators=[Length(max=50)])

    def validate_id_number(self, field):
        if field.data and self.kind.data == PartyKind.PERSON:
            problem = id_number_problem(field.data)
            if problem:
                raise ValidationError(problem)

    def validate_phone(self, field):
        if field.data:
            problem = phone_problem(field.data)
            if problem:
                raise ValidationError(problem)

    def validate_legal_representative(self, field):
        if self.kind.data == PartyKind.ORGANISATION and not (field.data or "").strip():
            raise ValidationError("法人或其他组织须填写法定代表人或主要负责人。")

    def _valid_id_number(self) -> str | None:
        id_number = self.id_number.data
        if self.kind.data == PartyKind.PERSON and id_number and not id_number_problem(id_number):
            return id_number
        return None

    def validate_sex(self, field):
        id_number = self._valid_id_number()
        if field.data and id_number and id_sex(id_number) != field.data:
            raise ValidationError("性别与公民身份号码不一致，请核对。")

    def validate_birth_date(self, field):
        if field.data and field.data > local_today():
            raise ValidationError("出生日期不能晚于今天。")
        id_number = self._valid_id_number()
        if field.data and id_number and id_birth_date(id_number) != field.data:
            raise ValidationError("出生日期与公民身份号码不一致，请核对。")

    def to_dict(self) -> dict[str, Any]:
        person = self.kind.data == PartyKind.PERSON
        id_number = self.id_number.data or ""
        return {
            "id": int(self.id.data) if (self.id.data or "").isdigit() else None,
            "role": PartyRole(self.role.data),
            "kind": PartyKind(self.kind.data),
            "name": self.name.data.strip(),
            "sex": _enum(Sex, self.sex.data) if person else None,
            "ethnicity": (self.ethnicity.data or "").strip() if person else "",
            "birth_date": self.birth_date.data if person else None,
            "age": self.age.data if person else None,
            "id_number": id_number if person else "",
            "occupation": (self.occupation.data or "").strip(),
            "address": (self.address.data or "").strip(),
            "district": (self.district.data or "").strip(),
            "phone": self.phone.data or "",
            "legal_representative": ""
            if person
            else (self.legal_representative.data or "").strip(),
        }


class CaseForm(EditForm):
    category = _enum_select(L["category"], Category, blank="请选择", validators=[
        InputRequired("请选择纠纷类型。")])  # fmt: skip
    source = _enum_select(L["source"], Source)
    # A referred case's referral (models/referral.py): the body, its number, the dates.
    source_detail = StringField(R["body_name"], validators=[Length(max=100)])
    reference_number = StringField(R["reference_number"], validators=[Length(max=60)])
    referred_on = DateField(R["referred_on"], validators=[
        _when_referred("委派、移交的案件请填写委派、移交日期。")])  # fmt: skip
    feedback_due = DateField(R["feedback_due"], validators=[Optional()])
    registered_on = DateField(L["registered_on"], validators=[InputRequired("请填写登记日期。")])
    dispute_place = StringField(L["dispute_place"], validators=[Length(max=200)])
    summary = TextAreaField(
        L["summary"], validators=[DataRequired("请填写纠纷简要情况。"), Length(max=5000)]
    )
    request = TextAreaField(
        L["request"], validators=[DataRequired("请填写当事人申请事项。"), Length(max=3000)]
    )
    risk_level = _enum_select(L["risk_level"], RiskLevel)
    is_group = BooleanField(L["is_group"])
    involves_key_person = BooleanField(L["involves_key_person"])
    may_escalate = BooleanField(L["may_escalate"])
    is_major = BooleanField(L["is_major"])
    other_authority = _enum_select(L["other_authority"], OtherAuthority)
    parties = FieldList(FormField(PartyForm), "当事人", min_entries=2)

    def validate_registered_on(self, field):
        if field.data and field.data > local_today():
            raise ValidationError("登记日期不能晚于今天。")

    def validate_category(self, field):
        if not field.data:
            raise ValidationError("请选择纠纷类型。")

    def _referred(self) -> bool:
        return "source" in self and self.source.data in REFERRED_SOURCES

    def validate_source_detail(self, field):
        if self._referred() and not (field.data or "").strip():
            raise ValidationError("委派、移交的案件请填写移交单位名称。")

    def validate_reference_number(self, field):
        if self._referred() and not (field.data or "").strip():
            raise ValidationError("委派、移交的案件请填写对方的文号或案号。")

    def validate_referred_on(self, field):
        if field.data and field.data > local_today():
            raise ValidationError("委派、移交日期不能晚于今天。")

    def validate_feedback_due(self, field):
        start = self.referred_on.data
        if self._referred() and field.data and start and field.data < start:
            raise ValidationError("反馈期限不能早于委派、移交日期。")

    def referral_dict(self) -> dict[str, Any] | None:
        """The referral for cases.service (None unless the source is a referral)."""
        if not self._referred():
            return None
        return {
            "body_name": self.source_detail.data or "",
            "reference_number": self.reference_number.data or "",
            "referred_on": self.referred_on.data,
            "feedback_due": self.feedback_due.data,
        }

    def case_fields(self) -> dict[str, Any]:
        source = {"source": Source(self.source.data)} if "source" in self else {}
        return source | {
            "category": Category(self.category.data),
            "source_detail": (self.source_detail.data or "").strip(),
            "registered_on": self.registered_on.data,
            "dispute_place": (self.dispute_place.data or "").strip(),
            "summary": self.summary.data.strip(),
            "request": self.request.data.strip(),
            "risk_level": RiskLevel(self.risk_level.data),
            "is_group": self.is_group.data,
            "involves_key_person": self.involves_key_person.data,
            "may_escalate": self.may_escalate.data,
            "is_major": self.is_major.data,
            "other_authority": OtherAuthority(self.other_authority.data),
        }

    def party_dicts(self) -> list[dict[str, Any]]:
        return [entry.form.to_dict() for entry in self.parties]

    def parties_seen(self) -> set[int]:
        """The saved parties this form was opened with: the only ones its save may remove."""
        return self.base_row_ids("parties")


class RightsNoticeForm(BaseForm):
    """受理前告知 (rule 15): the acknowledged rights notice, public or private mediation, and
    for 主动调解 the parties' consent."""

    acknowledged = BooleanField("已向各方当事人送达《人民调解权利义务告知书》，当事人已签收确认")
    publicity = _enum_select("调解方式", Publicity, blank="请选择")
    consent = TextAreaField("当事人同意主动调解的情况", validators=[Length(max=2000)])


class ActionForm(BaseForm):
    reason = TextAreaField("原因", validators=[Length(max=3000)])
    route = TextAreaField("途径", validators=[Length(max=3000)])


class RefusalForm(BaseForm):
    party_id = SelectField("拒绝调解的当事人", coerce=int, validate_choice=False)
    note = TextAreaField("拒绝调解的情况", validators=[Length(max=3000)])


class AssignForm(BaseForm):
    mediator_id = SelectField("调解员", coerce=int, validate_choice=False)
    lead = BooleanField("主办调解员")
    chosen_by_parties = BooleanField("由当事人选定")


class FilterForm(SubForm):
    """The case list's filters, read from the query string (GET, so no CSRF token)."""

    q = StringField("案号或当事人")
    status = _enum_select("状态", CaseStatus, blank="全部状态", validators=[Optional()])
    category = _enum_select("纠纷类型", Category, blank="全部类型", validators=[Optional()])
    source = _enum_select("来源", Source, blank="全部来源", validators=[Optional()])
    date_from = DateField("登记日期自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])
    overdue = BooleanField("仅看超期")
    mine = BooleanField("仅看我承办的")
    # Set by the links of the statistics and the early-warning pages, so that a figure's link
    # lists exactly the cases it counts (mediation/reports/service.py says what each counts).
    org = IntegerField("单位", validators=[Optional()])
    accepted_from = DateField("受理日期自", validators=[Optional()])
    accepted_to = DateField("受理日期至", validators=[Optional()])
    agreed_from = DateField("首次达成协议日期自", validators=[Optional()])
    agreed_to = DateField("首次达成协议日期至", validators=[Optional()])

    STATISTICS_FIELDS = ("org", "accepted_from", "accepted_to", "agreed_from", "agreed_to")
