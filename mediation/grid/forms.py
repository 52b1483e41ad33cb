"""Forms of the grid pages: a quick report, a 零上报, the committee's decision, a new grid."""

from wtforms import (
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from mediation.forms import BaseForm, enum_choices
from mediation.models import Category, RiskLevel


class ReportForm(BaseForm):
    grid_id = SelectField("网格", coerce=int, validate_choice=False)
    place = StringField(
        "地点",
        validators=[
            DataRequired("请填写纠纷发生的地点。"),
            Length(max=200, message="地点过长。"),
        ],
    )
    parties = StringField(
        "当事人（知道的填写）", validators=[Length(max=300, message="请写在300字以内。")]
    )
    category = SelectField(
        "纠纷类型", choices=enum_choices(Category, "不确定"), validators=[Optional()]
    )
    summary = TextAreaField(
        "简要情况",
        validators=[
            DataRequired("请简要写明发现的情况。"),
            Length(max=2000, message="请写在2000字以内。"),
        ],
    )
    risk_level = SelectField("风险", choices=enum_choices(RiskLevel))
    photos = MultipleFileField("现场照片（可选，最多5张）")


class ZeroForm(BaseForm):
    grid_id = SelectField("网格", coerce=int, validate_choice=False)
    week = SelectField("排查周", validate_choice=False)


class ResolveForm(BaseForm):
    version = HiddenField()
    note = TextAreaField(
        "如何就地化解的",
        validators=[
            DataRequired("请写明如何就地化解的。"),
            Length(max=2000, message="请写在2000字以内。"),
        ],
    )


class OpenCaseForm(BaseForm):
    version = HiddenField()
    applicant = StringField(
        "申请人姓名",
        validators=[DataRequired("请填写申请人的姓名。"), Length(max=100)],
    )
    respondent = StringField(
        "被申请人姓名",
        validators=[DataRequired("请填写被申请人的姓名。"), Length(max=100)],
    )


class GridForm(BaseForm):
    committee_id = SelectField("所属调委会", coerce=int, validate_choice=False)
    name = StringField("网格名称", validators=[DataRequired("请填写网格名称。"), Length(max=60)])
    area = StringField("范围（街巷、小区、村组）", validators=[Length(max=200)])
    worker_id = SelectField("网格员", validate_choice=False)
