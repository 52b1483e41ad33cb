"""Helpers shared by every feature's forms."""

import dataclasses
import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, Self

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.widgets import Select

from mediation.models.base import Labelled


class QuickSelect(Select):
    """WTForms' select, drawing the plain options (no extra attributes) with one format
    instead of its general attribute writer: the same HTML in half the time (the case list's
    three filter selects, 36 options, took 1.4 ms a page, now 0.7)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = choice.value
        if kwargs or choice.render_kw or value is None or isinstance(value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        label = escape(choice.label or value)
        return Markup(f'<option{selected} value="{escape(value)}">{label}</option>')


_QUICK_SELECTS = {False: QuickSelect(), True: QuickSelect(multiple=True)}


class ChineseMeta:
    # WTForms' own messages ("Not a valid choice.", "Not a valid date value.") in Chinese.
    locales = ("zh",)

    def render_field(self, field, render_kw):
        if type(field.widget) is Select:
            field.widget = _QUICK_SELECTS[field.widget.multiple]
        return DefaultMeta.render_field(self, field, render_kw)


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


class ListRow(SubForm):
    """A row of a list edited inside an EditForm (a party). `id` is the saved row's database
    id; a row not saved yet carries a `key` made when it was added (in the browser, or by the
    server's add button), so a merge matches rows by who they are, not by where they stand."""

    id = HiddenField()
    key = HiddenField()
    row_conflict = ""  # after a refused save: why this row is shown although one removed it


def new_row_key() -> str:
    return uuid.uuid4().hex


@dataclasses.dataclass
class Conflict:
    """Something both people changed. `name` is a field's input name in the merged form, or
    a row's prefix ("parties-2") when one removed the row and the other changed it (`kind`
    says which: "removed_by_them" or "removed_by_me"; `changed` names the fields changed)."""

    name: str
    theirs: str = ""
    mine: str = ""
    kind: str = "field"
    changed: list[str] = dataclasses.field(default_factory=list)


class EditForm(BaseForm):
    """An edit form of a versioned record. It carries the version it was opened at and what
    it showed then (`base`), so a save refused because another person saved meanwhile can be
    merged three ways: what this user typed, what the form started from, what is saved now.
    The rows of its field lists (ListRow) merge one by one, matched by id or key."""

    version = HiddenField()
    base = HiddenField()
    conflicts: Sequence[Conflict] = ()  # after a refused save: what both people changed

    def version_seen(self) -> int:
        return int(self.version.data) if str(self.version.data or "").isdigit() else 0

    def remember_base(self) -> Self:
        """Called on a form filled from the database, before it is shown."""
        self.base.data = json.dumps(snapshot(self), ensure_ascii=False)
        return self

    def _base_values(self) -> dict[str, str]:
        try:
            base = json.loads(self.base.data or "{}")
        except ValueError:
            return {}
        return base if isinstance(base, dict) else {}

    def base_row_ids(self, name: str) -> set[int]:
        """The saved rows of list `name` this form was opened with: the only rows its save
        may delete (a row saved by someone else since is not this form's to remove)."""
        rows = _rows(self._base_values(), name)
        return {int(row["id"]) for row in rows.values() if row.get("id", "").isdigit()}

    def merged_with(self, stored: Self) -> tuple[Self, list[Conflict]]:
        """This refused form merged with `stored` (the form filled from what is saved now,
        with its base remembered). A field only one side changed takes that change; a field
        both changed keeps this user's value and shows the saved one beside it; a row one
        side added is kept, a row one side removed stays removed unless the other changed it.
        Returns the merged form, ready for a deliberate save, and what both changed."""
        theirs = snapshot(stored)
        values, conflicts = merge(snapshot(self), self._base_values(), theirs, _list_names(self))
        merged = type(self)(formdata=MultiDict(values))
        merged.version.data = stored.version.data
        merged.base.data = stored.base.data
        fields = _fields_by_name(merged)
        for conflict in conflicts:
            if conflict.kind == "field":
                found = fields.get(conflict.name)
                if found is not None:
                    found.conflict = {
                        "theirs": _shown(found, conflict.theirs),
                        "mine": _shown(found, conflict.mine),
                        "raw": conflict.theirs,
                    }
                continue
            row = _row_form(merged, conflict.name)
            if row is not None:
                row.row_conflict = _row_message(merged, conflict, row)
        merged.conflicts = conflicts
        return merged, conflicts


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


def _list_names(form: Form) -> tuple[str, ...]:
    """The lists whose rows are ListRows, merged row by row. (Any other list would merge key
    by key, by position: give its rows an id and key before editing it in an EditForm.)"""
    return tuple(f.name for f in form if isinstance(f, FieldList) and _has_list_rows(f))


def _has_list_rows(rows: FieldList) -> bool:
    unbound = rows.unbound_field
    row_class = unbound.args[0] if unbound.args else unbound.kwargs.get("form_class")
    return (
        issubclass(unbound.field_class, FormField)
        and isinstance(row_class, type)
        and issubclass(row_class, ListRow)
    )


def _rows(values: dict[str, str], name: str) -> dict[str, dict[str, str]]:
    """The rows of list `name` in posted values, in their order, each under its identity:
    its database id, else its key, else (a row posted without either) its place."""
    by_index: dict[int, dict[str, str]] = {}
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)-(.+)$")
    for key, value in values.items():
        m = pattern.match(key)
        if m:
            by_index.setdefault(int(m.group(1)), {})[m.group(2)] = value
    rows = {}
    for index in sorted(by_index):
        row = by_index[index]
        if row.get("id"):
            identity = f"id:{row['id']}"
        elif row.get("key"):
            identity = f"key:{row['key']}"
        else:
            identity = f"new:{index}"
        rows[identity] = row
    return rows


def _merge_values(
    mine: dict[str, str], base: dict[str, str], theirs: dict[str, str], name=lambda k: k
) -> tuple[dict[str, str], list[Conflict]]:
    """A key only one side changed takes that side's value; a key both changed (to different
    values) keeps mine and is a conflict."""
    merged: dict[str, str] = {}
    conflicts: list[Conflict] = []
    for key in sorted(set(mine) | set(base) | set(theirs)):
        m, b, t = mine.get(key, ""), base.get(key, ""), theirs.get(key, "")
        merged[key] = t if m == b else m
        if m not in (b, t) and t != b:
            conflicts.append(Conflict(name(key), theirs=t, mine=m))
    return merged, conflicts


def _same_row(a: dict[str, str], b: dict[str, str]) -> bool:
    keys = (set(a) | set(b)) - {"key"}
    return all(a.get(k, "") == b.get(k, "") for k in keys)


def _changed(row: dict[str, str], base: dict[str, str]) -> list[str]:
    keys = (set(row) | set(base)) - {"id", "key"}
    return sorted(k for k in keys if row.get(k, "") != base.get(k, ""))


def _merge_rows(
    name: str, mine: dict[str, str], base: dict[str, str], theirs: dict[str, str]
) -> tuple[list[dict[str, str]], list[tuple[int, Conflict]]]:
    """One list merged row by row. Rows keep the saved order; rows this user added follow.
    Returns the rows and the conflicts, each with the index of its row."""
    m_rows, b_rows, t_rows = _rows(mine, name), _rows(base, name), _rows(theirs, name)
    rows: list[dict[str, str]] = []
    conflicts: list[tuple[int, Conflict]] = []

    def add(row, row_conflicts=()):
        for conflict in row_conflicts:
            conflicts.append((len(rows), conflict))
        rows.append(row)

    for identity, t in t_rows.items():
        b, m = b_rows.get(identity), m_rows.get(identity)
        if m is not None:  # both have it: field by field (a row both added: no base)
            add(*_merge_values(m, b or {}, t))
        elif b is None:  # they added it
            add(t)
        elif not _same_row(t, b):  # I removed it, they changed it: kept until I confirm
            add(t, [Conflict("", kind="removed_by_me", changed=_changed(t, b))])
    for identity, m in m_rows.items():
        if identity in t_rows:
            continue
        b = b_rows.get(identity)
        if b is None:  # I added it
            add(m)
        elif not _same_row(m, b):  # they removed it, I changed it: kept, as a new row
            row = {**m, "id": "", "key": m.get("key") or new_row_key()}
            add(row, [Conflict("", kind="removed_by_them", changed=_changed(m, b))])
    return rows, conflicts


def merge(
    mine: dict[str, str], base: dict[str, str], theirs: dict[str, str], lists=()
) -> tuple[dict[str, str], list[Conflict]]:
    """Three-way merge of posted form values. A key only one side changed takes that side's
    value; a key both changed keeps mine and is a conflict. The rows of each list in `lists`
    (its input name, "parties") are matched by id or key and merged one by one."""

    def outside(values: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in values.items() if not any(k.startswith(f"{n}-") for n in lists)}

    merged, conflicts = _merge_values(outside(mine), outside(base), outside(theirs))
    for name in lists:
        rows, row_conflicts = _merge_rows(name, mine, base, theirs)
        for index, row in enumerate(rows):
            merged.update({f"{name}-{index}-{sub}": value for sub, value in row.items()})
        for index, conflict in row_conflicts:
            sub = conflict.name
            conflict.name = f"{name}-{index}" + (f"-{sub}" if sub else "")
            conflicts.append(conflict)
    return merged, conflicts


def _fields_by_name(form: Form) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(fields):
        for f in fields:
            if isinstance(f, FieldList):
                for entry in f.entries:
                    walk(entry.form)
            else:
                found[f.name] = f

    walk(form)
    return found


def _row_form(form: Form, prefix: str):
    """The row form ("parties-2") of a list in `form`, or None."""
    name, _, index = prefix.rpartition("-")
    rows = form._fields.get(name)
    if not isinstance(rows, FieldList) or not index.isdigit() or int(index) >= len(rows):
        return None
    return rows.entries[int(index)].form


def _row_message(form: Form, conflict: Conflict, row) -> str:
    what = form._fields[conflict.name.rpartition("-")[0]].label.text
    labels = "、".join(row[k].label.text for k in conflict.changed if k in row)
    if conflict.kind == "removed_by_them":
        return (
            f"对方已删除此{what}，而您修改了{labels}，所以这里保留了您填写的内容，保存后将作为"
            f"新的{what}重新添加。如同意删除，请删除此{what}后再保存。"
        )
    return (
        f"您删除了此{what}，但对方同时修改了{labels}（下方是对方保存的内容），所以暂未删除。"
        f"如仍要删除，请再次删除此{what}后保存。"
    )


def _shown(field, value: str) -> str:
    """A saved value as the person sees it in the form: a choice by its label."""
    if isinstance(field, SelectField):
        for choice_value, label, *_ in field.iter_choices():
            if str(choice_value) == value:
                return label
    if isinstance(field, BooleanField):
        return "是" if value else "否"
    return value.replace("T", " ") if field.type == "DateTimeLocalField" else value or "（空）"
