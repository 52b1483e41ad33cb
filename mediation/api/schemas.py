"""The API's documents: the answers as marshmallow schemas (the views dump every answer
through them, so what is sent is what is documented), and the referral's request schema
drawn from the desk's WTForms intake form, so the documented limits are the form's."""

from marshmallow import Schema, fields
from wtforms import BooleanField, DateField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from mediation.cases.forms import CaseForm, PartyForm
from mediation.models import CaseStatus, Category, PartyKind, PartyRole, RiskLevel, Sex

# --- Answers -------------------------------------------------------------------------------


class Error(Schema):
    class Meta:
        ordered = True

    message = fields.Str(
        required=True, metadata={"description": "说明（中文）", "example": "访问令牌无效。"}
    )
    errors = fields.List(
        fields.Nested("FieldError"),
        metadata={"description": "逐项的填写问题（仅校验未通过时）"},
    )


class FieldError(Schema):
    field = fields.Str(required=True, metadata={"example": "parties[0].id_number"})
    message = fields.Str(
        required=True, metadata={"example": "公民身份号码的校验位不正确，请核对。"}
    )


class Committee(Schema):
    id = fields.Int(required=True, metadata={"example": 4})
    name = fields.Str(required=True, metadata={"example": "东街社区人民调解委员会"})


class Dates(Schema):
    registered_on = fields.Date(required=True, metadata={"description": "登记日期"})
    accepted_on = fields.Date(allow_none=True, required=True, metadata={"description": "受理日期"})
    deadline = fields.Date(allow_none=True, required=True, metadata={"description": "办理期限"})
    agreed_on = fields.Date(
        allow_none=True, required=True, metadata={"description": "达成协议日期"}
    )
    closed_on = fields.Date(allow_none=True, required=True, metadata={"description": "结案日期"})
    archived_on = fields.Date(allow_none=True, required=True, metadata={"description": "归档日期"})


class AgreementFacts(Schema):
    kind = fields.Str(required=True, metadata={"enum": ["written", "oral"]})
    kind_label = fields.Str(required=True, metadata={"example": "书面协议"})
    reached_on = fields.Date(required=True)
    effective_on = fields.Date(allow_none=True, required=True)


class Outcome(Schema):
    result = fields.Str(
        required=True,
        metadata={
            "enum": ["agreement", "terminated", "withdrawn", "rejected"],
            "description": "结果：达成协议、调解终止、撤回、不予受理",
        },
    )
    label = fields.Str(required=True, metadata={"example": "调解成功，达成调解协议"})
    on = fields.Date(required=True, metadata={"description": "结果发生的日期"})
    reason = fields.Str(
        allow_none=True, required=True, metadata={"description": "终止、撤回或不予受理的原因"}
    )
    route = fields.Str(
        allow_none=True, required=True, metadata={"description": "告知当事人的其他解决途径"}
    )
    agreement = fields.Nested(AgreementFacts, metadata={"description": "达成协议时：协议概况"})


class Documents(Schema):
    feedback = fields.Bool(required=True, metadata={"description": "反馈函是否已出具，可下载"})
    agreement = fields.Bool(
        required=True, metadata={"description": "已生效的书面调解协议书是否可下载"}
    )


class ReferredCase(Schema):
    class Meta:
        ordered = True

    id = fields.Int(required=True, metadata={"example": 1024})
    number = fields.Str(required=True, metadata={"example": "（2026）东街调字第0061号"})
    reference_number = fields.Str(
        required=True, metadata={"example": "（2026）浙0102民诉前调1234号"}
    )
    status = fields.Str(required=True, metadata={"enum": [s.value for s in CaseStatus]})
    status_label = fields.Str(required=True, metadata={"example": "申请/上报"})
    committee = fields.Nested(Committee, required=True)
    dates = fields.Nested(Dates, required=True)
    outcome = fields.Nested(Outcome, allow_none=True, required=True)
    documents = fields.Nested(Documents, required=True)


class ReferredCaseList(Schema):
    cases = fields.List(fields.Nested(ReferredCase), required=True)
    next_after = fields.Int(
        allow_none=True, required=True, metadata={"description": "下一页：把它作为 after 参数"}
    )


FIGURES = {
    "accepted": "受理",
    "concluded": "调结",
    "successful": "调解成功",
    "success_rate": "成功率",
    "terminated": "调解终止",
    "withdrawn": "撤回",
    "average_days": "平均办结天数",
    "overdue_concluded": "超期办结",
    "open": "在办",
    "overdue_open": "超期未结",
    "group": "群体性纠纷",
    "police": "报告公安",
    "followed_up": "回访",
    "performed": "协议履行",
    "confirm_applied": "申请司法确认",
    "confirmed": "确认有效",
}
FRACTIONS = ("success_rate", "average_days")


# The columns of the statistics page, each figure as the page counts it.
Figures = Schema.from_dict(
    {
        name: fields.Float(allow_none=True, required=True, metadata={"description": label})
        if name in FRACTIONS
        else fields.Int(required=True, metadata={"description": label})
        for name, label in FIGURES.items()
    },
    name="Figures",
)


class UnitFigures(Schema):
    unit = fields.Nested(Committee, required=True, metadata={"description": "下一级单位"})
    figures = fields.Nested(Figures, required=True)


class LabelledFigures(Schema):
    code = fields.Str(required=True)
    label = fields.Str(required=True, metadata={"example": "邻里纠纷"})
    figures = fields.Nested(Figures, required=True)


class Period(Schema):
    kind = fields.Str(required=True, metadata={"enum": ["month", "quarter", "year"]})
    year = fields.Int(required=True, metadata={"example": 2026})
    number = fields.Int(required=True, metadata={"description": "月份或季度；年度为1"})
    label = fields.Str(required=True, metadata={"example": "2026年11月"})
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class Statistics(Schema):
    class Meta:
        ordered = True

    unit = fields.Nested(Committee, required=True)
    period = fields.Nested(Period, required=True)
    as_of = fields.Date(required=True, metadata={"description": "在办、超期未结的统计截止日"})
    total = fields.Nested(Figures, required=True)
    by_unit = fields.List(fields.Nested(UnitFigures), required=True)
    by_category = fields.List(fields.Nested(LabelledFigures), required=True)
    by_source = fields.List(fields.Nested(LabelledFigures), required=True)


# --- The referral's request, drawn from the desk's form ------------------------------------


def field_schema(field) -> dict:
    """The JSON schema of one WTForms field: its type, its limits, its label."""
    if isinstance(field, BooleanField):
        schema: dict = {"type": "boolean"}
    elif isinstance(field, DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, SelectField):
        schema = {"type": "string", "enum": [c[0] for c in field.iter_choices() if c[0]]}
    else:
        schema = {"type": "string"}
    for validator in field.validators:
        if isinstance(validator, Length) and validator.max not in (None, -1):
            schema["maxLength"] = validator.max
        if isinstance(validator, NumberRange):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
    schema["description"] = str(field.label.text)
    return schema


def _required(field) -> bool:
    return any(isinstance(v, DataRequired | InputRequired) for v in field.validators)


def form_schema(form, names, always=()) -> dict:
    properties, required = {}, []
    for name in names:
        if name not in form:
            continue
        properties[name] = field_schema(form[name])
        if _required(form[name]) or name in always:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


PARTY_EXAMPLE = [
    {
        "role": "applicant",
        "kind": "person",
        "name": "王建国",
        "id_number": "110101199003074514",
        "phone": "13800138000",
        "address": "东街社区幸福路12号",
    },
    {
        "role": "respondent",
        "kind": "person",
        "name": "李秀英",
        "phone": "13900139000",
        "address": "东街社区幸福路14号",
    },
]
REFERRAL_EXAMPLE = {
    "reference_number": "（2026）浙0102民诉前调1234号",
    "referred_on": "2026-11-30",
    "feedback_due": "2026-12-30",
    "committee_id": 4,
    "category": "neighbour",
    "dispute_place": "东街社区幸福路",
    "summary": "两户因院墙渗水发生争执，经法院诉前委派调解。",
    "request": "请求对方修缮院墙并赔偿损失三千元。",
    "parties": PARTY_EXAMPLE,
}


def referral_request_schema() -> dict:
    """The referral's JSON: the desk form's intake fields (types, limits and labels read from
    the form), the referral's fields, the target committee and the parties."""
    from mediation.api.service import CASE_FIELDS, FLAGS, PARTY_FIELDS, REFERRAL_FIELDS

    with _plain_form_context():
        form = CaseForm(formdata=None, meta={"csrf": False})
        party = PartyForm(formdata=None)
    schema = form_schema(
        form, (*REFERRAL_FIELDS, *CASE_FIELDS, *FLAGS), always=("reference_number", "referred_on")
    )
    party_schema = form_schema(party, PARTY_FIELDS, always=("role",))
    party_schema["properties"]["role"]["enum"] = [r.value for r in PartyRole]
    party_schema["properties"]["kind"]["enum"] = [k.value for k in PartyKind]
    party_schema["properties"]["sex"]["enum"] = [s.value for s in Sex]
    schema["properties"]["committee_id"] = {
        "type": "integer",
        "description": "接收案件的人民调解委员会（须在授权范围内）",
    }
    schema["properties"]["parties"] = {
        "type": "array",
        "minItems": 2,
        "maxItems": 50,
        "items": party_schema,
        "description": "当事人：至少一名申请人和一名被申请人",
    }
    schema["required"] = [*schema["required"], "committee_id", "parties"]
    schema["properties"]["category"]["enum"] = [c.value for c in Category]
    schema["properties"]["risk_level"]["enum"] = [r.value for r in RiskLevel]
    schema["example"] = REFERRAL_EXAMPLE
    return schema


def _plain_form_context():
    """Forms are built outside a request when the document is drawn (tests, the CLI)."""
    from contextlib import nullcontext

    from flask import current_app, has_request_context

    if has_request_context():
        return nullcontext()
    return current_app.test_request_context()
