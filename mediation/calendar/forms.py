"""Forms of the hearing calendar. Times are typed in Asia/Shanghai local time and handed to
the service as aware datetimes; messages speak Chinese and sit next to their field."""

from typing import Any

from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from mediation.calendar.service import LABELS
from mediation.forms import BaseForm
from mediation.models.base import LOCAL_TZ


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _moment(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        tz=LOCAL_TZ,
        # The browser sends "2026-12-03T09:30"; the others are for hand-typed times.
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        invalid_value_message="请按“年-月-日 时:分”填写，例如 2026-12-03 09:30。",
        validators=[DataRequired(f"请填写{label}。")],
    )


class Checkboxes(SelectMultipleField):
    """A choice of several, drawn as checkboxes (easier than a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """The service says which choices are wrong, next to the field, in Chinese."""


class AppointmentForm(BaseForm):
    starts_at = _moment(LABELS["starts_at"])
    ends_at = _moment(LABELS["ends_at"])
    place = StringField(
        LABELS["place"],
        validators=[DataRequired("请填写调解地点。"), Length(max=200, message="不能超过200个字。")],
        filters=[_strip],
    )
    mediator_ids = Checkboxes(LABELS["mediator_ids"], coerce=int)
    party_ids = Checkboxes(LABELS["party_ids"], coerce=int)
    invited = TextAreaField(
        LABELS["invited"],
        validators=[Length(max=1000, message="不能超过1000个字。")],
        filters=[_strip],
    )
    confirm_clash = BooleanField("已知悉时间冲突，仍然安排")
    version = HiddenField()

    def fields(self) -> dict[str, Any]:
        return {name: self[name].data for name in LABELS}

    def version_seen(self) -> int | None:
        value = str(self.version.data or "")
        return int(value) if value.isdigit() else None


class CancelForm(BaseForm):
    reason = TextAreaField(
        "取消的原因",
        validators=[
            DataRequired("请填写取消的原因。"),
            Length(max=1000, message="不能超过1000个字。"),
        ],
        filters=[_strip],
    )
    version = HiddenField()

    def version_seen(self) -> int | None:
        value = str(self.version.data or "")
        return int(value) if value.isdigit() else None
