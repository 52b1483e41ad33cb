"""Helpers shared by every feature's forms."""

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from mediation.models.base import Labelled


class ChineseMeta:
    # WTForms' own messages ("Not a valid choice.", "Not a valid date value.") in Chinese.
    locales = ("zh",)


class BaseForm(FlaskForm):
    """Every posted form: CSRF-protected, with WTForms' built-in messages in Chinese."""

    class Meta(ChineseMeta):
        pass


class SubForm(Form):
    """A form nested in another (a party, an agreement term) or read from the query string:
    no CSRF token of its own, messages in Chinese."""

    class Meta(ChineseMeta):
        pass


def place_refusal(form, error) -> bool:
    """Put a refusal (WorkflowError) next to the visible field it names. False when it names
    none: the caller then shows it above the form."""
    field = form._fields.get(error.field) if error.field else None
    if field is None or field.type == "HiddenField":
        return False
    if error.message not in field.errors:
        field.errors = [*field.errors, error.message]
    return True


def show_refusal(form, error) -> int:
    """A refusal shown in a page's own form: next to its field, else above the form."""
    if not place_refusal(form, error):
        form.form_errors.append(error.message)
    return error.status


def refused_status(form, request) -> int:
    """400 for a post the form or a refusal turned back, 200 otherwise."""
    return 400 if request.method == "POST" and (form.errors or form.form_errors) else 200


def choices(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, with an optional empty first option."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum: type[Labelled], blank: str | None = None) -> list[SelectChoice]:
    return choices(enum.choices(), blank)
