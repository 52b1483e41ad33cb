"""Forms of the records pages. Times are typed in Asia/Shanghai local time and handed to
the service as aware UTC; messages speak Chinese and sit next to their field."""

from datetime import UTC
from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length

from mediation.forms import BaseForm, EditForm, choices, enum_choices
from mediation.models import AttachmentKind, ParticipantKind
from mediation.models.base import LOCAL_TZ
from mediation.records.service import (
    INVESTIGATION_LABELS,
    PARTICIPANT_LABELS,
    SESSION_LABELS,
)

S = SESSION_LABELS
V = INVESTIGATION_LABELS
P = PARTICIPANT_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label: str, required: str | None, max_length: int | None = None, area=False, **kw):
    validators = [DataRequired(required)] if required else []
    if max_length:
        validators.append(Length(max=max_length, message=f"不能超过{max_length}个字。"))
    kind = TextAreaField if area else StringField
    return kind(label, validators=validators, filters=[_strip], **kw)


def _held_at(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        tz=LOCAL_TZ,
        # The browser sends "2026-05-01T14:30"; the others are for hand-typed times.
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        invalid_value_message="请按“年-月-日 时:分”填写，例如 2026-05-01 14:30。",
        validators=[DataRequired(f"请填写{label}。")],
    )


class RecordForm(EditForm):
    """What the session and investigation forms share: the time, and the version and base
    that merge a save refused because someone else saved first."""

    LABELS: dict[str, str] = {}

    def fields(self) -> dict[str, Any]:
        data = {name: self[name].data for name in self.LABELS}
        data["held_at"] = data["held_at"].astimezone(UTC)
        return data


class SessionForm(RecordForm):
    LABELS = S

    held_at = _held_at(S["held_at"])
    place = _text(S["place"], "请填写调解地点。", 200)
    mediators = _text(S["mediators"], "请填写主持调解的调解员。", 200)
    attendees = _text(S["attendees"], "请填写参加调解的当事人及其他人员。", 3000, area=True)
    course = _text(S["course"], "请填写调解经过：各方的陈述和调解员所做的工作。", 20000, area=True)
    result = _text(S["result"], "请填写调解结果。", 5000, area=True)
    # Set when the record is written for a scheduled session (the calendar marks it held).
    appointment_id = HiddenField()

    def fields(self) -> dict[str, Any]:
        return {**super().fields(), "appointment_id": self.appointment_id.data}


class InvestigationForm(RecordForm):
    LABELS = V

    held_at = _held_at(V["held_at"])
    place = _text(V["place"], "请填写调查地点。", 200)
    investigator = _text(V["investigator"], "请填写调查人。", 100)
    person_questioned = _text(V["person_questioned"], "请填写被调查人。", 200)
    content = _text(V["content"], "请填写调查内容。", 20000, area=True)


class ParticipantForm(BaseForm):
    """Posted from the case page, which holds other panels' forms too: the prefix keeps its
    field ids and posted values apart from theirs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "participant")
        super().__init__(*args, **kwargs)

    name = _text(P["name"], "请填写被邀请人的姓名。", 100)
    kind = SelectField(P["kind"], choices=enum_choices(ParticipantKind))
    organisation = _text(P["organisation"], None, 200)
    consented = BooleanField(
        P["consented"],
        validators=[
            DataRequired("邀请其他人员参与调解须经双方当事人同意（《人民调解法》第二十条）。")
        ],
    )
    consent = _text(P["consent"], "请填写当事人同意的方式和时间。", 1000, area=True)

    def fields(self) -> dict[str, Any]:
        return {name: self[name].data for name in P}


class UploadForm(BaseForm):
    file = FileField("选择文件")
    # A signed agreement is uploaded on the agreement: it is what makes it effective.
    kind = SelectField(
        "附件类别",
        choices=choices(
            (k.value, k.label) for k in AttachmentKind if k != AttachmentKind.SIGNED_AGREEMENT
        ),
    )

    def attachment_kind(self) -> AttachmentKind:
        return AttachmentKind(self.kind.data)
