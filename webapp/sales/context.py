"""The sale form every request rebuilds, and its answers (DESIGN.md, "Screens").

A sale form (income or egress invoice, payment, receipt) is posted on every change: a row
added or removed, a service picked, the client chosen. Each time the same draft is made —
gigstack's idempotency key kept, the row action applied, the services and the client read
at once, the rows filled from their services, the items, the totals — and answered as the
form (the summary, or the whole form when a service filled its row), as the failed form,
or, on the submit button, sent once through :func:`webapp.actions.perform`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request

from webapp.actions import Screen, perform
from webapp.api import api
from webapp.clients.lookup import client_or_none
from webapp.domain.money import compute_totals
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.pages import apply_api_errors, htmx_target, swap_whole
from webapp.parallel import gather

from .items import apply_services, item_keys, item_payload, rows_from_action, set_service_choices

NO_TOTALS = {"subtotal": 0, "taxes": 0, "total": 0}
# said when gigstack did not confirm a create (a timeout, an outage): the form is sent again
UNCONFIRMED = {
    "invoice": _l(
        "gigstack did not confirm the invoice (%(why)s). Send the "
        "form again: it carries the same key, so at most one invoice "
        "is issued."
    ),
    "credit_note": _l(
        "gigstack did not confirm the credit note (%(why)s). Send the form "
        "again: it carries the same key, so at most one is issued."
    ),
    "payment": _l(
        "gigstack did not confirm the payment (%(why)s). Send the form again: it carries "
        "the same key, so at most one payment is made."
    ),
    "receipt": _l(
        "gigstack did not confirm the receipt (%(why)s). Send the form again: it carries "
        "the same key, so at most one receipt is made."
    ),
}


def totals_of(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Subtotal, taxes and total as gigstack computes them."""
    return compute_totals(items)


def begin(form: Any, prefill: Callable[[Any], None] | None = None) -> str:
    """Opened: ``prefill(form)`` from the link's query. Every time: a row added or removed
    (gigstack's idempotency key is the form's own: made when it is opened, then kept).
    Returns the button pressed (``action``: ``add``, ``remove-<n>``, the submit's value, or
    "")."""
    if not form.is_submitted() and prefill is not None:
        prefill(form)
    action = request.form.get("action", "")
    rows_from_action(form, action)
    return action


@dataclass
class Draft:
    """The sale form as typed: the button pressed, the team's services, the client chosen,
    what the area asked for alongside (``extras``), the items, their totals."""

    form: Any
    action: str
    services: list[dict[str, Any]]
    client: dict[str, Any] | None
    extras: list[Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    redrawn: bool = False

    def unknown_client(self, typed: str | None) -> bool:
        """A client id typed that the team does not know: said on its field."""
        if typed and self.client is None:
            self.form.client_id.errors = [_("No client with this id in the team.")]
            return True
        return False

    def context(self, **extra: Any) -> dict[str, Any]:
        """What every sale form's template reads, and the area's own ``extra``."""
        return {
            "form": self.form,
            "client": self.client,
            "totals": self.totals,
            "item_keys": item_keys(self.items),
            "client_search": request.values.get("client_id_search", "")[:200],
            **extra,
        }


def draft(
    form: Any, prefill: Callable[[Any], None] | None = None, *also: Callable[[], Any]
) -> Draft:
    """Upstream calls, at once: up to 100 services (``GET /services``), the chosen client
    (``GET /clients/{id}``) and the area's own ``also`` (their results: ``extras``)."""
    action = begin(form, prefill)
    client_api = api()
    services, client, *extras = gather(
        lambda: list(client_api.services.list(limit=100)),
        lambda: client_or_none(client_api, form.client_id.data),
        *also,
    )
    set_service_choices(form, services)
    by_id = {s["id"]: s for s in services}
    redrawn = apply_services(form, by_id)
    items = [item_payload(entry.form, by_id) for entry in form.items]
    return Draft(form, action, services, client, extras, items, totals_of(items), redrawn)


def show(screen: Screen, context: Mapping[str, Any], redrawn: bool = False):
    """The form while it is filled (200): htmx gets the summary it asked for, or the whole
    form when a service picked filled its row (its values changed on the server)."""
    body = screen.show(**context)
    return body, 200, (swap_whole(screen.target) if redrawn and htmx_target() else {})


def refused_with(
    aliases: Callable[[GigstackError], Mapping[str, str]] | Mapping[str, str] | None = None,
) -> Callable[[Any, GigstackError], list[str]]:
    """gigstack's refusal on the form's fields (``aliases``: API paths → field names, or a
    function of the error giving them); what fits no field, else its message, in the banner."""

    def refused(form: Any, error: GigstackError) -> list[str]:
        names = aliases(error) if callable(aliases) else aliases
        return apply_api_errors(form, error, names) or [error.message]

    return refused


def create(
    form: Any,
    call: Callable[[], Any],
    *,
    screen: Screen,
    context: Mapping[str, Any],
    document: str,
    aliases: Callable[[GigstackError], Mapping[str, str]] | Mapping[str, str] | None = None,
    **audit: Any,
):
    """Send a sale form checked by its view (``perform`` without its own validation): a
    refusal (validation, conflict) lands on the fields; a timeout or an outage answers the
    same form with its ``document``'s :data:`UNCONFIRMED` message — it carries the same
    idempotency key, so sending it again makes at most one. ``audit``: perform's audit,
    object and ``then``."""
    return perform(
        form,
        call,
        screen=screen,
        context=context,
        validate=False,
        refusals=(ValidationError, Conflict),
        refused=refused_with(aliases),
        unconfirmed=lambda error: UNCONFIRMED[document] % {"why": error.code},
        **audit,
    )


def verb(form: Any, call: Callable[[], Any], *, screen: Screen, **audit: Any):
    """A verb on a sale document (cancel, stamp…) through ``perform``: gigstack's refusal —
    a validation error, or a conflict (its state changed meanwhile) — said in the form's
    banner. ``audit``: perform's audit, object, messages and ``then``."""
    return perform(
        form,
        call,
        screen=screen,
        refusals=(ValidationError, Conflict),
        refused=lambda _form, error: [error.message],
        **audit,
    )
