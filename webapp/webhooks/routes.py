"""Webhooks list, create, edit (changed fields only) and delete (with a reason)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from webapp import once
from webapp.actions import (
    NOT_FOUND_OR_REFUSED,
    Screen,
    changed_reason,
    confirmation,
    cursor_links,
    get_or_404,
    perform,
    verb_screen,
)
from webapp.api import api
from webapp.audit import Detail
from webapp.audit.details import WEBHOOK_CREATED, WEBHOOK_DELETED
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.i18n import gettext as _
from webapp.pages import apply_api_errors, list_url, navigate, render_page
from webapp.teams.scoped import team_blueprint

from .forms import (
    OBJECT_LABELS,
    WebhookDeleteForm,
    WebhookForm,
    api_fields,
    changed,
    events_by_object,
    form_data,
)

bp = team_blueprint("webhooks", __name__, "/webhooks")

PAGE_SIZE = 50
STATUSES = ("active", "inactive")
NEW = Screen("webhooks/new.html", "webhooks/_form.html", "webhook-form")
EDIT = Screen("webhooks/edit.html", "webhooks/_form.html", "webhook-form")
DELETE = verb_screen("webhooks/_confirm.html", "webhook-delete")


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: one page of ``GET /webhooks`` (status and cursor in the URL)."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    cursor = request.args.get("next") or None
    page = api().webhooks.list(status=status, limit=PAGE_SIZE, next=cursor)
    tabs = [
        (list_url("next", status=""), _("All"), None, not status),
        (list_url("next", status="active"), _("Active"), None, status == "active"),
        (list_url("next", status="inactive"), _("Paused"), None, status == "inactive"),
    ]
    return render_page(
        "webhooks/page.html",
        "webhooks/_rows.html",
        rows=list(page),
        total=page.total_results,
        links=cursor_links(page, cursor),
        tabs=tabs,
    )


def _context(form: WebhookForm, chosen: list[str], webhook: dict | None = None) -> dict:
    return {
        "form": form,
        "webhook": webhook,
        "chosen": set(chosen),
        "groups": events_by_object(),
        "object_labels": OBJECT_LABELS,
    }


def _refused(form: WebhookForm, error: Any) -> list[str]:
    return apply_api_errors(form, error, api_fields(error))


def _created(webhook: dict[str, Any]):
    """The signing secret, shown once (never stored or logged); or back to the list."""
    secret = webhook.get("secret") or webhook.get("signing_secret")
    if secret:
        page = NEW.show("webhooks/_secret.html", webhook=webhook, secret=secret)
        return page, 200, {"Cache-Control": "no-store"}
    return url_for("webhooks.index")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /webhooks`` on save, once per opened form."""
    form = WebhookForm()
    chosen = form.chosen_events(request.form if form.is_submitted() else None)
    if not form.is_submitted():
        form.once.data = once.issue()
        return NEW.show(**_context(form, chosen))
    if not form.check(chosen):
        return NEW.failed(**_context(form, chosen))
    return perform(
        form,
        lambda: api().webhooks.create(form.payload(chosen)),
        screen=NEW,
        context=_context(form, chosen),
        validate=False,
        audit="webhook.create",
        object_id=lambda made: made.get("id"),
        detail=lambda made: Detail(
            WEBHOOK_CREATED, url=made.get("url"), count=len(made.get("events") or [])
        ),
        refused=_refused,
        message=lambda made: confirmation(
            _("Webhook %(name)s created."),
            made.get("url") or form.url.data,
            url_for("webhooks.edit", webhook_id=made["id"]) if made.get("id") else None,
        ),
        then=_created,
        repeat_to=url_for("webhooks.index"),
    )


@bp.route("/<webhook_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(webhook_id: str):
    """Upstream calls: ``GET /webhooks/{id}``; on save ``PUT /webhooks/{id}`` with the
    changed fields only."""
    webhook = get_or_404(api().webhooks.get, webhook_id, missing=NOT_FOUND_OR_REFUSED)
    if request.method == "GET":
        form = WebhookForm(data=form_data(webhook))
        return EDIT.show(**_context(form, webhook.get("events") or [], webhook))
    form = WebhookForm()
    chosen = form.chosen_events(request.form)
    if not form.check(chosen):
        return EDIT.failed(**_context(form, chosen, webhook))
    payload = changed(form.payload(chosen), webhook)
    if not payload:
        return navigate(url_for("webhooks.index"))
    return perform(
        form,
        lambda: api().webhooks.update(webhook_id, payload),
        screen=EDIT,
        context=_context(form, chosen, webhook),
        validate=False,
        audit="webhook.update",
        object_id=webhook_id,
        detail=changed_reason(payload),
        refused=_refused,
        message=confirmation(
            _("Webhook %(name)s saved."),
            form.url.data or webhook.get("url"),
            url_for("webhooks.edit", webhook_id=webhook_id),
        ),
        then=url_for("webhooks.index"),
    )


@bp.route("/<webhook_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(webhook_id: str):
    """A reason and a confirmation. Upstream calls: ``GET /webhooks/{id}``, then
    ``DELETE /webhooks/{id}``."""
    webhook = get_or_404(api().webhooks.get, webhook_id, missing=NOT_FOUND_OR_REFUSED)
    form = WebhookDeleteForm()
    context = {"webhook": webhook, "title": _("Delete webhook")}
    return perform(
        form,
        lambda: api().webhooks.delete(webhook_id),
        screen=DELETE,
        context=context,
        audit="webhook.delete",
        object_id=webhook_id,
        detail=Detail(WEBHOOK_DELETED, url=webhook.get("url")),
        message=confirmation(_("Webhook %(name)s deleted."), webhook.get("url")),
        then=url_for("webhooks.index"),
    )
