"""The resident's lookup form."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from mediation.forms import BaseForm


class LookupForm(BaseForm):
    number = StringField("案件编号或申请回执号", validators=[
        DataRequired("请填写案件编号。"), Length(max=40, message="案件编号过长。")])  # fmt: skip
    proof = StringField("联系电话或公民身份号码后六位", validators=[
        DataRequired("请填写联系电话或公民身份号码后六位。"),
        Length(max=30, message="请填写联系电话或公民身份号码后六位。")])  # fmt: skip
