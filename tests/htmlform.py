"""Read a form's current values out of a page, as a browser would submit them unchanged."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_class: str):
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.depth_template = 0
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.depth_template += 1
        if tag == "form" and self.form_class in (a.get("class") or "").split():
            self.inside = True
            self.seen: set[str] = set()
        if not self.inside or self.depth_template:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button"):
                return
            if kind == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
                return
            # A browser would post both; the app reads the first. A form that names a field
            # twice is a bug in the page, so say so rather than pick one.
            assert name not in self.seen, f"the form has two fields named {name!r}"
            self.seen.add(name)
            self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                self.values[self._select] = value
            if "selected" in a:
                self.values[self._select] = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "template":
            self.depth_template -= 1
        elif tag == "form" and self.inside and not self.depth_template:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that may follow <textarea>.
            text = "".join(self._text)
            self.values[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_values(html: str, form_class: str = "case-form") -> dict[str, str]:
    reader = _FormReader(form_class)
    reader.feed(html)
    return reader.values
