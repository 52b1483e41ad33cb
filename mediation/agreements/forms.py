"""Forms for the agreement, follow-up, court confirmation, deadline and archive steps."""

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from mediation.agreements.service import CONSENT_MANNERS
from mediation.forms import BaseForm, EditForm, SubForm, choices, enum_choices
from mediation.models import AgreementKind, ConfirmationResult, Performance, Satisfaction


class TermForm(SubForm):
    """One agreed obligation; a plain Form inside the agreement form (which has the CSRF)."""

    obligor = StringField("义务人", validators=[Length(max=100)])
    obligee = StringField("权利人", validators=[Length(max=100)])
    content = TextAreaField("协议内容", validators=[Length(max=2000)])
    amount = StringField("金额（元）", validators=[Length(max=20)])
    manner = StringField("履行方式", validators=[Length(max=200)])
    deadline = DateField("履行期限", validators=[Optional()])
    place = StringField("履行地点", validators=[Length(max=200)])

    def validate_amount(self, field):
        if field.data and self.amount_value() is None:
            raise ValidationError("请填写金额数字，如 3000 或 3000.50。")

    def amount_value(self) -> Decimal | None:
        raw = (self.amount.data or "").replace(",", "").replace("，", "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        return value.quantize(Decimal("0.01")) if value.is_finite() else None

    def is_blank(self) -> bool:
        return (
            not any(
                (self[name].data or "")
                for name in ("obligor", "obligee", "content", "amount", "manner", "place")
            )
            and not self.deadline.data
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "obligor": (self.obligor.data or "").strip(),
            "obligee": (self.obligee.data or "").strip(),
            "content": (self.content.data or "").strip(),
            "amount": self.amount_value(),
            "manner": (self.manner.data or "").strip(),
            "deadline": self.deadline.data,
            "place": (self.place.data or "").strip(),
        }


class AgreementForm(BaseForm):
    kind = SelectField("协议形式", choices=enum_choices(AgreementKind))
    facts = TextAreaField("纠纷的主要事实", validators=[Length(max=5000)])
    disputed_points = TextAreaField("争议事项", validators=[Length(max=3000)])
    responsibility = TextAreaField("各方当事人的责任", validators=[Length(max=3000)])
    oral_content = TextAreaField("口头协议内容（调解员记录）", validators=[Length(max=5000)])
    agents = TextAreaField("代理人（如有）", validators=[Length(max=1000)])
    terms = FieldList(FormField(TermForm), min_entries=1)

    def fields_dict(self) -> dict[str, str]:
        return {k: self[k].data or "" for k in ("facts", "disputed_points", "responsibility",
                                                 "oral_content", "agents")}  # fmt: skip

    def term_dicts(self) -> list[dict[str, Any]]:
        return [e.form.to_dict() for e in self.terms if not e.form.is_blank()]


class SignedForm(BaseForm):
    file = FileField("签字盖章后的协议书扫描件（PDF、JPEG 或 PNG）")
    checked = BooleanField(
        "我已核对：各方当事人均已签名、盖章或按指印，调解员已签名，已加盖调委会印章"
    )


class PerformanceForm(SubForm):
    term_id = HiddenField()
    # An unanswered term is named by the service ("请填写第2项…"), not as a bad choice here.
    status = SelectField(
        "履行情况", choices=enum_choices(Performance, "请选择"), validate_choice=False
    )
    note = StringField("说明", validators=[Length(max=500)])


class FollowUpForm(BaseForm):
    visited_on = DateField("回访日期", validators=[InputRequired("请填写回访日期。")])
    visited = StringField(
        "回访对象", validators=[DataRequired("请填写回访了哪些当事人。"), Length(max=200)]
    )
    satisfaction = SelectField(
        "当事人满意度", choices=enum_choices(Satisfaction, "请选择"),
        validators=[DataRequired("请选择当事人满意度。")],
    )  # fmt: skip
    reason = StringField("回访事由", validators=[Length(max=200)])
    opinions = TextAreaField("当事人意见及回访情况", validators=[Length(max=3000)])
    risks = TextAreaField("发现的纠纷隐患或风险", validators=[Length(max=3000)])
    measures = TextAreaField("采取的措施", validators=[Length(max=3000)])
    performances = FieldList(FormField(PerformanceForm))

    def performance_map(self) -> dict[int, tuple[Performance, str]]:
        found = {}
        for entry in self.performances:
            form = entry.form
            known = form.status.data in {p.value for p in Performance}
            if (form.term_id.data or "").isdigit() and known:
                found[int(form.term_id.data)] = (Performance(form.status.data),
                                                 (form.note.data or "").strip())  # fmt: skip
        return found


class NoteForm(BaseForm):
    note = TextAreaField("告知当事人的内容", validators=[Length(max=3000)])


class ConfirmationForm(BaseForm):
    applied_on = DateField("申请日期", validators=[InputRequired("请填写申请日期。")])
    court = StringField("受理的人民法院", validators=[Length(max=100)])


class ConfirmationResultForm(EditForm):
    """One pending confirmation's result; `version` is that confirmation's (the page draws
    one form per pending confirmation)."""

    result = SelectField("裁定结果", choices=enum_choices(ConfirmationResult))
    decided_on = DateField("裁定日期", validators=[InputRequired("请填写裁定日期。")])
    reference = StringField("裁定书文号", validators=[Length(max=100)])


class ExtensionForm(BaseForm):
    days = IntegerField(
        "延长天数",
        default=15,
        validators=[
            InputRequired("请填写延长天数。"),
            NumberRange(1, 30, "延长天数应在1到30天之间。"),
        ],
    )
    reason = TextAreaField("延长理由", validators=[Length(max=1000)])
    # The choices are the case's parties (agreements.views.extension_form).
    consenting = SelectMultipleField(
        "同意延长的当事人",
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    manner = SelectField(
        "同意方式", choices=choices(((m, m) for m in CONSENT_MANNERS), blank="请选择"), default=""
    )


class ReminderForm(BaseForm):
    message = TextAreaField("催办内容", validators=[Length(max=1000)])


class AddendumForm(BaseForm):
    text = TextAreaField("补充说明", validators=[Length(max=5000)])
