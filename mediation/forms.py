"""Helpers shared by every feature's forms."""

from wtforms.fields.choices import SelectChoice

from mediation.models.base import Labelled


def choices(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, with an optional empty first option."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum: type[Labelled], blank: str | None = None) -> list[SelectChoice]:
    return choices(enum.choices(), blank)
