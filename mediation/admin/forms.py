"""Account and committee forms for the administrator."""

from flask import current_app
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields import DateField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from mediation.audit.security import KINDS
from mediation.forms import BaseForm, SubForm, choices, enum_choices
from mediation.models import ApiClientKind, CommitteeKind, OrgKind, Role


class UserForm(BaseForm):
    version = HiddenField()
    username = StringField("用户名", validators=[
        DataRequired("请填写用户名。"), Length(max=40),
        Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能使用字母、数字、下划线、点和短横线。"),
    ])  # fmt: skip
    name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=40)])
    # The online-application account (Role.CHANNEL) is made by the system, never by hand.
    role = SelectField("角色", choices=[c for c in enum_choices(Role) if c.value != Role.CHANNEL])
    org_id = SelectField("所属单位", coerce=int, validate_choice=False)
    phone = StringField("联系电话", validators=[Optional(), Length(max=20)])
    active = BooleanField("启用", default=True)
    unlock = BooleanField("解除登录锁定")
    password = PasswordField("初始密码 / 重置密码", validators=[Optional(), Length(max=128)])

    def data_dict(self) -> dict:
        return {
            "username": self.username.data,
            "name": self.name.data.strip(),
            "role": Role(self.role.data),
            "org_id": self.org_id.data,
            "phone": (self.phone.data or "").strip(),
            "active": self.active.data,
            "unlock": self.unlock.data,
        }


class OrgForm(BaseForm):
    version = HiddenField()
    kind = SelectField("单位类型", choices=enum_choices(OrgKind))
    name = StringField("名称", validators=[DataRequired("请填写名称。"), Length(max=100)])
    short_name = StringField("简称（用于案号）", validators=[Optional(), Length(max=20)])
    committee_kind = SelectField(
        "调委会类型", choices=enum_choices(CommitteeKind, "—"), validators=[Optional()]
    )
    parent_id = SelectField("上级单位", coerce=int, validate_choice=False)
    deadline_days = IntegerField(  # a new committee's form starts at DEFAULT_DEADLINE_DAYS
        "办理期限（天）", default=lambda: current_app.config["DEFAULT_DEADLINE_DAYS"],
        validators=[Optional(), NumberRange(1, 365, "办理期限应在1到365天之间。")],
    )  # fmt: skip
    service_area = StringField("服务的村（社区）、街道", validators=[Optional(), Length(max=300)])
    active = BooleanField("启用", default=True)

    def data_dict(self) -> dict:
        return {
            "kind": OrgKind(self.kind.data),
            "service_area": (self.service_area.data or "").strip(),
            "name": self.name.data.strip(),
            "short_name": (self.short_name.data or "").strip() or None,
            "committee_kind": CommitteeKind(self.committee_kind.data)
            if self.committee_kind.data
            else None,
            "parent_id": self.parent_id.data or None,
            "deadline_days": self.deadline_days.data,
            "active": self.active.data,
        }


class SignOutForm(BaseForm):
    """强制下线: nothing to fill in but the CSRF token."""


class SecurityFilterForm(SubForm):
    """The security log's filters, read from the query string (GET, so no CSRF token)."""

    kind = SelectField("类型", choices=choices(KINDS.items(), "全部类型"), validators=[Optional()])
    username = StringField("用户名", validators=[Optional(), Length(max=80)])
    address = StringField("来源地址", validators=[Optional(), Length(max=64)])
    date_from = DateField("日期自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])


class ApiClientForm(BaseForm):
    """A body that exchanges data through the JSON API (接口客户端)."""

    version = HiddenField()
    name = StringField(
        "名称", validators=[DataRequired("请填写单位名称，如“城关区人民法院”。"), Length(max=100)]
    )
    kind = SelectField("类别", choices=enum_choices(ApiClientKind))
    unit_ids = SelectMultipleField(
        "授权单位（可向其下调委会移交案件、读取统计）", coerce=int, validate_choice=False
    )
    callback_url = StringField(
        "回调地址（推送案件状态变化，可不填）",
        validators=[
            Optional(),
            Length(max=500),
            Regexp(r"^https?://\S+$", message="回调地址应以 http:// 或 https:// 开头。"),
        ],
    )
    rate_limit = IntegerField(
        "每分钟调用上限",
        default=120,
        validators=[InputRequired("请填写每分钟调用上限。"),
                    NumberRange(1, 10000, "每分钟调用上限应在1到10000之间。")],
    )  # fmt: skip
    active = BooleanField("启用", default=True)

    def data_dict(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "kind": ApiClientKind(self.kind.data),
            "unit_ids": list(self.unit_ids.data or []),
            "callback_url": (self.callback_url.data or "").strip(),
            "rate_limit": self.rate_limit.data,
            "active": self.active.data,
        }


class TokenForm(BaseForm):
    days = IntegerField(
        "有效期（天）",
        default=365,
        validators=[
            InputRequired("请填写有效期。"),
            NumberRange(1, 730, "有效期应在1至730天之间。"),
        ],
    )


class ConfirmForm(BaseForm):
    """A button that changes something (吊销令牌, 更换签名密钥): only the tokens."""
