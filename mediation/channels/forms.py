"""The online application form: what a resident fills in on a phone."""

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from mediation.forms import BaseForm, enum_choices
from mediation.models import Category
from mediation.privacy import id_number_problem, normalise_id_number, normalise_phone, phone_problem


def _id_number(form, field):
    if field.data:
        problem = id_number_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _phone(form, field):
    if field.data:
        problem = phone_problem(field.data)
        if problem:
            raise ValidationError(problem)


class ApplicationForm(BaseForm):
    name = StringField(
        "您的姓名",
        validators=[DataRequired("请填写您的姓名。"), Length(max=40, message="姓名过长。")],
    )
    id_number = StringField(
        "您的公民身份号码",
        filters=[lambda v: normalise_id_number(v or "")],
        validators=[DataRequired("请填写您的公民身份号码。"), _id_number],
    )
    phone = StringField(
        "您的联系电话",
        filters=[lambda v: normalise_phone(v or "")],
        validators=[DataRequired("请填写联系电话，调委会将通过它与您联系。"), _phone],
    )
    address = StringField(
        "您的住址", validators=[Optional(), Length(max=200, message="住址过长。")]
    )
    other_name = StringField(
        "对方姓名或单位名称",
        validators=[
            DataRequired("请填写对方的姓名或单位名称；不知道全名的，写您知道的称呼。"),
            Length(max=100, message="对方名称过长。"),
        ],
    )
    other_phone = StringField(
        "对方联系电话（知道的填写）",
        filters=[lambda v: normalise_phone(v or "")],
        validators=[Optional(), _phone],
    )
    other_address = StringField(
        "对方住址（知道的填写）", validators=[Optional(), Length(max=200, message="住址过长。")]
    )
    category = SelectField(
        "纠纷类型",
        choices=enum_choices(Category, "请选择"),
        validators=[DataRequired("请选择纠纷类型，拿不准的选“其他纠纷”。")],
    )
    summary = TextAreaField(
        "发生了什么",
        validators=[
            DataRequired("请简要写明发生了什么。"),
            Length(max=2000, message="请把经过写在2000字以内，详情可当面向调解员说明。"),
        ],
    )
    request = TextAreaField(
        "您希望怎样解决",
        validators=[
            DataRequired("请写明您希望调解解决什么。"),
            Length(max=1000, message="请写在1000字以内。"),
        ],
    )
    place = StringField(
        "纠纷发生地",
        validators=[
            DataRequired("请填写纠纷发生在哪个村（社区）、街道。"),
            Length(max=200, message="发生地过长。"),
        ],
    )
    committee_id = SelectField(
        "向哪个人民调解委员会申请", coerce=str, choices=[], validators=[Optional()]
    )
    consent = BooleanField(
        "我已阅读上面的说明，自愿申请人民调解，愿意遵守人民调解的规则，所填内容属实。"
    )

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError("申请人民调解须本人自愿，请阅读说明后勾选同意。")
