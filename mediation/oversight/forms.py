"""Forms of the case-file review: the verdict with a comment per checklist item, the
committee's answer, and the quarterly sample."""

from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from mediation.forms import BaseForm, choices, enum_choices
from mediation.models import Verdict
from mediation.models.base import local_today
from mediation.oversight.checklist import CHECKLIST


class VerdictForm(BaseForm):
    verdict = RadioField(
        "评查结论", choices=enum_choices(Verdict), validators=[InputRequired("请选择评查结论。")]
    )
    comment = TextAreaField("总体意见", validators=[Optional(), Length(max=2000)])
    version = HiddenField()

    def item_fields(self):
        """(checklist key, its comment field), in the checklist's order."""
        return [(key, self[f"note_{key}"]) for key, _, _ in CHECKLIST]

    def item_comments(self) -> dict[str, str]:
        return {key: f.data or "" for key, f in self.item_fields()}

    def version_seen(self) -> int:
        return int(self.version.data) if str(self.version.data or "").isdigit() else -1


# One comment box per checklist item: a new item gets its box without touching this file.
for _key, _, _ in CHECKLIST:
    setattr(
        VerdictForm,
        f"note_{_key}",
        TextAreaField("对此项的意见", validators=[Optional(), Length(max=1000)]),
    )


class AnswerForm(BaseForm):
    text = TextAreaField(
        "补正说明",
        validators=[DataRequired("请填写补正说明。"), Length(max=4000)],
    )
    version = HiddenField()

    def version_seen(self) -> int:
        return int(self.version.data) if str(self.version.data or "").isdigit() else -1


class SampleForm(BaseForm):
    # validate_choice off: a unit out of scope is answered 404 by the service.
    org = SelectField("抽查单位", coerce=int, validate_choice=False)
    year = IntegerField("年份", validators=[InputRequired("请填写年份。")])
    quarter = SelectField(
        "季度", coerce=int, choices=choices((q, f"第{q}季度") for q in range(1, 5))
    )
    per_committee = IntegerField(
        "每个调委会抽取案卷数",
        default=3,
        validators=[InputRequired("请填写抽取数量。"), NumberRange(1, 50, "应在1到50之间。")],
    )
    seed = StringField("随机种子（可不填）", validators=[Optional(), Length(max=40)])

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        top = min((u.path.count("/") for u in units), default=0)
        self.org.choices = choices(
            (u.id, "\u3000" * (u.path.count("/") - top) + u.name) for u in units
        )
        if self.year.data is None:
            today = local_today()
            self.year.data = today.year
            self.quarter.data = (today.month + 2) // 3
