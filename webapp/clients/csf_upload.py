"""CSF upload: read the Constancia de Situación Fiscal here first, show what it says (and, for
an existing client, what would change), then — on confirmation — upload it to gigstack.

Between the preview and the confirmation the PDF waits in the app's cache under a one-time
token of this staff member (15 minutes at most): a failed upload can be retried without
choosing the file again, and the PDF is dropped as soon as the upload that uses it succeeds.
Refusals the file itself explains (not a PDF, over 5 MiB, a scan, not a CSF, another RFC)
never reach gigstack.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import abort, flash, render_template, url_for
from flask_login import current_user

from webapp import cache, catalogs
from webapp.actions import Screen, confirmation, get_or_404, perform
from webapp.api import api
from webapp.audit import Detail, record
from webapp.audit.details import CLIENT_FROM_CSF, CLIENT_UPDATED_FROM_CSF
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.formatting import MEXICO_CITY
from webapp.gigstack import GigstackError
from webapp.i18n import gettext as _
from webapp.pages import navigate
from webapp.sat.csf import MAX_BYTES, CsfData, CsfError, parse_csf
from webapp.teams.scoped import current_team_id

from .forms import ConfirmForm, CsfForm

PENDING_SECONDS = 15 * 60
MAX_AGE_DAYS = 90  # "older than 3 months"


UPLOAD = Screen("clients/upload_csf.html", "clients/_csf_form.html", "csf-form")
CONFIRM = Screen("clients/confirm_csf.html", "clients/_csf_preview.html", "csf-preview")


def csf_message(error: CsfError) -> str:
    """Why the file cannot be used, in the operator's language."""
    return {
        "missing": _("Choose the CSF PDF."),
        "too_large": _(
            "The file is over %(limit)s MiB. A CSF downloaded from SAT weighs far "
            "less: check that you chose the right file.",
            limit=MAX_BYTES // 2**20,
        ),
        "not_pdf": _(
            "The file is not a PDF. Upload the CSF PDF downloaded from SAT; photos "
            "and scans are not accepted."
        ),
        "encrypted": _("The PDF is password-protected. Upload the CSF as SAT gives it."),
        "too_many_pages": _("The PDF has too many pages for a CSF. Upload only the CSF."),
        "damaged": _("The PDF is damaged or cannot be read. Download the CSF again."),
        "image_only": _(
            "The PDF has no text: it looks like a scan or a photo. Upload the PDF "
            "downloaded from SAT."
        ),
        "cedula": _("This is a Cédula de Datos Fiscales, not a Constancia de Situación Fiscal."),
        "not_csf": _("The PDF is not a Constancia de Situación Fiscal."),
        "no_rfc": _("No RFC was found in the document."),
        "bad_rfc": _("The RFC in the document is not a valid RFC."),
    }.get(error.reason, error.message)


def preview_of(data: CsfData, today: date) -> dict[str, Any]:
    """What the CSF says, plus the warnings a reviewer must see (plain data for the cache)."""
    warnings = []
    if data.issued_on is None:
        warnings.append(_("The issue date was not found in the CSF."))
    elif (today - data.issued_on).days > MAX_AGE_DAYS:
        warnings.append(
            _(
                "The CSF was issued on %(day)s, more than 3 months ago: ask the "
                "client for a recent one.",
                day=data.issued_on.strftime("%d/%m/%Y"),
            )
        )
    if data.status and data.status != "ACTIVO":
        warnings.append(
            _("The taxpayer's status at SAT is %(status)s, not ACTIVO.", status=data.status)
        )
    if data.cedula_rfc and data.cedula_rfc.replace(" ", "").upper() != data.rfc:
        warnings.append(
            _(
                "The RFC at the top of the CSF differs from the one in its data: the "
                "document may have been altered."
            )
        )
    return {
        "rfc": data.rfc,
        "persona": data.persona,
        "name": data.name,
        "regime_code": data.regime_code,
        "regimes": [{"code": r.code, "name": r.name, "active": r.active} for r in data.regimes],
        "zip": data.zip,
        "status": data.status,
        "issued_on": data.issued_on.strftime("%d/%m/%Y") if data.issued_on else None,
        "warnings": warnings,
    }


def diff_of(client: dict[str, Any], preview: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field: the client's value now and the CSF's."""
    rows = [
        (_("RFC"), client.get("tax_id"), preview["rfc"]),
        (_("Legal name"), client.get("legal_name"), preview["name"]),
        (
            _("Tax regime"),
            catalogs.label("tax_regimes", client.get("tax_system")),
            catalogs.label("tax_regimes", preview["regime_code"]),
        ),
        (_("Fiscal postal code"), (client.get("address") or {}).get("zip"), preview["zip"]),
    ]
    return [
        {
            "label": label,
            "now": now or "",
            "csf": csf or "",
            "changes": (now or "") != (csf or "") and bool(csf),
        }
        for label, now, csf in rows
    ]


def _key(token: str) -> str:
    return f"csf:{getattr(current_user, 'id', 'anon')}:{token[:64]}"


def _today() -> date:
    return utcnow().astimezone(MEXICO_CITY).date()


def _another_rfc(client: dict[str, Any] | None, data: CsfData) -> str | None:
    """Why this CSF cannot update ``client`` (another RFC's), or None."""
    if not client or not client.get("tax_id") or client["tax_id"] == data.rfc:
        return None
    return _(
        "This CSF belongs to RFC %(csf)s, but the client's RFC is %(client)s: nothing was changed.",
        csf=data.rfc,
        client=client["tax_id"],
    )


def _keep(pdf: bytes, preview: dict[str, Any], client: dict[str, Any] | None) -> str:
    """The PDF and its preview wait in the cache for the confirmation: their token."""
    token = secrets.token_urlsafe(16)
    pending = {"pdf": pdf, "preview": preview, "team": current_team_id()}
    cache.put(_key(token), {**pending, "client_id": (client or {}).get("id")}, PENDING_SECONDS)
    return token


def _start(client: dict[str, Any] | None, audit: str):
    """GET: the file form. POST: read the file, then the preview (or the reasons it is not
    usable, without any call to gigstack; a file that is no CSF recorded as ``audit``)."""
    form = CsfForm()
    context = {"form": form, "client": client}
    if not form.is_submitted():
        return UPLOAD.show(**context)
    if not form.validate():
        return UPLOAD.failed(**context)
    pdf = form.file.data.read(MAX_BYTES + 1)
    try:
        data = parse_csf(pdf)
    except CsfError as error:
        form.file.errors.append(csf_message(error))
        record(
            audit,
            object_type="client",
            object_id=(client or {}).get("id"),
            outcome=f"refused_locally:{error.reason}",
        )
        return UPLOAD.failed(**context)
    preview = preview_of(data, _today())
    if another := _another_rfc(client, data):
        form.file.errors.append(another)
        return UPLOAD.failed(**context)
    token = _keep(pdf, preview, client)
    # the whole page: the upload form asked htmx to take #csf-page out of it
    return render_template(CONFIRM.page, **_preview_context(token, preview, client))


def _preview_context(
    token: str, preview: dict[str, Any], client: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    confirm = ConfirmForm(formdata=None, data={"token": token})
    return {
        "token": token,
        "preview": preview,
        "client": client,
        "confirm": confirm,
        "diff": diff_of(client, preview) if client else None,
        "regime": catalogs.label("tax_regimes", preview["regime_code"]),
        **extra,
    }


@requires(Role.OPERATOR)
def upload_csf():
    """A client from a CSF (or the client with its RFC, updated). No upstream call until the
    preview is confirmed."""
    return _start(None, audit="client.upload_csf")


@requires(Role.OPERATOR)
def update_csf(client_id: str):
    """Update one client from its CSF. Upstream calls: ``GET /clients/{id}`` (for the diff)."""
    return _start(get_or_404(api().clients.get, client_id), audit="client.update_csf")


def _pending(token: str):
    """The upload waiting under ``token`` — or, as the second value, where to go instead (it
    expired, or a double click: the first one made it)."""
    pending = cache.get(_key(token))
    if not pending or pending.get("team") != current_team_id():
        flash(_("That CSF preview expired (15 minutes). Choose the file again."), "error")
        return None, navigate(url_for("clients.upload_csf"))
    if pending.get("done"):
        return None, navigate(pending["done"])
    return pending, None


def _upload_refused(_form: Any, error: GigstackError) -> list[str]:
    if error.status and error.status < 500:
        return [error.message]
    return [_("gigstack could not take the CSF right now. Nothing changed; try again.")]


def _uploaded(token: str, made: dict[str, Any]) -> str:
    """Where a confirmed upload goes (remembered for a repeat of the confirmation; the PDF is
    dropped)."""
    target = url_for("clients.show", client_id=made["id"])
    cache.put(_key(token), {"done": target, "team": current_team_id()}, PENDING_SECONDS)
    return target


@requires(Role.OPERATOR)
def confirm_csf():
    """Upstream calls: ``POST /clients/csf`` (multipart, ``client_id`` when updating). A
    failure keeps the preview for a retry; success drops the PDF."""
    form = ConfirmForm()
    token = form.token.data or ""
    if not form.validate() or not token:
        abort(400)
    pending, elsewhere = _pending(token)
    if elsewhere:
        return elsewhere
    client_id = pending.get("client_id")
    client = get_or_404(api().clients.get, client_id) if client_id else None
    return perform(
        form,
        lambda: api().clients.upload_csf(pending["pdf"], client_id=client_id),
        screen=CONFIRM,
        context=_preview_context(token, pending["preview"], client),
        validate=False,
        audit="client.confirm_csf",
        object_id=client_id or (lambda made: made["id"]),
        detail=Detail(
            CLIENT_UPDATED_FROM_CSF if client_id else CLIENT_FROM_CSF, rfc=pending["preview"]["rfc"]
        ),
        refusals=(GigstackError,),
        refused=_upload_refused,
        message=lambda made: confirmation(
            _("The CSF was uploaded: %(name)s is up to date with SAT's data."),
            made.get("legal_name") or made["id"],
            url_for("clients.show", client_id=made["id"]),
        ),
        then=lambda made: _uploaded(token, made),
    )
