"""The window's forms. The parties are the intake's own party rows (cases.forms.PartyForm),
with the same fields and checks; messages speak Chinese and sit next to their field."""

from typing import Any

from wtforms import DateField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from mediation.cases.forms import PartyForm
from mediation.dispatch.service import OUTSIDE_MANNERS, REPLY_MANNERS
from mediation.forms import BaseForm, choices, enum_choices
from mediation.models import Category, DeskSource, RiskLevel
from mediation.models.base import local_today
from mediation.models.dispatch import DESK_LABELS
from mediation.privacy import normalise_phone, phone_problem

L = DESK_LABELS


def _not_future(form, field):
    if field.data and field.data > local_today():
        raise ValidationError("日期不能晚于今天。")


class DeskForm(BaseForm):
    """受理窗口登记."""

    source = SelectField(L["source"], choices=enum_choices(DeskSource))
    source_name = StringField(
        L["source_name"],
        validators=[DataRequired("请填写来访人姓名或来文单位。"), Length(max=100)],
    )
    source_phone = StringField(L["source_phone"], filters=[lambda v: normalise_phone(v or "")])
    source_address = StringField(L["source_address"], validators=[Length(max=200)])
    registered_on = DateField(
        L["registered_on"], validators=[InputRequired("请填写登记日期。"), _not_future]
    )
    category = SelectField(
        L["category"],
        choices=enum_choices(Category, "请选择"),
        validators=[DataRequired("请选择纠纷类型。")],
    )
    dispute_place = StringField(
        L["dispute_place"],
        validators=[DataRequired("请填写纠纷发生地，用于确定交办的调委会。"), Length(max=200)],
    )
    risk_level = SelectField(L["risk_level"], choices=enum_choices(RiskLevel))
    summary = TextAreaField(
        L["summary"], validators=[DataRequired("请填写纠纷简要情况。"), Length(max=5000)]
    )
    request = TextAreaField(
        L["request"], validators=[DataRequired("请填写当事人的诉求。"), Length(max=3000)]
    )
    parties = FieldList(FormField(PartyForm), "当事人", min_entries=2)

    def validate_source_phone(self, field):
        if field.data:
            problem = phone_problem(field.data)
            if problem:
                raise ValidationError(problem)

    def entry_fields(self) -> dict[str, Any]:
        return {
            "source": DeskSource(self.source.data),
            "source_name": self.source_name.data.strip(),
            "source_phone": self.source_phone.data or "",
            "source_address": (self.source_address.data or "").strip(),
            "registered_on": self.registered_on.data,
            "category": Category(self.category.data),
            "dispute_place": self.dispute_place.data.strip(),
            "risk_level": RiskLevel(self.risk_level.data),
            "summary": self.summary.data.strip(),
            "request": self.request.data.strip(),
        }

    def party_dicts(self) -> list[dict[str, Any]]:
        return [entry.form.to_dict() for entry in self.parties]


class DispatchForm(BaseForm):
    """交办 to a committee of the window's scope."""

    committee_id = SelectField("承办的人民调解委员会", coerce=str, choices=[])
    due_on = DateField("办理期限", validators=[InputRequired("请填写办理期限。")])
    instructions = TextAreaField("交办意见", validators=[Length(max=2000)])


def _manners(values) -> list:
    return choices(((v, v) for v in values), "请选择")


class OutsideForm(BaseForm):
    """The dispute went to a body outside the system."""

    body = StringField("接收的机关或单位", validators=[Length(max=100)])
    on = DateField("转办日期", validators=[InputRequired("请填写转办日期。")])
    how = SelectField("转办方式", choices=_manners(OUTSIDE_MANNERS), validate_choice=False)


class OutsideAnswerForm(BaseForm):
    on = DateField("答复日期", validators=[InputRequired("请填写答复日期。")])
    text = TextAreaField("答复内容", validators=[Length(max=3000)])


class RemindForm(BaseForm):
    message = TextAreaField("催办内容", validators=[Length(max=1000)])


class ReplyForm(BaseForm):
    """并口回复."""

    on = DateField("答复日期", validators=[Optional()])
    how = SelectField("答复方式", choices=_manners(REPLY_MANNERS), validate_choice=False)
    text = TextAreaField("答复内容", validators=[Length(max=3000)])
