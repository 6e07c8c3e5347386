"""Every value gigstack answers with, in words — the one label table (DESIGN.md, "Pages and
htmx": every enum is shown through one table, Spanish and English, never raw).

Templates say ``label("payment_status", payment.status)`` (global) or
``payment.status|label("payment_status")`` (filter); Python says :func:`label`. A value the
table does not know yet is shown as gigstack sent it: better read than hidden. The SAT
catalogues (regimes, uses, payment forms…) are names of their own, in
:mod:`webapp.catalogs` (``catalogue_label``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp import catalogs
from webapp.i18n import gettext
from webapp.i18n import lazy_gettext as _l

LABELS: dict[str, dict[str, Any]] = {
    # InvoiceStatus (and the list filter's pending/draft); SAT's words: vigente, cancelada
    "invoice_status": {
        "valid": _l("In force"),
        "cancelled": _l("Cancelled"),
        "pending": _l("In process"),
        "draft": _l("Draft"),
    },
    # Invoice.invoice_type: what a CFDI is called
    "invoice_type": {"I": _l("Invoice"), "E": _l("Credit note"), "P": _l("Payment complement")},
    # Invoice.cancellation_status: SAT's answer to a cancellation (inferred in REFERENCE)
    "cancellation_status": {
        "pending": _l("pending the receiver's acceptance"),
        "accepted": _l("accepted"),
        "rejected": _l("rejected by the receiver"),
    },
    "payment_status": {
        "pending": _l("Pending"),
        "requires_payment_method": _l("Awaiting payment"),
        "processing": _l("Processing"),
        "succeeded": _l("Paid"),
        "failed": _l("Failed"),
        "cancelled": _l("Cancelled"),
        "refunded": _l("Refunded"),
    },
    # AllowedPaymentMethod.id: how a payment link lets the client pay
    "payment_method": {
        "spei": _l("SPEI bank transfer"),
        "card": _l("Card (Stripe)"),
        "oxxo": _l("OXXO cash (Stripe)"),
        "stripe-spei": _l("SPEI through Stripe"),
        "bank": _l("Bank transfer"),
    },
    "receipt_status": {
        "pending": _l("Pending"),
        "completed": _l("Invoiced"),
        "expired": _l("Expired"),
        "cancelled": _l("Cancelled"),
    },
    # Periodicity: of a receipt's global invoice, of a team's global invoices
    "periodicity": {
        "day": _l("Daily"),
        "week": _l("Weekly"),
        "two_weeks": _l("Fortnightly"),
        "month": _l("Monthly"),
        "two_months": _l("Every two months"),
    },
    # AutomationType: what gigstack does when a payment succeeds
    "automation_type": {
        "pue_invoice": _l("PUE invoice"),
        "ppd_invoice_and_complement": _l("PPD invoice and payment complement"),
        "receipt": _l("Self-invoice receipt"),
        "none": _l("Record only"),
    },
    "webhook_status": {"active": _l("Active"), "inactive": _l("Inactive")},
    # WebhookEventName: what each event tells
    "webhook_event": {
        "payment.created": _l("A payment was created (requested or registered)."),
        "payment.updated": _l("A payment changed (edited, refunded)."),
        "payment.succeeded": _l("A payment was paid."),
        "payment.canceled": _l("A payment was cancelled."),
        "payment.deleted": _l("A payment was deleted."),
        "payment.upcoming_due_date": _l("A payment's due date is near."),
        "invoice.created": _l("A CFDI (invoice, credit note or complement) was stamped."),
        "invoice.canceled": _l("A CFDI was cancelled."),
        "invoice.failed": _l("Stamping a CFDI failed."),
        "invoice_batch.completed": _l("An invoice batch finished."),
        "receipt.created": _l("A receipt was created."),
        "receipt.updated": _l("A receipt changed (cancelling it too)."),
        "receipt.completed": _l("A receipt was invoiced."),
        "receipt.deleted": _l("A receipt was deleted."),
        "customer.created": _l("A client was created."),
        "customer.updated": _l("A client changed."),
        "customer.deleted": _l("A client was deleted."),
        "service.created": _l("A service was created."),
        "service.updated": _l("A service changed."),
        "service.deleted": _l("A service was deleted."),
        "sat.invoice.synced": _l("An invoice mirrored from SAT was synchronised."),
        "teams.created": _l("A team was created."),
        "teams.sat.completed": _l("A CSD was uploaded and the SAT connection is ready."),
        "teams.stripe.completed": _l("Stripe was connected."),
        "teams.openpay.completed": _l("Openpay was connected."),
        "teams.sat.manifest.signed": _l("The manifest was signed."),
    },
    # Role: of a team's member or user
    "role": {"admin": _l("Administrator"), "editor": _l("Editor"), "viewer": _l("Reader")},
    "pdf_language": {"es": _l("Spanish"), "en": _l("English")},
    # StampPendingReceiptResult.status
    "stamp_result": {"stamped": _l("Stamped"), "failed": _l("Failed")},
    # ClientDefaults: what a client's own settings say
    "client_default": {
        "keep_full_legal_name": _l("Keep the full legal name"),
        "issue_automatic_invoices": _l("Issue invoices automatically"),
        "issue_invoiceable_receipts": _l("Issue receipts the client can self-invoice"),
    },
    # ApiErrorCode: why gigstack refused (an audit row's outcome)
    "api_error": {
        "invalid_request_body": _l("Request not understood"),
        "missing_required_field": _l("A required field is missing"),
        "invalid_field_value": _l("A field's value is not valid"),
        "validation_failed": _l("Refused: data not valid"),
        "business_rule_violation": _l("Refused by a rule"),
        "invalid_file_format": _l("File format not valid"),
        "file_upload_error": _l("File upload failed"),
        "unauthorized": _l("Not authorised"),
        "invalid_token": _l("Key not valid"),
        "forbidden": _l("Forbidden"),
        "insufficient_permissions": _l("Not enough permissions"),
        "operation_not_allowed": _l("Operation not allowed"),
        "resource_not_found": _l("Not found"),
        "file_not_found": _l("File not found"),
        "resource_already_exists": _l("Already exists"),
        "resource_conflict": _l("Conflict with the current state"),
        "cfdi_service_error": _l("Stamping service failed"),
        "rate_limit_exceeded": _l("Too many requests"),
        "internal_server_error": _l("gigstack failed"),
        "database_error": _l("gigstack failed"),
        "data_integrity_error": _l("gigstack failed"),
        "external_service_error": _l("An outside service failed"),
        "payment_processor_error": _l("The payment processor failed"),
        "service_unavailable": _l("gigstack unavailable"),
    },
    # why this dashboard refused before asking gigstack (an audit row's outcome): files
    # checked here (CSD, CSF), sign-in and team scope
    "refusal": {
        "fiel": _l("an e.firma (FIEL), not a CSD"),
        "expired": _l("certificate expired"),
        "not_yet_valid": _l("certificate not valid yet"),
        "other_rfc": _l("another taxpayer's certificate"),
        "not_sat": _l("not issued by SAT"),
        "no_rfc": _l("no RFC in the file"),
        "key_mismatch": _l("the key is not the certificate's"),
        "wrong_password": _l("wrong password"),
        "not_a_key": _l("not a private key"),
        "key_algorithm": _l("key of another kind"),
        "not_a_certificate": _l("not a certificate"),
        "cert_missing": _l("certificate missing"),
        "key_missing": _l("key missing"),
        "password_missing": _l("password missing"),
        "too_large": _l("file too large"),
        "not_pdf": _l("not a PDF"),
        "damaged": _l("damaged file"),
        "unreadable": _l("unreadable file"),
        "check_digit": _l("RFC check digit wrong"),
        "missing": _l("data missing"),
        "invalid_credentials": _l("wrong e-mail or password"),
        "account_disabled": _l("account disabled"),
        "team_out_of_scope": _l("team outside the staff member's teams"),
        "team_not_found": _l("team not found"),
    },
    "yes_no": {"True": _l("Yes"), "False": _l("No")},
    # the fields an edit sends (an audit row's "changed: …"): clients, services, webhooks,
    # users, teams (a team's settings are named by their own table, "setting")
    "field": {
        "name": _l("display name"),
        "legal_name": _l("legal name"),
        "company": _l("company"),
        "email": _l("e-mail"),
        "phone": _l("phone"),
        "tax_id": _l("RFC"),
        "tax_system": _l("tax regime"),
        "use": _l("CFDI use"),
        "bcc": _l("copies to"),
        "metadata": _l("foreign tax id"),
        "address": _l("address"),
        "description": _l("description"),
        "product_key": _l("product key"),
        "unit_key": _l("unit key"),
        "unit_name": _l("unit name"),
        "unit_price": _l("unit price"),
        "sku": _l("SKU"),
        "taxes": _l("taxes"),
        "url": _l("URL"),
        "events": _l("events"),
        "status": _l("status"),
        "first_name": _l("first name"),
        "last_name": _l("last name"),
        "company_role": _l("role in the company"),
        "support_email": _l("support e-mail"),
        "support_phone": _l("support phone"),
        "brand": _l("brand"),
    },
    # a staff account's parts (an audit row of staff.update)
    "staff_field": {
        "name": _l("name"),
        "email": _l("e-mail"),
        "role": _l("role"),
        "teams": _l("teams"),
        "password": _l("password"),
        "active": _l("active"),
        "locale": _l("language"),
    },
    # the back office's own roles (webapp/auth/roles.py)
    "staff_role": {
        "viewer": _l("Reader"),
        "operator": _l("Operator"),
        "admin": _l("Administrator"),
    },
    # JobKind.name: what a background job does
    "job_kind": {
        "month_export": _l("Month's CFDI export"),
        "bulk_download": _l("Bulk download"),
        "bulk_send": _l("Bulk send"),
        "bulk_cancel": _l("Bulk cancellation"),
        "bulk_stamp": _l("Bulk stamping"),
        "client_receipts": _l("Stamping a client's pending receipts"),
        "search_sync": _l("Search index update"),
    },
    # a list of documents (a month's export, a bulk action's rows)
    "document_kind": {
        "income": _l("income invoices"),
        "egress": _l("credit notes"),
        "payment": _l("payment complements"),
        "receipts": _l("receipts"),
        "payments": _l("payments"),
    },
    # a series' counters (an audit row of series.update)
    "series_mode": {"live": _l("live"), "test": _l("test")},
    # how a payment was made or asked for (an audit row of payment.create)
    "payment_kind": {"register": _l("registered"), "request": _l("requested")},
    "language": {"es": _l("Spanish"), "en": _l("English"), "es_MX": _l("Spanish")},
    # a team's settings, by their API path: filled in by webapp/teams/setting_groups.py,
    # where each setting is declared with its label
    "setting": {},
}
# an audit outcome of a refusal made here: ``refused_locally:fiel,expired``
REFUSED_HERE = "refused_locally:"
# the catalogue whose aliases name the same value (``canceled`` → ``cancelled``)
ALIASES = {
    "invoice_status": "invoice_statuses",
    "payment_status": "payment_statuses",
    "receipt_status": "receipt_statuses",
    "automation_type": "automation_types",
    "webhook_event": "webhook_events",
}


def label(kind: str, value: Any, empty: str = "—") -> str:
    """``value`` of enum ``kind`` in the page's language (``empty`` for no value; a value the
    table does not know as gigstack sent it)."""
    if value is None or value == "":
        return empty
    table = LABELS[kind]
    code = str(value)
    if code not in table and kind in ALIASES:
        code = catalogs.canonical(ALIASES[kind], code) or code
    found = table.get(code)
    return str(found) if found is not None else code


def outcome(value: str) -> str:
    """An audit row's outcome in words: gigstack's error code, a refusal made here (every
    reason of ``refused_locally:…``), a sign-in's; anything else as recorded."""
    if value.startswith(REFUSED_HERE):
        reasons = [label("refusal", why) for why in value.removeprefix(REFUSED_HERE).split(",")]
        return gettext("Refused here: %(why)s", why=", ".join(r for r in reasons if r != "—"))
    for kind in ("api_error", "refusal"):
        if value in LABELS[kind]:
            return label(kind, value)
    return value


def labelled(item: tuple[str, Any], kind: str) -> tuple[str, str]:
    """A ``(name, value)`` gigstack answers (a client's defaults) as words: the name by enum
    ``kind``, a flag as yes or no (template filter ``labelled``)."""
    name, value = item
    if isinstance(value, bool):
        return label(kind, name), label("yes_no", str(value))
    return label(kind, name), "—" if value is None else str(value)


def choices(kind: str) -> list[tuple[str, Any]]:
    """The values of ``kind`` as a select's (value, label) choices, in the table's order."""
    return [(code, text) for code, text in LABELS[kind].items()]


def init_app(app: Flask) -> None:
    app.add_template_global(label)
    app.add_template_global(outcome, "audit_outcome")
    from webapp.audit.details import entry_reason

    app.add_template_global(entry_reason, "audit_reason")
    app.add_template_filter(lambda value, kind, empty="—": label(kind, value, empty), "label")
    app.add_template_filter(labelled)
