"""Forms of referred cases: the sending of the 反馈函, and the list's filters (GET)."""

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from mediation.forms import BaseForm, SubForm, choices, enum_choices
from mediation.models import CaseStatus, FeedbackMethod
from mediation.models.base import local_today
from mediation.models.referral import REFERRED_SOURCES
from mediation.referrals.service import FEEDBACK_STATES


class FeedbackForm(BaseForm):
    """反馈函已送出: when and how, with a note."""

    sent_on = DateField("送出日期", validators=[Optional()], default=local_today)
    method = SelectField("送达方式", choices=enum_choices(FeedbackMethod, "请选择"))
    note = TextAreaField("备注（挂号信号码、签收人等）", validators=[Length(max=2000)])


class ReferralFilterForm(SubForm):
    """The list's filters, from the query string."""

    body = StringField("委派/移交单位", validators=[Length(max=100)])
    kind = SelectField(
        "单位类别",
        choices=choices(((s.value, s.label) for s in REFERRED_SOURCES), "全部类别"),
        validators=[Optional()],
    )
    date_from = DateField("委派/移交日期自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])
    status = SelectField("案件状态", choices=enum_choices(CaseStatus, "全部状态"),
                         validators=[Optional()])  # fmt: skip
    feedback = SelectField(
        "反馈情况", choices=choices(FEEDBACK_STATES.items(), "全部"), validators=[Optional()]
    )
