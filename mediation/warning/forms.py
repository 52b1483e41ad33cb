"""督办 and its answer (posted, CSRF-protected); the warning pages' choice of unit (GET)."""

from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from mediation.forms import BaseForm, SubForm, choices
from mediation.warning.service import REASONS


class InstructionForm(BaseForm):
    message = TextAreaField(
        "督办内容",
        validators=[DataRequired("请填写督办内容。"), Length(max=2000, message="督办内容过长。")],
    )
    # The newest instruction the page showed: a newer one sent meanwhile is a conflict.
    seen = HiddenField(default="0")


class AnswerForm(BaseForm):
    answer = TextAreaField(
        "办理情况",
        validators=[DataRequired("请填写办理情况。"), Length(max=2000, message="办理情况过长。")],
    )
    version = HiddenField()


class UnitForm(SubForm):
    # validate_choice off: a unit out of scope is answered 404 by the service.
    org = SelectField("单位", coerce=int, validate_choice=False, validators=[Optional()])
    reason = SelectField(
        "预警原因", choices=choices(REASONS.items(), blank="全部原因"), validators=[Optional()]
    )
    page = IntegerField("页", validators=[Optional()], default=1)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        top = min((u.path.count("/") for u in units), default=0)
        self.org.choices = choices(
            (u.id, "\u3000" * (u.path.count("/") - top) + u.name) for u in units
        )
