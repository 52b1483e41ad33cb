"""Forms of the documents feature: generate, upload a signed scan, check a PDF publicly."""

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, Optional

from mediation.forms import BaseForm


class GenerateForm(BaseForm):
    kind = HiddenField("文书", validators=[InputRequired(message="请选择文书。")])
    source_id = IntegerField("来源记录", validators=[Optional()])


class SignedScanForm(BaseForm):
    file = FileField("签字件扫描文件", validators=[FileRequired(message="请选择文件。")])


class CheckForm(BaseForm):
    file = FileField("要核验的 PDF 文件", validators=[FileRequired(message="请选择文件。")])
