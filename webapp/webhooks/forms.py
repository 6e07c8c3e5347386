"""The webhook form: URL checked as gigstack checks it (and for addresses it could never
reach), events chosen from ``webhook_events.json`` grouped by object with "all of this object"
boxes that work without JavaScript."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp import catalogs
from webapp.forms import CreateForm, MultiCheckbox, reason_form
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l

MAX_URL = 4096
MAX_EVENTS = 26
PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")
# what each event object is called on screen
OBJECT_LABELS = {
    "payment": _l("Payments"),
    "invoice": _l("Invoices"),
    "client": _l("Clients"),
    "service": _l("Services"),
    "receipt": _l("Receipts"),
    "team": _l("Teams"),
    "invoice_batch": _l("Invoice batches"),
    "sat_invoice": _l("SAT invoices"),
}


def events_by_object() -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in catalogs.entries("webhook_events"):
        grouped[event["resource"]].append(event)
    return dict(grouped)


def url_problem(url: str) -> str | None:
    """Why gigstack would refuse this URL or could never deliver to it (§10.2), or None: an
    https:// address on the public internet — never this machine, a private network, a
    link-local or reserved address (the sandbox's loopback http is for its own tests)."""
    if len(url) > MAX_URL:
        return _("At most %(n)s characters.", n=MAX_URL)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        return _("Type a full address starting with https://.")
    if parts.username or parts.password:
        return _("No user or password in the address: gigstack refuses them.")
    if parts.fragment or url.endswith("#"):
        return _("No #fragment in the address: gigstack refuses it.")
    if parts.scheme != "https":
        return _("Use https://: gigstack posts events only to secure addresses.")
    if host == "localhost" or host.endswith(".localhost"):
        return _("%(host)s is this machine: gigstack cannot reach it.", host=host)
    address = _ip(host)
    if address is not None and not address.is_global:
        return _("%(host)s is a private or reserved address: gigstack cannot reach it.", host=host)
    top = host.rpartition(".")[2]
    if address is None and ("." not in host or not (top.isalpha() or top.startswith("xn--"))):
        # no dot, or a last label of digits (127.1, 0x7f.1): no public domain ends so
        return _("%(host)s is not a public domain name.", host=host)
    if address is None and host.endswith(PRIVATE_SUFFIXES):
        return _(
            "%(host)s only exists inside a private network: gigstack cannot reach it.", host=host
        )
    return None


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The host as an IP address (an IPv4 address written as IPv6 as IPv4), or None."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class WebhookForm(CreateForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[DataRequired(_l("Type the address.")), Length(max=MAX_URL)],
        description=_l(
            "An https:// address on the public internet (not localhost or a private network): "
            "gigstack posts each event there."
        ),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])
    status = SelectField(
        _l("Status"),
        default="active",
        choices=[("active", _l("Active")), ("inactive", _l("Paused"))],
    )
    events = MultiCheckbox(
        _l("Events"),
        validate_choice=False,
        choices=lambda: [(e["code"], e["code"]) for e in catalogs.entries("webhook_events")],
    )

    def validate_url(self, field: Any) -> None:
        problem = url_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)

    def chosen_events(self, formdata: Any) -> list[str]:
        """The events ticked plus every event of each object whose "all" box is ticked."""
        chosen = list(self.events.data or [])
        for obj, events in events_by_object().items():
            if formdata is not None and formdata.get(f"all_{obj}"):
                chosen += [e["code"] for e in events]
        known = {e["code"] for e in catalogs.entries("webhook_events")}
        return [code for code in dict.fromkeys(chosen) if code in known]

    def check(self, chosen: list[str]) -> bool:
        """Validate the fields and the ``chosen`` events (at least one, at most MAX_EVENTS)."""
        valid = self.validate()
        if not chosen:
            self.events.errors = [_("Choose at least one event.")]
        elif len(chosen) > MAX_EVENTS:
            self.events.errors = [_("At most %(n)s events.", n=MAX_EVENTS)]
        return valid and not self.events.errors

    def payload(self, chosen: list[str]) -> dict[str, Any]:
        return {
            "url": (self.url.data or "").strip(),
            "events": chosen,
            "description": (self.description.data or "").strip() or None,
            "status": self.status.data,
        }


def form_data(webhook: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": webhook.get("url"),
        "status": webhook.get("status"),
        "description": webhook.get("description") or "",
        "events": webhook.get("events") or [],
    }


def changed(payload: dict[str, Any], webhook: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the webhook (the same events in another order are no change)."""

    def same(key: str, value: Any) -> bool:
        current = webhook.get(key)
        if key == "events":
            return set(value) == set(current or [])
        if key == "description":
            return (value or None) == (current or None)
        return value == current

    return {key: value for key, value in payload.items() if not same(key, value)}


def api_fields(error: Any) -> dict[str, str]:
    """gigstack's ``events[3]`` paths all land on the one events field."""
    return {
        path: "events" for path in getattr(error, "field_errors", {}) if path.startswith("events")
    }


WebhookDeleteForm = reason_form(
    _l("Say why the webhook is deleted."),
    _l("Reason (for the audit log)"),
    confirm=BooleanField(
        _l("The partner's system stops receiving these events"),
        validators=[DataRequired(_l("Confirm it."))],
    ),
)
