"""The forms of a page as a browser sees them: where each posts, and what it would send
untouched (inputs' values, the checked boxes, each select's chosen option, the first named
submit button) — for tests that fill and send whatever forms the pages have."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageForm:
    """One ``<form>``: its method, action, and the fields a browser would send untouched."""

    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every named control, sent or not
    _button: tuple[str, str] | None = None

    def data(self, **changes: str) -> dict[str, str]:
        """What the browser sends, with ``changes`` typed in (and its first button pressed)."""
        sent = dict(self.fields)
        if self._button and self._button[0] not in sent:
            sent[self._button[0]] = self._button[1]
        return {**sent, **changes}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: tuple[str, str | None, str | None] | None = None  # name, chosen, first
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = PageForm(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
        if self._form is None or tag not in ("input", "select", "option", "textarea", "button"):
            return
        name = a.get("name")
        if name:
            self._form.names.add(name)
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        if tag == "input" and name and kind not in ("submit", "file", "image", "button"):
            if kind not in ("checkbox", "radio") or "checked" in a:
                self._form.fields.setdefault(name, a.get("value", "on" if kind != "text" else ""))
        elif tag in ("button", "input") and kind == "submit" and name and not self._form._button:
            self._form._button = (name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, None, None)
        elif tag == "option" and self._select:
            name, chosen, first = self._select
            value = a.get("value", "")
            self._select = (name, value if "selected" in a else chosen, first or value)
        elif tag == "textarea" and name:
            self._textarea = name
            self._form.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select and self._form is not None:
            name, chosen, first = self._select
            self._form.fields.setdefault(name, chosen if chosen is not None else (first or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            typed = self._form.fields[self._textarea] + data
            # a browser drops the line break that follows <textarea>
            self._form.fields[self._textarea] = typed.removeprefix("\r\n").removeprefix("\n")


def page_forms(html: str) -> list[PageForm]:
    """Every form of ``html``, in order."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms
