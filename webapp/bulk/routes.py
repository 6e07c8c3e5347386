"""Bulk actions of the lists (``/teams/<team>/bulk/<verb>``): a GET names what the job will
do to how many (the confirmation), its POST starts the job and goes to its page.

A viewer may only download (a job that reads); sending and cancelling are an operator's. The
lists' checkbox forms open these pages with the rows ticked (``pick``) or, through their
"every … matching" links, with the list's filters (``every=1``).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from webapp import once
from webapp.actions import verb_screen
from webapp.api import api
from webapp.audit import Detail, enum
from webapp.audit.details import JOB_BULK_CHOSEN, JOB_BULK_EVERY
from webapp.auth.access import reads_only, requires
from webapp.auth.roles import Role
from webapp.i18n import gettext as _
from webapp.jobs import lifecycle
from webapp.teams.scoped import current_team_id, team_blueprint

from . import selection
from .forms import BulkCancelForm, BulkForm, BulkInvoiceCancelForm
from .jobs import KINDS

bp = team_blueprint("bulk", __name__, "/bulk", verbs=("download", "send", "cancel", "stamp"))

SCREEN = verb_screen("bulk/_confirm.html", "bulk-form")


def _form(verb: str, of: str) -> BulkForm:
    if verb != "cancel":
        return BulkForm()
    return BulkInvoiceCancelForm() if of == "invoices" else BulkCancelForm()


def _confirm(verb: str, lists: tuple[str, ...]):
    """The confirmation (GET) or the start (POST) of ``verb`` on a selection of one of
    ``lists``. Upstream calls: for "every row matching", one ``limit=1`` list (the count)
    on the GET; none on the POST (the job lists them)."""
    values = request.form if request.method == "POST" else request.args
    chosen = selection.read(values, lists)
    form = _form(verb, chosen.of)
    context: dict[str, Any] = {
        "form": form,
        "verb": verb,
        "chosen": chosen,
        "title": _("Act on several at once"),
        "back": {"url": chosen.list_url(), "label": _("Back to the list")},
    }
    if not form.is_submitted():
        form.once.data = once.issue()
        if chosen.empty:
            return SCREEN.show(count=0, **context)
        count, at_least = selection.count(api(), chosen)
        form.count.data = str(count)
        return SCREEN.show(count=count, at_least=at_least, **context)
    count = form.params()["count"]
    if chosen.empty:
        return SCREEN.failed(
            _("Nothing was chosen: tick rows on the list first."), count=0, **context
        )
    if not form.validate():
        return SCREEN.failed(count=count, **context)
    params = chosen.params() | form.params()
    of = enum("document_kind", chosen.kind or chosen.of)
    description = (
        Detail(JOB_BULK_EVERY, kind=of)
        if chosen.every
        else Detail(JOB_BULK_CHOSEN, kind=of, count=len(chosen.picks))
    )
    return lifecycle.start_once(
        form.once.data, KINDS[verb], team=current_team_id(), params=params, description=description
    )


@bp.route("/download", methods=["GET", "POST"])
@reads_only  # the ZIP only reads
@requires(Role.VIEWER)
def download():
    """The chosen invoices' XML and PDF in one ZIP (a job)."""
    return _confirm("download", ("invoices",))


@bp.route("/send", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def send():
    """The chosen invoices e-mailed, each to its client's addresses (a job)."""
    return _confirm("send", ("invoices",))


@bp.route("/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel():
    """The chosen invoices cancelled with one motive (02–04), or receipts, or payments."""
    return _confirm("cancel", selection.LISTS)


@bp.route("/stamp", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def stamp():
    """The chosen pending receipts stamped, each its own income invoice (a job)."""
    return _confirm("stamp", ("receipts",))


# what a list may offer the signed-in staff member, in its bar's order
VERBS = {
    "invoices": (("download", Role.VIEWER), ("send", Role.OPERATOR), ("cancel", Role.OPERATOR)),
    "receipts": (("stamp", Role.OPERATOR), ("cancel", Role.OPERATOR)),
    "payments": (("cancel", Role.OPERATOR),),
}


@bp.app_template_global("bulk_verbs")
def bulk_verbs(of: str) -> list[str]:
    """The bulk actions a list shows its viewer (none: no boxes either)."""
    return [verb for verb, role in VERBS[of] if current_user.can(role)]


@bp.app_template_global("bulk_query")
def bulk_query(of: str) -> dict[str, str]:
    """The list's filters in the current URL (kept by the bulk form and links)."""
    return dict(selection.read(request.args, (of,)).query)
