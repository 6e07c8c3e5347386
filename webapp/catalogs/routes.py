"""Catalogue pickers for forms: search SAT product and unit keys as you type (htmx).

Local data only (``webapp/catalogs/sat.py``): no call to gigstack, a few ms per search.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request

from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.i18n import gettext as _

from . import sat

bp = Blueprint("catalogs", __name__, url_prefix="/catalogs")
bp.verbs = ("search",)

SEARCHES = {"product-keys": sat.search_product_keys, "unit-keys": sat.search_unit_keys}
FIELD_ID = re.compile(r"[a-z][a-z0-9_-]{0,40}")


@bp.get("/<any('product-keys', 'unit-keys'):catalogue>")
@requires(Role.VIEWER)
def search(catalogue: str):
    """``?q=`` the text typed, ``?field=`` the input a pick fills in (its id)."""
    field = request.args.get("field", "")
    if not FIELD_ID.fullmatch(field):
        abort(400)
    text = request.args.get(field) or request.args.get("q") or ""
    entries = SEARCHES[catalogue](text)
    short = not entries and all(len(word) < sat.TRIGRAM for word in sat.words_of(text))
    return render_template(
        "_partials/picks.html",
        entries=entries,
        field=field,
        query=text,
        empty=_("Type 3 letters or more of the name, or the key's first characters.")
        if short
        else None,
    )
