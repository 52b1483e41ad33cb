"""The case page is assembled from feature panels (records, agreements, handling ...).

A feature registers here the blank forms its panel needs; the case page makes each when
the page first asks for it, and a refused post re-renders the page with that feature's
filled-in form instead (cases.views.post_on_case), so nothing typed is lost.
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


class LazyForm:
    """A panel's blank form, made when the page first touches it: a user sees a few of the
    panels' forms in a case's state, and making all of them (some 25) cost as much as
    drawing the whole page."""

    def __init__(self, make: Callable[[], BaseForm]):
        self._make = make
        self._form: BaseForm | None = None

    def _get(self) -> BaseForm:
        if self._form is None:
            self._form = self._make()
        return self._form

    def __getattr__(self, name: str):
        return getattr(self._get(), name)

    def __getitem__(self, name: str):
        return self._get()[name]

    def __iter__(self):
        return iter(self._get())

    def __contains__(self, name: str) -> bool:
        return name in self._get()
