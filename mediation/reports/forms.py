"""The statistics page's choice of unit and period, read from the query string."""

from wtforms import SelectField
from wtforms.validators import DataRequired

from mediation.forms import SubForm, choices
from mediation.models.base import local_today
from mediation.reports.service import KINDS


def _years() -> list[tuple[int, str]]:
    this_year = local_today().year
    return [(year, f"{year}年") for year in range(this_year, this_year - 10, -1)]


class StatisticsForm(SubForm):
    # validate_choice off: a unit out of scope is answered 404 by the service, as cases are.
    org = SelectField("统计单位", coerce=int, validate_choice=False,
                      validators=[DataRequired("请选择统计单位。")])  # fmt: skip
    kind = SelectField("统计周期", choices=choices((k, f"按{v}") for k, v in KINDS.items()))
    year = SelectField("年份", coerce=int, validators=[DataRequired("请选择年份。")])
    # The period's own checks (service.make_period) say what is wrong with these.
    month = SelectField("月份", coerce=int, validate_choice=False,
                        choices=choices((m, f"{m}月") for m in range(1, 13)))  # fmt: skip
    quarter = SelectField("季度", coerce=int, validate_choice=False,
                          choices=choices((q, f"第{q}季度") for q in range(1, 5)))  # fmt: skip

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        top = min((u.path.count("/") for u in units), default=0)
        self.org.choices = choices(  # indented by their depth below the user's own unit
            (u.id, "\u3000" * (u.path.count("/") - top) + u.name) for u in units
        )  # fmt: skip
        self.year.choices = choices(_years())
