"""The case page is assembled from feature panels (records, agreements, handling ...).

A feature registers here the blank forms its panel needs; the case page creates them for
every render, and a refused post re-renders the page with that feature's filled-in form
instead (cases.views.post_on_case), so nothing typed is lost.
"""

from collections.abc import Callable

from mediation.forms import BaseForm
from mediation.models import Case

FormFactory = Callable[[Case], BaseForm]

PANEL_FORMS: dict[str, FormFactory] = {}


def register_form(key: str, factory: FormFactory) -> None:
    """`key` names the form in the case page's template context as `<key>_form`, and its
    refusal message as `<key>_error`."""
    PANEL_FORMS[key] = factory
