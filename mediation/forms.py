"""Helpers shared by every feature's forms."""

import json
from typing import Self

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, Form, HiddenField, SelectField
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


# --- Merging a save refused because someone else saved first ------------------------------


class EditForm(BaseForm):
    """An edit form of a versioned record. It carries the version it was opened at and what
    it showed then (`base`), so a save refused because another person saved meanwhile can be
    merged three ways: what this user typed, what the form started from, what is saved now.

    WHOLE names the prefixes of field lists (the case's parties) that merge as one value."""

    WHOLE: tuple[str, ...] = ()

    version = HiddenField()
    base = HiddenField()

    def version_seen(self) -> int:
        return int(self.version.data) if str(self.version.data or "").isdigit() else 0

    def remember_base(self) -> Self:
        """Called on a form filled from the database, before it is shown."""
        self.base.data = json.dumps(snapshot(self), ensure_ascii=False)
        return self

    def merged_with(self, stored: Self) -> tuple[Self, list[str]]:
        """This refused form merged with `stored` (the form filled from what is saved now,
        with its base remembered). A field only one side changed takes that change; a field
        both changed keeps this user's value and names the other value next to it. Returns
        the merged form, ready for a deliberate save, and the WHOLE prefixes both changed."""
        theirs = snapshot(stored)
        try:
            base = json.loads(self.base.data or "{}")
        except ValueError:
            base = {}
        values, conflicts = merge(snapshot(self), base, theirs, self.WHOLE)
        merged = type(self)(formdata=MultiDict(values))
        merged.version.data = stored.version.data
        merged.base.data = stored.base.data
        for name in conflicts:
            if name not in self.WHOLE:
                shown = _shown(stored[name], theirs.get(name, ""))
                merged[name].errors = [f"对方已将此项改为“{shown}”。请确认以哪个为准后再保存。"]
        return merged, [name for name in conflicts if name in self.WHOLE]


_NOT_DATA = ("csrf_token", "version", "base")


def snapshot(form: Form) -> dict[str, str]:
    """The form's values as the browser would post them: {input name: value}."""
    values: dict[str, str] = {}

    def walk(fields):
        for f in fields:
            if f.short_name in _NOT_DATA:
                continue
            if isinstance(f, FieldList):
                for entry in f.entries:
                    walk(entry.form)
            elif isinstance(f, BooleanField):
                if f.data:
                    values[f.name] = "y"
            elif isinstance(f, SelectField):
                values[f.name] = "" if f.data is None else str(f.data)
            else:  # browsers post a textarea's line breaks as CRLF, the database keeps LF
                values[f.name] = f._value().replace("\r\n", "\n")

    walk(form)
    return values


def merge(
    mine: dict[str, str], base: dict[str, str], theirs: dict[str, str], whole=()
) -> tuple[dict[str, str], list[str]]:
    """Three-way merge of posted form values. A key only one side changed takes that side's
    value; a key both changed keeps mine and is listed as a conflict. Keys under a prefix in
    `whole` merge together, as one value named by the prefix."""

    def under(values: dict, prefix: str | None) -> dict:
        if prefix is None:
            return {k: v for k, v in values.items() if not any(k.startswith(p) for p in whole)}
        return {k: v for k, v in values.items() if k.startswith(prefix)}

    merged: dict[str, str] = {}
    conflicts: list[str] = []
    m_rest, b_rest, t_rest = under(mine, None), under(base, None), under(theirs, None)
    for key in sorted(set(m_rest) | set(b_rest) | set(t_rest)):
        m, b, t = m_rest.get(key, ""), b_rest.get(key, ""), t_rest.get(key, "")
        merged[key] = t if m == b else m
        if m not in (b, t) and t != b:
            conflicts.append(key)
    for prefix in whole:
        m, b, t = under(mine, prefix), under(base, prefix), under(theirs, prefix)
        merged.update(t if m == b else m)
        if m not in (b, t) and t != b:
            conflicts.append(prefix)
    return {k: v for k, v in merged.items() if v != ""}, conflicts


def _shown(field, value: str) -> str:
    """A saved value as the person sees it in the form: a choice by its label."""
    if isinstance(field, SelectField):
        for choice_value, label, *_ in field.iter_choices():
            if str(choice_value) == value:
                return label
    if isinstance(field, BooleanField):
        return "是" if value else "否"
    return value.replace("T", " ") if field.type == "DateTimeLocalField" else value or "（空）"
