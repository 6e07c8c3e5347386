"""The screen kit's Python half (DESIGN.md, "Screens: one vocabulary, one kit").

Every view answers with these: a page or the fragment its htmx target asks for, one answer for
a form that failed, gigstack's field errors put on the form's fields, list links that keep
every filter, and the navigation after a change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, render_template, request, session

INVALID = 422  # a form sent back with field errors
_INDEX = re.compile(r"\[(\d+)\]")


def is_htmx() -> bool:
    """The one way to ask "did htmx send this?" (``request.htmx`` from htmx-flask)."""
    return bool(getattr(request, "htmx", False))


def htmx_target() -> str | None:
    """The id of the element an htmx request will swap (None for a whole page)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or getattr(htmx, "boosted", False):
        return None
    target = request.headers.get("HX-Target")
    return target or None


def render_page(page_template: str, fragments: str | Mapping[str, str], **context: Any) -> str:
    """The page, or for htmx the fragment of the region it targets.

    ``fragments`` is one template (the page has one swappable region) or a map from target id
    to template (several regions: the list, a panel, a form…). An htmx request aimed at an id
    the page does not know gets the whole page, never an error.
    """
    target = htmx_target()
    if target:
        if isinstance(fragments, str):
            return render_template(fragments, **context)
        if target in fragments:
            return render_template(fragments[target], **context)
    return render_template(page_template, **context)


def form_failed(
    page_template: str,
    fragment_template: str,
    target: str,
    *,
    error: str | None = None,
    **context: Any,
) -> tuple[str, int, dict[str, str]]:
    """A form with errors: status 422, the page again (or for htmx the form in place, whatever
    the request targeted), the user's input kept by the form object itself."""
    context["form_error"] = error
    headers: dict[str, str] = {}
    if is_htmx():
        body = render_template(fragment_template, **context)
        headers = swap_whole(target)
    else:
        body = render_template(page_template, **context)
    return body, INVALID, headers


def swap_whole(target: str) -> dict[str, str]:
    """Headers that make an htmx answer replace the element ``#target`` whole, whatever the
    request aimed at (a form whose fields changed on the server, a form with errors)."""
    return {"HX-Retarget": f"#{target}", "HX-Reswap": "outerHTML", "HX-Reselect": f"#{target}"}


def api_field_name(path: str) -> str:
    """gigstack's field path as a WTForms name: ``address.zip`` → ``address-zip``,
    ``items[2].product_key`` → ``items-2-product_key`` (FormField / FieldList prefixes)."""
    return _INDEX.sub(r"-\1", path).replace(".", "-").replace("--", "-")


def apply_api_errors(form: Any, error: Any, aliases: Mapping[str, str] | None = None) -> list[str]:
    """Put each ``{field, message}`` of a gigstack error on the form field it names.

    ``aliases`` maps an API path to a form field name when they differ (``keyPass`` →
    ``password``). Returns the messages that fit no field (shown in the form's banner).
    """
    fields = {field.name: field for field in _all_fields(form)}
    unplaced: list[str] = []
    for path, messages in getattr(error, "field_errors", {}).items():
        name = (aliases or {}).get(path) or api_field_name(path)
        field = fields.get(name) or fields.get(path)
        if field is None:
            unplaced += [f"{path}: {m}" if path else m for m in messages]
            continue
        field.errors = [*(field.errors or []), *messages]
    return unplaced


def _all_fields(form: Any):
    """Every field, descending into FormField and FieldList."""
    for field in form:
        inner = getattr(field, "form", None)
        entries = getattr(field, "entries", None)
        if inner is not None:
            yield from _all_fields(inner)
        elif entries is not None:
            for entry in entries:
                yield from (_all_fields(entry.form) if hasattr(entry, "form") else [entry])
        else:
            yield field


def list_url(cursor_name: str = "next", cursor: str | None = None, **changes: Any) -> str:
    """This list's URL with every filter kept, the cursor set (or dropped for the first page)
    and ``changes`` applied (``None`` drops a parameter)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != cursor_name and v}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    if cursor:
        args[cursor_name] = cursor
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def page_number(last: int) -> int:
    """The list's ``?page=`` (from 1), within 1…``last``: anything else is the nearest page."""
    text = request.args.get("page", "1")
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 1
    return min(max(number, 1), max(last, 1))


def htmx_page_path() -> str | None:
    """For an htmx request: path and query of the page that sent it (unchecked), else None."""
    current = request.headers.get("HX-Current-URL") if is_htmx() else None
    if not current:
        return None
    parts = urlsplit(current)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def flashes_with_fragment(response: Response) -> Response:
    """``after_request``: an htmx fragment answered while messages wait (a change that shows
    its result in place, a page shown once) carries them into the page's ``#flash`` out of
    band — else they would wait for the next whole page and confirm the wrong thing."""
    if (
        "_flashes" not in session
        or not is_htmx()
        or response.status_code != 200
        or response.mimetype != "text/html"
        or response.is_streamed
        or "HX-Redirect" in response.headers
    ):
        return response
    banners = render_template("_partials/flashes.html")
    oob = f'<div id="flash" class="flash" aria-live="polite" hx-swap-oob="true">{banners}</div>'
    response.set_data(response.get_data(as_text=True) + oob)
    return response


def init_app(app: Flask) -> None:
    app.after_request(flashes_with_fragment)


def navigate(target: str):
    """After a change, load ``target`` as a whole page: a redirect, or ``HX-Redirect`` for htmx."""
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def status_tabs(
    statuses: list[str], current: str, label: Callable[[str], Any], counts: list[int | None]
) -> list:
    """A list's tabs: "All", then one per status with its count (None shows none); each keeps
    the list's other filters and drops the cursor."""
    from webapp.i18n import gettext as _

    return [(list_url("next", status=""), _("All"), None, not current)] + [
        (list_url("next", status=code), label(code), n, code == current)
        for code, n in zip(statuses, counts, strict=True)
    ]
