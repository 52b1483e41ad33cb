"""Forms of the case page's handling panel: relations, recusals, risk, police, transfers.

Each form has its own prefix: several forms share the case page, and their fields must not
share ids or pick up each other's posted values.
"""

from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from mediation.forms import BaseForm, enum_choices
from mediation.models import RiskLevel, TransferKind


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


def _text(label: str, message: str, max_length: int, area: bool = True, **kw):
    kind = TextAreaField if area else StringField
    return kind(label, validators=[DataRequired(message), Length(max=max_length)], **kw)


class RelationForm(BaseForm):
    party_id = SelectField("当事人", coerce=_int_or_none, validate_choice=False)
    mediator_id = SelectField("调解员", coerce=_int_or_none, validate_choice=False)
    relation = _text("关系", "请填写调解员与当事人的关系。", 200, area=False)


class RecusalForm(BaseForm):
    party_id = SelectField("申请回避的当事人", coerce=_int_or_none, validate_choice=False)
    mediator_id = SelectField("被申请回避的调解员", coerce=_int_or_none, validate_choice=False)
    reason = _text("申请理由", "请填写申请回避的理由。", 3000)


class RecusalDecisionForm(BaseForm):
    recusal_id = IntegerField(validators=[InputRequired("缺少回避申请。")])
    version = IntegerField(validators=[InputRequired("页面已过期，请刷新后重试。")])
    decision = StringField()  # the value of the button pressed: accept or reject
    note = TextAreaField("决定说明", validators=[Length(max=3000)])


class RiskForm(BaseForm):
    measures = _text("采取的防控措施", "请填写采取的防控措施。", 3000)
    risk_level = SelectField(
        "风险等级", choices=enum_choices(RiskLevel, blank="不变"), validators=[Optional()]
    )


class RiskReasonForm(BaseForm):
    reason = TextAreaField("无需采取防控措施的理由", validators=[Length(max=3000)])


class PoliceReportForm(BaseForm):
    reported_at = DateTimeLocalField(
        "报告时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写报告时间。")]
    )
    reported_to = _text("报告对象（公安机关）", "请填写接受报告的公安机关。", 200, area=False)
    reference = StringField("回执或接警编号", validators=[Length(max=100)])
    note = TextAreaField("报告内容及公安机关的处理", validators=[Length(max=3000)])


class TransferForm(BaseForm):
    kind = SelectField("方式", choices=enum_choices(TransferKind))
    to_committee_id = SelectField("接收的调委会", coerce=_int_or_none, validate_choice=False)
    reason = _text("理由", "请填写移交或上报的理由。", 3000)


class TransferDecisionForm(BaseForm):
    transfer_id = IntegerField(validators=[InputRequired("缺少移交。")])
    version = IntegerField(validators=[InputRequired("页面已过期，请刷新后重试。")])
    decision = StringField()  # the value of the button pressed: accept or reject
    note = TextAreaField("说明", validators=[Length(max=3000)])


class JointForm(BaseForm):
    committee_id = SelectField("共同受理的调委会", coerce=_int_or_none, validate_choice=False)
    reason = _text("理由", "请填写共同受理的理由。", 3000)
