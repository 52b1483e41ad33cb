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


def choices(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, with an optional empty first option."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum: type[Labelled], blank: str | None = None) -> list[SelectChoice]:
    return choices(enum.choices(), blank)
